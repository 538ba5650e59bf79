"""The audit log's entries and their hash chain (PIPL Art. 54 compliance audits, Art. 51).

Every entry carries the hash of the one before it, so editing, deleting or reordering
any stored entry breaks the chain where it happened (see :mod:`yinsi.security.verify`)::

    hash = sha256(prev_hash + canonical(entry without hash))

``canonical`` is compact JSON with sorted keys, UTF-8, the time as ISO 8601 UTC. The
first entry (seq 1) chains to :data:`GENESIS`, 64 zeros. Entries name people by opaque
ids and hold no personal information in clear (Art. 51): :func:`chain` refuses a value
that is a phone number, an ID card number or an e-mail address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

from yinsi.security.clear_pi import first_clear_pi
from yinsi.security.errors import AuditRecordRejected

JsonValue: TypeAlias = (
    "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
)

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""


@dataclass(frozen=True, slots=True)
class AuditHead:
    """Where the chain ends: the last entry's seq and hash (seq 0 and GENESIS when empty)."""

    seq: int = 0
    hash: str = GENESIS


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action: who (``actor``, an API key id or ``"cli"``) did what, when."""

    seq: int
    at: datetime
    """Aware, UTC."""
    actor: str
    action: str
    """Dotted, past tense: ``consent.granted``, ``policy.published``."""
    app_id: str
    subject_id: str | None
    details: Mapping[str, JsonValue] = field(hash=False)
    """Ids, versions, counts and hashes; never personal information in clear."""
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """Compact JSON, keys sorted, non-ASCII kept: one text per value, so one hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers: every field but ``hash``."""
    body = {
        "seq": entry.seq,
        "at": utc_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "app_id": entry.app_id,
        "subject_id": entry.subject_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return canonical_json(body).encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    """``sha256(prev_hash + canonical(entry without hash))``, hex."""
    return hashlib.sha256(entry.prev_hash.encode("ascii") + canonical(entry)).hexdigest()


def chain(
    prev: AuditEntry | AuditHead | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    app_id: str,
    subject_id: str | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> AuditEntry:
    """The entry after ``prev`` (None: the first entry), hashed.

    Raises :class:`AuditRecordRejected` for a naive ``at``, details that are not JSON,
    or a value that is personal information in clear.
    """
    head = prev or AuditHead()
    where = f"seq {head.seq + 1} ({action})"
    if at.utcoffset() is None:
        raise AuditRecordRejected(where, "the time has no timezone", "pass datetime.now(UTC)")
    plain = _plain_json(dict(details or {}), where)
    _refuse_clear_pi({"actor": actor, "subject_id": subject_id, "details": plain}, where)
    when = at if at.tzinfo is UTC else at.astimezone(UTC)
    seq = head.seq + 1
    unhashed = AuditEntry(seq, when, actor, action, app_id, subject_id, plain, head.hash, "")
    digest = entry_hash(unhashed)
    return AuditEntry(seq, when, actor, action, app_id, subject_id, plain, head.hash, digest)


def _plain_json(details: dict[str, Any], where: str) -> dict[str, Any]:
    """A deep copy of ``details`` as plain JSON (tuples become lists), so the hash is stable."""
    try:
        text = json.dumps(details, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuditRecordRejected(
            where,
            f"details are not JSON ({exc})",
            "pass str, int, float, bool, None, lists, dicts",
        ) from None
    plain: dict[str, Any] = json.loads(text)
    return plain


def _refuse_clear_pi(values: Mapping[str, object], where: str) -> None:
    found = first_clear_pi(values, "entry")
    if found is not None:
        path, kind = found
        raise AuditRecordRejected(
            where,
            f"{path.removeprefix('entry.')} is {kind} in clear",
            "log the subject's opaque id or a salted hash instead (PIPL Art. 51)",
        )
