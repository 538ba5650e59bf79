"""The rows of the lifecycle (issue 6): the provision ledger, entrustment ends, incidents.

Same :class:`~yinsi.storage.tables.Base` as the other tables; no PI values are stored:
element ids, recipient ids, subject ids, times and references only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yinsi.storage.columns import JsonType, UtcDateTime
from yinsi.storage.tables import Base, BigId, Id

Name = String(32)


class ProvisionRow(Base):
    """One provision of PI to a recipient (who received what, when, on which basis)."""

    __tablename__ = "provisions"
    __table_args__ = (
        Index("ix_provisions_subject", "app_id", "subject_id"),
        Index("ix_provisions_recipient", "app_id", "recipient"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    subject_id: Mapped[str] = mapped_column(Id)
    recipient: Mapped[str] = mapped_column(Id)
    elements: Mapped[list[str]] = mapped_column(JsonType)
    purpose: Mapped[str] = mapped_column(Id)
    basis: Mapped[str] = mapped_column(Id)
    consent_id: Mapped[str | None] = mapped_column(Id)
    de_identified: Mapped[str] = mapped_column(Name)
    policy_version: Mapped[str | None] = mapped_column(Id)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(Id)


class EntrustmentEndRow(Base):
    """A deletion instruction sent to an entrusted processor, and its confirmation (X21)."""

    __tablename__ = "entrustment_ends"

    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"), primary_key=True)
    recipient: Mapped[str] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(Name)
    dataset: Mapped[str | None] = mapped_column(Id)
    instructed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    subjects: Mapped[int] = mapped_column(Integer)
    affected: Mapped[int] = mapped_column(Integer)
    confirmation: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Id)


class IncidentRow(Base):
    """A security incident (PIPL Art. 57); its affected subjects are rows of
    ``incident_subjects``."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_app", "app_id", "status"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    title: Mapped[str] = mapped_column(Text)
    what_happened: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    datasets: Mapped[list[str]] = mapped_column(JsonType)
    elements: Mapped[list[str]] = mapped_column(JsonType)
    possible_harm: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    user_advice: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Name)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[str] = mapped_column(Id)
    affected_count: Mapped[int | None] = mapped_column(Integer)
    unlinked_records: Mapped[int] = mapped_column(Integer)
    notifications: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closing_note: Mapped[str] = mapped_column(Text)


class IncidentSubjectRow(Base):
    """A subject affected by an incident (ids only)."""

    __tablename__ = "incident_subjects"

    incident_id: Mapped[str] = mapped_column(Id, ForeignKey("incidents.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(Id, primary_key=True)
