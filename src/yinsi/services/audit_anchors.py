"""Audit anchors as a service: make the key, write an anchor, check the log against anchors.

``yinsi audit anchor-key`` makes the Ed25519 key (:meth:`AnchorKeys.create`);
``yinsi audit anchor`` (run it from cron or a systemd timer) verifies the chain and the
anchors written so far, then signs the head and appends it to the anchor file and/or
POSTs it to the webhook; ``yinsi audit verify --anchor FILE`` checks the chain and every
anchor in FILE (:func:`yinsi.security.anchors.check`). Where files live comes from
:class:`yinsi.settings.audit.AuditSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from yinsi.security.anchors import (
    Anchor,
    AnchorProblem,
    check,
    key_id,
    load_private_key,
    load_public_key,
    new_private_key,
    parse_lines,
    public_pem,
)
from yinsi.security.audit import AuditEntry
from yinsi.settings.audit import AuditSettings

__all__ = [
    "AnchorError",
    "AnchorFiles",
    "AnchorKeys",
    "AnchorReport",
    "append_anchor",
    "post_anchor",
    "read_anchors",
]


class AnchorError(Exception):
    """An anchor cannot be made, written, sent or checked; the message says what to do."""


@dataclass(frozen=True, slots=True)
class AnchorFiles:
    """Where the key, its public half and the anchors live (settings, else ``home``)."""

    key: Path
    public: Path
    anchors: Path

    @classmethod
    def of(cls, settings: AuditSettings, home: Path) -> AnchorFiles:
        key = settings.anchor_key_file or home / "audit-anchor.key"
        public = settings.anchor_public_key_file or key.with_name(key.name + ".pub")
        anchors = settings.anchor_file or home / "audit-anchors.jsonl"
        return cls(key, public, anchors)


@dataclass(frozen=True, slots=True)
class AnchorReport:
    """The anchors found in a file and what they show is wrong (empty: consistent)."""

    file: Path
    anchors: int
    problems: tuple[AnchorProblem, ...]


class AnchorKeys:
    """The signing key on disk: made once, 0600, never in the database."""

    def __init__(self, files: AnchorFiles) -> None:
        self.files = files

    def create(self, *, replace: bool = False) -> str:
        """Write a new private key (0600) and its public key; the key id. Refuses to
        overwrite an existing key unless ``replace``."""
        path = self.files.key
        if path.exists() and not replace:
            raise AnchorError(
                f"{path} already exists; anchors signed with it are checked with "
                f"{self.files.public}. Pass --replace to make a new key (keep the old "
                "public key to check the old anchors)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = new_private_key()
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        private = load_private_key(pem)
        self.files.public.write_bytes(public_pem(private))
        return key_id(private.public_key())

    def private(self) -> Ed25519PrivateKey:
        try:
            return load_private_key(self.files.key.read_bytes())
        except FileNotFoundError:
            raise AnchorError(
                f"no anchor key at {self.files.key}: make one with `yinsi audit anchor-key` "
                "(or set YINSI_AUDIT__ANCHOR_KEY_FILE)"
            ) from None
        except ValueError as exc:
            raise AnchorError(f"{self.files.key} is not a usable anchor key: {exc}") from None

    def public(self) -> Ed25519PublicKey:
        """The public key: the ``.pub`` file, else derived from the private key."""
        try:
            return load_public_key(self.files.public.read_bytes())
        except FileNotFoundError:
            return self.private().public_key()
        except ValueError as exc:
            raise AnchorError(f"{self.files.public} is not a usable public key: {exc}") from None


def read_anchors(
    file: Path, keys: AnchorKeys, entries: Sequence[AuditEntry], *, require_one: bool = True
) -> AnchorReport:
    """Check every anchor of ``file`` against ``entries`` (the whole log, seq order); a
    file without any anchor is a problem when ``require_one``."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnchorError(
            f"no anchor file at {file}: anchors are written by `yinsi audit anchor`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"cannot read the anchor file {file}: {exc}") from None
    anchors, problems = parse_lines(text.splitlines())
    if require_one and not anchors and not problems:
        problems.append(AnchorProblem(0, f"{file} holds no anchor: run `yinsi audit anchor` first"))
    problems += check(anchors, entries, keys.public())
    return AnchorReport(file, len(anchors), tuple(sorted(problems, key=lambda p: p.line)))


def append_anchor(file: Path, anchor: Anchor) -> None:
    """Append one line to the anchor file and flush it to disk."""
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(anchor.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise AnchorError(f"cannot append to the anchor file {file}: {exc}") from None


def post_anchor(url: str, anchor: Anchor, timeout: float, attempts: int = 3) -> None:
    """POST the anchor as JSON; any 2xx is a receipt. Retries network errors and 5xx."""
    body = anchor.to_json().encode("utf-8")
    headers = {"Content-Type": "application/json"}
    last = ""
    for _ in range(attempts):
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            last = exc.__class__.__name__
            continue
        if response.is_success:
            return
        last = f"HTTP {response.status_code}"
        if response.status_code < 500:
            break
    raise AnchorError(
        f"the anchor webhook did not take the anchor ({last}); the anchor file has it, "
        "run `yinsi audit anchor` again once the webhook answers"
    )
