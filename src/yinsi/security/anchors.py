"""Audit anchors: signed checkpoints of the audit chain's head, kept outside the database.

The hash chain (:mod:`yinsi.security.verify`) proves that no entry was changed *between*
others; someone who can write the database can still delete the newest entries, rewrite
the last one, recompute its hash and move the head row: the chain then verifies. An
anchor is what the chain looked like at a moment, signed with an Ed25519 key the database
never holds::

    {"v": 1, "seq": 1042, "entries": 1042, "hash": "…", "at": "2026-…Z", "key": "…",
     "signature": "<base64 Ed25519 over the canonical JSON of the other fields>"}

One anchor per line of a JSON Lines file (and/or POSTed to a webhook). :func:`check`
compares every anchor with the entries stored now: a log that ends before an anchored
seq lost its tail; an anchored seq whose hash changed was rewritten, even with a
recomputed chain; a different count below an anchored seq means entries were removed or
added in between.
"""

from __future__ import annotations

import base64
import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from yinsi.security.audit import AuditEntry, AuditHead, canonical_json, utc_text

__all__ = [
    "Anchor",
    "AnchorProblem",
    "check",
    "key_id",
    "load_private_key",
    "load_public_key",
    "new_private_key",
    "parse_lines",
    "public_pem",
    "sign",
]

VERSION = 1


@dataclass(frozen=True, slots=True)
class Anchor:
    """The head of the chain at ``at``: ``entries`` entries up to ``seq``, the last hashed ``hash``."""

    seq: int
    entries: int
    hash: str
    at: str
    """ISO 8601 UTC, as written."""
    key: str
    """:func:`key_id` of the signing key."""
    signature: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "seq": self.seq,
            "entries": self.entries,
            "hash": self.hash,
            "at": self.at,
            "key": self.key,
        }

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body()).encode("utf-8")

    def to_json(self) -> str:
        return canonical_json(self.body() | {"signature": self.signature})


@dataclass(frozen=True, slots=True)
class AnchorProblem:
    """Something an anchor shows is wrong; ``line`` is the anchor's line in its file."""

    line: int
    what: str

    def __str__(self) -> str:
        return f"anchor line {self.line}: {self.what}"


def new_private_key() -> bytes:
    """A new Ed25519 private key, PEM (PKCS#8, unencrypted: protect the file, mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(
            "the anchor key is not an Ed25519 key; make one with `yinsi audit anchor-key`"
        )
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the anchor public key is not an Ed25519 key")
    return key


def public_pem(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(private: Ed25519PrivateKey, head: AuditHead, entries: int, at: datetime) -> Anchor:
    """The anchor of ``head`` (with ``entries`` entries stored up to it) at ``at``."""
    unsigned = Anchor(head.seq, entries, head.hash, utc_text(at), key_id(private.public_key()))
    signature = base64.b64encode(private.sign(unsigned.signed_bytes())).decode("ascii")
    return Anchor(unsigned.seq, entries, head.hash, unsigned.at, unsigned.key, signature)


def parse_lines(lines: Iterable[str]) -> tuple[list[tuple[int, Anchor]], list[AnchorProblem]]:
    """The anchors of a JSON Lines text, with their line numbers, and every unreadable line."""
    anchors: list[tuple[int, Anchor]] = []
    problems: list[AnchorProblem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            anchors.append((number, _anchor(json.loads(line))))
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(AnchorProblem(number, f"not an anchor ({exc.__class__.__name__})"))
    return anchors, problems


def _anchor(data: Mapping[str, Any]) -> Anchor:
    if data["v"] != VERSION:
        raise ValueError(f"version {data['v']!r}")
    values = (
        data["seq"],
        data["entries"],
        data["hash"],
        data["at"],
        data["key"],
        data["signature"],
    )
    if not all(isinstance(v, int) for v in values[:2]) or not all(
        isinstance(v, str) for v in values[2:]
    ):
        raise TypeError("field types")
    return Anchor(*values)


def check(
    anchors: Iterable[tuple[int, Anchor]],
    entries: Iterable[AuditEntry],
    public: Ed25519PublicKey,
) -> list[AnchorProblem]:
    """Every anchor whose signature fails or that the stored ``entries`` contradict."""
    by_seq = {e.seq: e for e in entries}
    seqs = sorted(by_seq)
    last = seqs[-1] if seqs else 0
    own_key = key_id(public)
    problems: list[AnchorProblem] = []
    for line, anchor in anchors:
        problem = _signature_problem(anchor, public, own_key) or _stored_problem(
            anchor, by_seq, seqs, last
        )
        if problem:
            problems.append(AnchorProblem(line, problem))
    return problems


def _signature_problem(anchor: Anchor, public: Ed25519PublicKey, own_key: str) -> str:
    if anchor.key != own_key:
        return f"signed by key {anchor.key}, not by the configured key {own_key}"
    try:
        public.verify(base64.b64decode(anchor.signature, validate=True), anchor.signed_bytes())
    except (InvalidSignature, ValueError):
        return "signature does not verify: the anchor was edited or forged"
    return ""


def _stored_problem(
    anchor: Anchor, by_seq: Mapping[int, AuditEntry], seqs: list[int], last: int
) -> str:
    at = f"the anchor of {anchor.at} saw {anchor.entries} entries up to seq {anchor.seq}"
    if anchor.seq > last:
        return (
            f"entries deleted at the end: {at}, the log now ends at seq {last} "
            f"({anchor.seq - last} or more newest entries missing, or the table truncated)"
        )
    stored = by_seq.get(anchor.seq) if anchor.seq else None
    if anchor.seq and stored is None:
        return f"entry seq {anchor.seq} is missing: {at}"
    found = stored.hash if stored is not None else "0" * 64
    if found != anchor.hash:
        return (
            f"entry seq {anchor.seq} rewritten: {at} with hash {anchor.hash[:12]}…, "
            f"it now hashes {found[:12]}… (the chain after it was recomputed or replaced)"
        )
    count = _count_upto(seqs, anchor.seq)
    if count != anchor.entries:
        return f"{count} entries stored up to seq {anchor.seq}, but {at}: entries were removed or added"
    return ""


def _count_upto(seqs: list[int], seq: int) -> int:
    return bisect_right(seqs, seq)
