"""The rows of the staff console (issue 7): staff accounts, their sessions, re-consent
campaigns.

Same :class:`~yinsi.storage.tables.Base` as the other tables. No password and no session
token is stored: an Argon2id hash of the password, the SHA-256 of the session token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yinsi.storage.columns import UtcDateTime
from yinsi.storage.tables import Base, Id, Sha256

ROLES = ("admin", "operator", "auditor")


class StaffUserRow(Base):
    """A member of the privacy team who signs in to the console."""

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'operator', 'auditor')", name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    """Argon2id in PHC string format (``$argon2id$v=19$m=…``)."""
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(Id)
    disabled: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    """Failed logins in a row since the last success or lock."""
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(Id)


class StaffSessionRow(Base):
    """A signed-in browser: found by the SHA-256 of the token in its cookie."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(Sha256, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The latest the session lives, however active (an idle timeout ends it sooner)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConsentCampaignRow(Base):
    """A re-consent campaign: users still on an older policy version asked to accept
    ``version`` (X02, W19)."""

    __tablename__ = "consent_campaigns"
    __table_args__ = (Index("ix_consent_campaigns_app", "app_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"))
    version: Mapped[str] = mapped_column(Id)
    subjects: Mapped[int] = mapped_column(Integer)
    """Subjects on an older version when the campaign started."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by: Mapped[str] = mapped_column(Id)
