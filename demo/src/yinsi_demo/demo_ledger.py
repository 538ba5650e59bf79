"""Write a consent history in one transaction: the rows :class:`yinsi.Engine` writes.

The demo tenant's users have thousands of consent events (registrations, grants and
withdrawals over years). :meth:`Engine.grant` and friends store one event per unit of
work (a few ms each on SQLite: a locked read, two inserts, two updates), which would
take tens of seconds. :func:`append_history` writes the same rows for a whole batch:
each event in the subject's ledger (``seq`` counted on from the stored state), the
subject's state row folded with :func:`yinsi.consent.apply`, and one audit entry per
event chained from the audit head with the details the Engine records — so the ledger
replays to the stored state and ``yinsi audit verify`` holds.

It checks no rule (that the version is published, that the item exists): the caller
(:mod:`yinsi_demo.demo_plan`) only plans events the Engine would accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from yinsi.consent import ConsentEvent, apply
from yinsi.security import AuditEntry, AuditHead, JsonValue, canonical_json, chain
from yinsi.storage.mapping import empty_state_values, state_from_row, utc, write_state
from yinsi.storage.statements import ensure_app
from yinsi.storage.tables import AuditEntryRow, AuditHeadRow, ConsentEventRow, ConsentStateRow

_CHUNK = 500
"""Subjects per ``IN`` list when the state rows are read."""


def append_history(db: SqlEngine, events: Sequence[ConsentEvent], *, actor: str) -> int:
    """Append ``events`` (each subject's in order, times aware) to the consent ledger and
    the audit log, in one transaction; returns how many were written."""
    if not events:
        return 0
    with Session(db, autoflush=False, expire_on_commit=False) as session, session.begin():
        for app_id in sorted({e.app_id for e in events}):
            ensure_app(session, app_id, lambda: events[0].at)
        rows = _state_rows(session, {(e.app_id, e.subject_id) for e in events})
        states = {key: state_from_row(row) for key, row in rows.items()}
        head_row = session.scalars(select(AuditHeadRow).with_for_update()).one()
        head = AuditHead(head_row.seq, head_row.hash)
        event_rows: list[dict[str, object]] = []
        audit_rows: list[dict[str, object]] = []
        for event in events:
            key = (event.app_id, event.subject_id)
            stored = replace(event, seq=states[key].last_seq + 1)
            states[key] = apply(states[key], stored)
            event_rows.append(_event_values(stored))
            entry = chain(
                head,
                at=event.at,
                actor=actor,
                action=f"consent.{event.kind.value}",
                app_id=event.app_id,
                subject_id=event.subject_id,
                details=_details(stored),
            )
            audit_rows.append(_entry_values(entry))
            head = AuditHead(entry.seq, entry.hash)
        session.execute(insert(ConsentEventRow), event_rows)
        session.execute(insert(AuditEntryRow), audit_rows)
        for key, state in states.items():
            write_state(rows[key], state)
        head_row.seq, head_row.hash = head.seq, head.hash
    return len(events)


def _event_values(event: ConsentEvent) -> dict[str, object]:
    """The columns :func:`yinsi.storage.mapping.event_row` fills, as a bulk INSERT takes
    them (building an ORM object per row would cost more than the rest of the write)."""
    evidence = event.evidence
    return {
        "app_id": event.app_id,
        "subject_id": event.subject_id,
        "seq": event.seq,
        "kind": event.kind.value,
        "policy_version": event.policy_version,
        "consent_id": event.consent_id,
        "element": event.element,
        "at": utc(event.at, "the event's time (at)"),
        "channel": evidence.channel.value,
        "account": evidence.account,
        "signature_sha256": evidence.signature_sha256,
        "client_ip": evidence.client_ip,
        "user_agent": evidence.user_agent,
    }


def _entry_values(entry: AuditEntry) -> dict[str, object]:
    """The columns :func:`yinsi.storage.audit.entry_row` fills, for a bulk INSERT."""
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "app_id": entry.app_id,
        "subject_id": entry.subject_id,
        "details": canonical_json(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _details(event: ConsentEvent) -> dict[str, JsonValue]:
    """What :class:`yinsi.Engine` records in the audit entry of a consent event."""
    details: dict[str, JsonValue] = {
        "seq": event.seq,
        "policy_version": event.policy_version,
        "consent_id": event.consent_id,
        "channel": event.evidence.channel.value,
    }
    if event.element is not None:
        details["element"] = event.element
    return details


def _state_rows(
    session: Session, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], ConsentStateRow]:
    """The subjects' state rows, locked; rows made for subjects never seen."""
    ordered = sorted(keys)
    found: dict[tuple[str, str], ConsentStateRow] = {}
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = (
            select(ConsentStateRow)
            .where(tuple_(ConsentStateRow.app_id, ConsentStateRow.subject_id).in_(chunk))
            .with_for_update()
        )
        for row in session.scalars(query):
            found[(row.app_id, row.subject_id)] = row
    for app_id, subject_id in ordered:
        if (app_id, subject_id) not in found:
            row = ConsentStateRow(**empty_state_values(app_id, subject_id))
            session.add(row)
            found[(app_id, subject_id)] = row
    return found


def subjects_of(db: SqlEngine, app_id: str) -> int:
    """How many subjects of ``app_id`` the consent ledger holds."""
    with db.connect() as conn:
        query = select(func.count()).where(ConsentStateRow.app_id == app_id)
        return int(conn.execute(query).scalar_one())
