"""The source register and the acquisition ledger on SQL (X18), audited.

``sources`` holds one vetting record per provider (来源审查记录: legal ground, scope,
authorisation, validity, revocation); ``acquisitions`` one row per allowed acquisition
(subject, source, elements, scenario, purpose, the consents it relied on). No PI: ids,
element names, dates. The port is :class:`~yinsi.storage.sources_ports.SourceStore`.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.lifecycle.sourcing import Acquisition, AuthorisedBy, Source, SourceError
from yinsi.storage.columns import JsonType, UtcDateTime
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.sources_ports import SourceStore
from yinsi.storage.statements import Clock, ensure_app
from yinsi.storage.tables import Base, BigId, Id

__all__ = ["AcquisitionRow", "SourceRow", "SqlSourceStore"]

Name = String(32)


class SourceRow(Base):
    """A vetted data provider (来源审查记录, X18); a re-vetting replaces a revoked one."""

    __tablename__ = "sources"

    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"), primary_key=True)
    source_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    party: Mapped[str | None] = mapped_column(Id)
    legal_ground: Mapped[str] = mapped_column(Text)
    elements: Mapped[list[str]] = mapped_column(JsonType)
    scenarios: Mapped[list[str]] = mapped_column(JsonType)
    authorised_by: Mapped[str] = mapped_column(Name)
    authorisation_ref: Mapped[str] = mapped_column(Text)
    vetted_by: Mapped[str] = mapped_column(Id)
    vetted_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(Id)
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class AcquisitionRow(Base):
    """PI obtained from a vetted source for one subject (X18)."""

    __tablename__ = "acquisitions"
    __table_args__ = (Index("ix_acquisitions_subject", "app_id", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    subject_id: Mapped[str] = mapped_column(Id)
    source_id: Mapped[str] = mapped_column(Id)
    elements: Mapped[list[str]] = mapped_column(JsonType)
    scenario: Mapped[str] = mapped_column(Id)
    purpose: Mapped[str] = mapped_column(Id)
    consent_ids: Mapped[list[str]] = mapped_column(JsonType)
    policy_version: Mapped[str | None] = mapped_column(Id)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(Id)


class SqlSourceStore(SourceStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def add(self, source: Source) -> None:
        row = self._session.get(SourceRow, (source.app_id, source.source_id))
        if row is not None and row.revoked_at is None:
            raise SourceError(
                f"source {source.source_id!r} is already vetted (until "
                f"{row.valid_until.isoformat()}); revoke it first to record a new vetting"
            )
        ensure_app(self._session, source.app_id, self._clock)
        if row is None:
            row = SourceRow(app_id=source.app_id, source_id=source.source_id)
            self._session.add(row)
        row.name = source.name
        row.party = source.party
        row.legal_ground = source.legal_ground
        row.elements = list(source.elements)
        row.scenarios = list(source.scenarios)
        row.authorised_by = source.authorised_by.value
        row.authorisation_ref = source.authorisation_ref
        row.vetted_by = source.vetted_by
        row.vetted_on = source.vetted_on
        row.valid_until = source.valid_until
        row.revoked_at = row.revoked_by = row.revoke_reason = None
        self._session.flush()
        self._audit.append(
            source.vetted_by,
            "source.vetted",
            source.app_id,
            None,
            {
                "source": source.source_id,
                "legal_ground": source.legal_ground,
                "elements": list(source.elements),
                "scenarios": list(source.scenarios),
                "authorised_by": source.authorised_by.value,
                "valid_until": source.valid_until.isoformat(),
            },
        )

    def get(self, app_id: str, source_id: str) -> Source | None:
        row = self._session.get(SourceRow, (app_id, source_id))
        return None if row is None else _source(row)

    def list(self, app_id: str) -> builtins.list[Source]:
        rows = self._session.scalars(
            select(SourceRow).where(SourceRow.app_id == app_id).order_by(SourceRow.source_id)
        )
        return [_source(r) for r in rows]

    def revoke(
        self, app_id: str, source_id: str, *, at: datetime, actor: str, reason: str
    ) -> Source:
        row = self._session.get(SourceRow, (app_id, source_id))
        if row is None:
            raise SourceError(f"source {source_id!r} of {app_id} was never vetted")
        if row.revoked_at is None:
            row.revoked_at = utc(at, "the time of a revocation")
            row.revoked_by = actor
            row.revoke_reason = reason
            self._session.flush()
            self._audit.append(
                actor, "source.revoked", app_id, None, {"source": source_id, "reason": reason}
            )
        return _source(row)

    def record(self, acquisition: Acquisition) -> Acquisition:
        if acquisition.id is not None:
            raise ValueError(f"acquisition {acquisition.id} is already in the ledger")
        row = AcquisitionRow(
            app_id=acquisition.app_id,
            subject_id=acquisition.subject_id,
            source_id=acquisition.source_id,
            elements=list(acquisition.elements),
            scenario=acquisition.scenario,
            purpose=acquisition.purpose,
            consent_ids=list(acquisition.consent_ids),
            policy_version=acquisition.policy_version,
            at=utc(acquisition.at, "the time of an acquisition"),
            actor=acquisition.actor,
        )
        self._session.add(row)
        self._session.flush()
        self._audit.append(
            acquisition.actor,
            "acquisition.recorded",
            acquisition.app_id,
            acquisition.subject_id,
            {
                "acquisition_id": row.id,
                "source": acquisition.source_id,
                "elements": list(acquisition.elements),
                "scenario": acquisition.scenario,
                "purpose": acquisition.purpose,
                "consents": list(acquisition.consent_ids),
            },
        )
        return _acquisition(row)

    def acquisitions(self, app_id: str, subject_id: str) -> builtins.list[Acquisition]:
        rows = self._session.scalars(
            select(AcquisitionRow)
            .where(AcquisitionRow.app_id == app_id, AcquisitionRow.subject_id == subject_id)
            .order_by(AcquisitionRow.at, AcquisitionRow.id)
        )
        return [_acquisition(r) for r in rows]


def _source(row: SourceRow) -> Source:
    return Source(
        app_id=row.app_id,
        source_id=row.source_id,
        name=row.name,
        legal_ground=row.legal_ground,
        elements=tuple(row.elements),
        scenarios=tuple(row.scenarios),
        authorised_by=AuthorisedBy(row.authorised_by),
        authorisation_ref=row.authorisation_ref,
        vetted_by=row.vetted_by,
        vetted_on=row.vetted_on,
        valid_until=row.valid_until,
        party=row.party,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
    )


def _acquisition(row: AcquisitionRow) -> Acquisition:
    return Acquisition(
        app_id=row.app_id,
        subject_id=row.subject_id,
        source_id=row.source_id,
        elements=tuple(row.elements),
        scenario=row.scenario,
        purpose=row.purpose,
        consent_ids=tuple(row.consent_ids),
        policy_version=row.policy_version,
        at=row.at,
        actor=row.actor,
        id=row.id,
    )
