"""Legal holds on SQL: added and released by staff, each audited; never deleted.

The audit entries name the hold, its dataset and end date, never its reason (free text
that may describe the subject).
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yinsi.rights.holds import LegalHold
from yinsi.storage.errors import HoldExists, HoldNotFound
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.rights_mapping import hold_from_row, hold_row
from yinsi.storage.rights_ports import LegalHoldStore
from yinsi.storage.rights_tables import LegalHoldRow
from yinsi.storage.statements import Clock, ensure_app

_HOLDS = cast(Table, LegalHoldRow.__table__)
_ACTIVE = (
    select(_HOLDS)
    .where(
        _HOLDS.c.app_id == bindparam("app"),
        _HOLDS.c.subject_id == bindparam("subject"),
        _HOLDS.c.released_at.is_(None),
        or_(_HOLDS.c.until.is_(None), _HOLDS.c.until >= bindparam("today")),
    )
    .order_by(_HOLDS.c.created_at, _HOLDS.c.id)
)
"""The holds in force today on one subject, oldest first (:meth:`SqlLegalHoldStore.active`)."""


class SqlLegalHoldStore(LegalHoldStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def add(self, hold: LegalHold, *, actor: str) -> None:
        if self._row(hold.id, lock=False) is not None:
            raise HoldExists(hold.id)
        ensure_app(self._session, hold.app_id, self._clock)
        try:
            with self._session.begin_nested():
                self._session.add(hold_row(hold))
                self._session.flush()
        except IntegrityError as exc:  # a concurrent add of the same id won
            if self._row(hold.id, lock=False) is not None:
                raise HoldExists(hold.id) from exc
            raise
        self._audit.append(
            actor,
            "legal_hold.added",
            hold.app_id,
            hold.subject_id,
            {
                "hold_id": hold.id,
                "dataset": hold.dataset,
                "until": None if hold.until is None else hold.until.isoformat(),
            },
        )

    def active(self, app_id: str, subject_id: str, today: date) -> builtins.list[LegalHold]:
        """One Core statement built once (a run reads its subject's holds before planning:
        no ORM objects to build)."""
        values = {"app": app_id, "subject": subject_id, "today": today}
        rows = self._session.connection().execute(_ACTIVE, values)
        return [hold_from_row(r) for r in rows]

    def in_force(self, app_id: str, today: date) -> builtins.list[LegalHold]:
        return self._in_force(app_id, today)

    def _in_force(
        self, app_id: str, today: date, *where: ColumnElement[bool]
    ) -> builtins.list[LegalHold]:
        rows = self._session.scalars(
            select(LegalHoldRow)
            .where(
                LegalHoldRow.app_id == app_id,
                LegalHoldRow.released_at.is_(None),
                or_(LegalHoldRow.until.is_(None), LegalHoldRow.until >= today),
                *where,
            )
            .order_by(LegalHoldRow.subject_id, LegalHoldRow.created_at, LegalHoldRow.id)
            .execution_options(populate_existing=True)
        )
        return [hold_from_row(r) for r in rows]

    def release(self, hold_id: str, *, actor: str, at: datetime) -> LegalHold:
        row = self._row(hold_id, lock=True)
        if row is None:
            raise HoldNotFound(hold_id)
        if row.released_at is None:
            row.released_at = utc(at, f"the release time of legal hold {hold_id}")
            self._session.flush()
            self._audit.append(
                actor, "legal_hold.released", row.app_id, row.subject_id, {"hold_id": hold_id}
            )
        return hold_from_row(row)

    def _row(self, hold_id: str, *, lock: bool) -> LegalHoldRow | None:
        query = (
            select(LegalHoldRow)
            .where(LegalHoldRow.id == hold_id)
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(query.with_for_update() if lock else query).one_or_none()
