"""The rows of rights requests (issue 5): requests, their history, plans, challenges, holds.

Same :class:`~yinsi.storage.tables.Base` as the other tables (one metadata, one migration
history); kept apart because it is one concept. :mod:`yinsi.storage.rights_mapping`
converts these rows to the domain's types of :mod:`yinsi.rights` and back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yinsi.storage.columns import JsonType, UtcDateTime
from yinsi.storage.tables import Base, Id, Sha256

Name = String(32)
"""Enum values: kinds, statuses, channels, methods, actions."""


class RightsRequestRow(Base):
    """A rights request as it stands now; its transitions are rows of ``rights_transitions``."""

    __tablename__ = "rights_requests"
    __table_args__ = (
        Index("ix_rights_requests_queue", "app_id", "status", "due_date"),
        Index("ix_rights_requests_subject", "app_id", "subject_id"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    subject_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(Name)
    status: Mapped[str] = mapped_column(Name)
    channel: Mapped[str] = mapped_column(Name)
    requester_relation: Mapped[str | None] = mapped_column(Name)
    requester_name: Mapped[str | None] = mapped_column(Id)
    trigger: Mapped[str | None] = mapped_column(Name)
    consent_id: Mapped[str | None] = mapped_column(Id)
    corrections: Mapped[dict[str, str]] = mapped_column(JsonType)
    """New values by element id: personal information, emptied once executed."""
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_working_days: Mapped[int | None] = mapped_column(Integer)
    due_counted_from: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool | None] = mapped_column(Boolean)
    due_target: Mapped[date | None] = mapped_column(Date)
    due_warning: Mapped[str | None] = mapped_column(Text)
    refusal_ground: Mapped[str | None] = mapped_column(Id)
    refusal_text: Mapped[str | None] = mapped_column(Text)
    refusal_remedy: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    transitions: Mapped[int] = mapped_column(Integer)
    """How many transitions are stored: with ``status``, what a save checks is unchanged."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(Id, default=None)
    """The run executing the request now (:mod:`yinsi.storage.claims`); None: nobody."""
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    """When that claim lapses unless renewed; another run may then take it over."""


class RightsTransitionRow(Base):
    """One step of a request's history (n = 1, 2, …); never changed once stored."""

    __tablename__ = "rights_transitions"

    request_id: Mapped[str] = mapped_column(Id, ForeignKey("rights_requests.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(Name)
    actor: Mapped[str] = mapped_column(Id)
    note: Mapped[str] = mapped_column(Text)


class RightsStepRow(Base):
    """One step of a request's execution plan, with its outcome once run."""

    __tablename__ = "rights_steps"

    request_id: Mapped[str] = mapped_column(Id, ForeignKey("rights_requests.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(Name)
    dataset: Mapped[str | None] = mapped_column(Id)
    keys: Mapped[list[str]] = mapped_column(JsonType)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(Name)
    attempts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[dict[str, Any]] = mapped_column(JsonType)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RightsChallengeRow(Base):
    """The current identity challenge of a request for one method; a new one replaces it."""

    __tablename__ = "rights_challenges"

    request_id: Mapped[str] = mapped_column(Id, ForeignKey("rights_requests.id"), primary_key=True)
    method: Mapped[str] = mapped_column(Name, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(Sha256)
    """Salted hash of the code or ID-number suffix, never the answer itself."""
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LegalHoldRow(Base):
    """A legal hold on a subject's data (a dispute, a court order); released, never deleted."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_subject", "app_id", "subject_id"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    subject_id: Mapped[str] = mapped_column(Id)
    dataset: Mapped[str | None] = mapped_column(Id)
    """None: every dataset of the subject."""
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(Id)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
