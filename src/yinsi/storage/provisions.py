"""The provision ledger on SQL: append-only, audited by ids, never PI values."""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision
from yinsi.storage.lifecycle_ports import ProvisionLedger
from yinsi.storage.lifecycle_tables import EntrustmentEndRow, ProvisionRow
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, ensure_app, upsert


class SqlProvisionLedger(ProvisionLedger):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def record(self, provision: Provision) -> Provision:
        if provision.id is not None:
            raise ValueError(
                f"provision {provision.id} is already in the ledger; record a new provision "
                "with id=None (the ledger assigns it)"
            )
        ensure_app(self._session, provision.app_id, self._clock)
        row = ProvisionRow(
            app_id=provision.app_id,
            subject_id=provision.subject_id,
            recipient=provision.recipient,
            elements=list(provision.elements),
            purpose=provision.purpose,
            basis=provision.basis,
            consent_id=provision.consent_id,
            de_identified=provision.de_identified,
            policy_version=provision.policy_version,
            at=utc(provision.at, "the time of a provision"),
            actor=provision.actor,
        )
        self._session.add(row)
        self._session.flush()
        self._audit.append(
            provision.actor,
            "provision.recorded",
            provision.app_id,
            provision.subject_id,
            {
                "provision_id": row.id,
                "recipient": provision.recipient,
                "elements": list(provision.elements),
                "purpose": provision.purpose,
                "basis": provision.basis,
            },
        )
        return _provision(row)

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
