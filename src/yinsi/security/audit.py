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

from yinsi.security.clear_pi import first_clear_pi, may_hold_clear_pi
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


_QUOTE = json.JSONEncoder(ensure_ascii=False).encode
"""A string as ``json.dumps(..., ensure_ascii=False)`` quotes it (no other work for a str)."""


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
    entry, _ = chained(
        prev,
        at=at,
        actor=actor,
        action=action,
        app_id=app_id,
        subject_id=subject_id,
        details=details,
    )
    return entry


def chained(
    prev: AuditEntry | AuditHead | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    app_id: str,
    subject_id: str | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> tuple[AuditEntry, str]:
    """:func:`chain`, and the canonical JSON of the entry's details — the text a log
    stores — encoded once: the details are turned into JSON once, that text is checked
    for personal information in clear (:func:`may_hold_clear_pi` first; the walk only when
    it may hold some) and spliced into the hashed body (the same bytes as
    :func:`canonical`)."""
    head = prev or AuditHead()
    where = f"seq {head.seq + 1} ({action})"
    if at.utcoffset() is None:
        raise AuditRecordRejected(where, "the time has no timezone", "pass datetime.now(UTC)")
    plain, text = _plain_json(details or {}, where)
    if may_hold_clear_pi(f"{actor}\x00{subject_id or ''}\x00{text}"):  # \x00: no run spans two
        _refuse_clear_pi({"actor": actor, "subject_id": subject_id, "details": plain}, where)
    when = at if at.tzinfo is UTC else at.astimezone(UTC)
    seq = head.seq + 1
    body = _body(seq, when, actor, action, app_id, subject_id, text, head.hash)
    digest = hashlib.sha256(head.hash.encode("ascii") + body.encode("utf-8")).hexdigest()
    entry = AuditEntry(seq, when, actor, action, app_id, subject_id, plain, head.hash, digest)
    return entry, text


def _body(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    app_id: str,
    subject_id: str | None,
    details: str,
    prev_hash: str,
) -> str:
    """:func:`canonical`'s text with the details' JSON already made: the keys in sorted
    order, each string quoted as ``json.dumps(..., ensure_ascii=False)`` quotes it."""
    quote = _QUOTE
    subject = "null" if subject_id is None else quote(subject_id)
    return (
        f'{{"action":{quote(action)},"actor":{quote(actor)},"app_id":{quote(app_id)},'
        f'"at":{quote(utc_text(at))},"details":{details},"prev_hash":{quote(prev_hash)},'
        f'"seq":{int(seq)},"subject_id":{subject}}}'
    )


def _plain_json(details: Mapping[str, Any], where: str) -> tuple[dict[str, Any], str]:
    """A deep copy of ``details`` as plain JSON (tuples become lists, keys sorted), so the
    hash is stable, and its canonical JSON text. Details of ids, counts and lists of ids
    (nearly all) are copied directly; anything else goes through a JSON round trip."""
    plain: dict[str, Any] = {}
    keys = list(details)
    if all(type(key) is str for key in keys):
        for key in sorted(keys):
            value = details[key]
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                plain[key] = value
            elif (kind is list or kind is tuple) and all(type(v) is str for v in value):
                plain[key] = list(value)
            else:
                break
        else:
            return plain, canonical_json(plain)
    try:
        text = json.dumps(dict(details), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuditRecordRejected(
            where,
            f"details are not JSON ({exc})",
            "pass str, int, float, bool, None, lists, dicts",
        ) from None
    plain = json.loads(text)
    return plain, canonical_json(plain)


def _refuse_clear_pi(values: Mapping[str, object], where: str) -> None:
    found = first_clear_pi(values, "entry")
    if found is not None:
        path, kind = found
        raise AuditRecordRejected(
            where,
            f"{path.removeprefix('entry.')} is {kind} in clear",
            "log the subject's opaque id or a salted hash instead (PIPL Art. 51)",
        )
