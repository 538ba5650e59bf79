"""The provision ledger on SQL: append-only, audited by ids, never PI values."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision
from yinsi.security import JsonValue
from yinsi.storage.audit import append_on_cursor
from yinsi.storage.dbapi_writes import DbapiStatement, dbapi_cursor
from yinsi.storage.lifecycle_ports import ProvisionLedger
from yinsi.storage.lifecycle_tables import EntrustmentEndRow, ProvisionRow
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, ensure_app, ensure_app_on, upsert

_TABLE = cast(Table, ProvisionRow.__table__)
_COLUMNS = (
    "app_id",
    "subject_id",
    "recipient",
    "elements",
    "purpose",
    "basis",
    "consent_id",
    "de_identified",
    "policy_version",
    "at",
    "actor",
)
_INSERT = (
    insert(_TABLE)
    .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS})
    .returning(_TABLE.c.id)
)
"""One statement per provision, built once: its values are bound at each call, so the
compiled form is reused (no ORM object, no flush, no re-read of the row)."""
_INSERT_DBAPI = DbapiStatement(_INSERT)
"""On SQLite it runs on the DBAPI cursor of the unit of work (see :mod:`.dbapi_writes`)."""


def _stamped(provision: Provision) -> tuple[Provision, dict[str, object]]:
    """``provision`` with its time checked as UTC, and its ``provisions`` row values."""
    if provision.id is not None:
        raise ValueError(
            f"provision {provision.id} is already in the ledger; record a new provision "
            "with id=None (the ledger assigns it)"
        )
    at = utc(provision.at, "the time of a provision")
    values: dict[str, object] = {
        "app_id": provision.app_id,
        "subject_id": provision.subject_id,
        "recipient": provision.recipient,
        "elements": list(provision.elements),
        "purpose": provision.purpose,
        "basis": provision.basis,
        "consent_id": provision.consent_id,
        "de_identified": provision.de_identified,
        "policy_version": provision.policy_version,
        "at": at,
        "actor": provision.actor,
    }
    return (provision if at is provision.at else replace(provision, at=at)), values


def recorded_details(provision: Provision, provision_id: int) -> dict[str, JsonValue]:
    """The details of the ``provision.recorded`` audit entry: ids, never PI values."""
    return {
        "provision_id": provision_id,
        "recipient": provision.recipient,
        "elements": list(provision.elements),
        "purpose": provision.purpose,
        "basis": provision.basis,
    }


def insert_on_cursor(
    cursor: Any,
    dialect: Dialect,
    clock: Clock,
    values: Mapping[str, object],
    *,
    app_known: bool = False,
) -> int:
    """The provision row (and the app row when missing, unless ``app_known``: the caller
    read a row that references it in this transaction) inserted on the DBAPI cursor of a
    SQLite transaction holding the write lock; its id."""
    if not app_known:
        ensure_app_on(cursor, dialect, cast(str, values["app_id"]), clock)
    return int(_INSERT_DBAPI.run(cursor, dialect, values).fetchone()[0])


def record_on_cursor(
    cursor: Any, dialect: Dialect, clock: Clock, provision: Provision, *, app_known: bool = False
) -> Provision:
    """:meth:`SqlProvisionLedger.record` on a DBAPI cursor (see :func:`insert_on_cursor`):
    the row, then its audit entry, in the cursor's transaction."""
    stored, values = _stamped(provision)
    provision_id = insert_on_cursor(cursor, dialect, clock, values, app_known=app_known)
    append_on_cursor(
        cursor,
        dialect,
        clock,
        provision.actor,
        "provision.recorded",
        provision.app_id,
        provision.subject_id,
        recorded_details(stored, provision_id),
    )
    return replace(stored, id=provision_id)


class SqlProvisionLedger(ProvisionLedger):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def record(self, provision: Provision) -> Provision:
        stored, values = _stamped(provision)
        provision_id = self._insert(values)
        self._audit.append(
            provision.actor,
            "provision.recorded",
            provision.app_id,
            provision.subject_id,
            recorded_details(stored, provision_id),
        )
        return replace(stored, id=provision_id)

    def _insert(self, values: Mapping[str, object]) -> int:
        """The provision row (and the app row when missing) inserted; its id."""
        app_id = cast(str, values["app_id"])
        if self._session.get_bind().dialect.name != "sqlite":
            ensure_app(self._session, app_id, self._clock)
            return int(self._session.connection().execute(_INSERT, values).scalar_one())
        cursor, dialect = dbapi_cursor(self._session)
        try:
            return insert_on_cursor(cursor, dialect, self._clock, values)
        finally:
            cursor.close()

    def of_subject(self, app_id: str, subject_id: str) -> builtins.list[Provision]:
        rows = self._session.scalars(
            select(ProvisionRow)
            .where(ProvisionRow.app_id == app_id, ProvisionRow.subject_id == subject_id)
            .order_by(ProvisionRow.at, ProvisionRow.id)
        )
        return [_provision(r) for r in rows]

    def subjects_of(self, app_id: str, recipient: str) -> builtins.list[str]:
        found = self._session.scalars(
            select(ProvisionRow.subject_id)
            .where(ProvisionRow.app_id == app_id, ProvisionRow.recipient == recipient)
            .distinct()
            .order_by(ProvisionRow.subject_id)
        )
        return list(found)

    def save_entrustment_end(self, end: EntrustmentEndStatus) -> None:
        ensure_app(self._session, end.app_id, self._clock)
        confirmed = end.confirmed_at
        upsert(
            self._session,
            EntrustmentEndRow,
            {
                "app_id": end.app_id,
                "recipient": end.recipient,
                "status": end.status,
                "dataset": end.dataset,
                "instructed_at": utc(end.instructed_at, "the time of a deletion instruction"),
                "subjects": end.subjects,
                "affected": end.affected,
                "confirmation": end.confirmation,
                "confirmed_at": None if confirmed is None else utc(confirmed, "confirmed_at"),
                "error": end.error,
                "actor": end.actor,
            },
            ["app_id", "recipient"],
        )
        self._audit.append(
            end.actor,
            f"entrustment.end.{end.status}",
            end.app_id,
            None,
            {
                "recipient": end.recipient,
                "dataset": end.dataset,
                "subjects": end.subjects,
                "affected": end.affected,
                "confirmation": end.confirmation,
            },
        )

    def entrustment_end(self, app_id: str, recipient: str) -> EntrustmentEndStatus | None:
        row = self._session.scalars(
            select(EntrustmentEndRow)
            .where(EntrustmentEndRow.app_id == app_id, EntrustmentEndRow.recipient == recipient)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            return None
        return EntrustmentEndStatus(
            app_id=row.app_id,
            recipient=row.recipient,
            status=row.status,
            instructed_at=row.instructed_at,
            actor=row.actor,
            dataset=row.dataset,
            subjects=row.subjects,
            affected=row.affected,
            confirmation=row.confirmation,
            confirmed_at=row.confirmed_at,
            error=row.error,
        )


def _provision(row: ProvisionRow) -> Provision:
    return Provision(
        app_id=row.app_id,
        subject_id=row.subject_id,
        recipient=row.recipient,
        elements=tuple(row.elements),
        purpose=row.purpose,
        basis=row.basis,
        at=row.at,
        actor=row.actor,
        consent_id=row.consent_id,
        de_identified=row.de_identified,
        policy_version=row.policy_version,
        id=row.id,
    )
