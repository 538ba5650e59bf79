"""The database rows: SQLAlchemy 2 typed declarative classes, separate from the domain.

The domain's frozen dataclasses never see these; :mod:`yinsi.storage.mapping` converts.
A change here needs a new migration in ``migrations/versions`` (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yinsi.storage.columns import JsonType, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(255)
Sha256 = String(64)
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AppRow(Base):
    __tablename__ = "apps"

    app_id: Mapped[str] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PolicyVersionRow(Base):
    """A published policy version; never updated (X01)."""

    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("app_id", "version"),
        UniqueConstraint("app_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    position: Mapped[int] = mapped_column(Integer)
    """1 for the app's first published version, then 2, 3, … in publishing order."""
    version: Mapped[str] = mapped_column(Id)
    content_sha256: Mapped[str] = mapped_column(Sha256)
    effective: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    declaration_text: Mapped[str] = mapped_column(Text)
    previous_version: Mapped[str | None] = mapped_column(Id)
    material: Mapped[bool] = mapped_column(Boolean)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    """The diff against the previous version: one flag object per change, no values."""


class ConsentEventRow(Base):
    """One ledger entry; append-only (an UPDATE is refused by a trigger)."""

    __tablename__ = "consent_events"
    __table_args__ = (UniqueConstraint("app_id", "subject_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    subject_id: Mapped[str] = mapped_column(Id)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(Id)
    consent_id: Mapped[str | None] = mapped_column(Id)
    element: Mapped[str | None] = mapped_column(Id)
    """The element restricted or released (``*``: all of them); None for other kinds."""
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel: Mapped[str] = mapped_column(String(32))
    account: Mapped[str | None] = mapped_column(Id)
    signature_sha256: Mapped[str | None] = mapped_column(Sha256)
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)


class ConsentStateRow(Base):
    """A subject's current state, the fold of its events, kept in the append's transaction."""

    __tablename__ = "consent_states"

    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(Id, primary_key=True)
    accepted_version: Mapped[str | None] = mapped_column(Id)
    declined_version: Mapped[str | None] = mapped_column(Id)
    granted: Mapped[list[str]] = mapped_column(JsonType)
    """Sorted consent ids."""
    withdrawn: Mapped[list[str]] = mapped_column(JsonType)
    """Sorted consent ids."""
    restricted: Mapped[list[str]] = mapped_column(JsonType)
    """Sorted element ids whose processing is restricted (X28); ``*`` means all."""
    last_seq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEntryRow(Base):
    """One audit log entry, hash-chained (PIPL Art. 54); UPDATE and DELETE are refused.

    ``details`` is the canonical JSON text itself, not JSON(B): JSONB would rewrite
    numbers (``1e2`` as ``100``) and so change the bytes the hash covers.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(Id)
    action: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(Id)
    subject_id: Mapped[str | None] = mapped_column(Id)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(Sha256)
    hash: Mapped[str] = mapped_column(Sha256)


class AuditHeadRow(Base):
    """The audit chain's last seq and hash, one row, locked by every append."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigId)
    hash: Mapped[str] = mapped_column(Sha256)


class ApiKeyRow(Base):
    """An API key of the service: only the SHA-256 of its secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Id)
    scopes: Mapped[list[str]] = mapped_column(JsonType)
    """Sorted scope names: ``admin``, ``backend``, ``auditor``."""
    secret_sha256: Mapped[str] = mapped_column(Sha256, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
