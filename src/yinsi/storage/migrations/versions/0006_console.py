"""The staff console (issue 7): staff users (Argon2id password hashes, roles admin /
operator / auditor), their sessions (stored as the SHA-256 of the token) and re-consent
campaigns.

New tables only, so SQLite needs no batch copy; downgrading drops them (every staff
account and session is lost: for rolling a release back only).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
STAFF_ID = sa.String(32)
SHA256 = sa.String(64)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", STAFF_ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", ID, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.CheckConstraint("role IN ('admin', 'operator', 'auditor')", name="ck_staff_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("username", name="uq_staff_users_username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", SHA256, nullable=False),
        sa.Column("user_id", STAFF_ID, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_seen_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name="fk_staff_sessions_user_id_staff_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_user", "staff_sessions", ["user_id"])
    op.create_table(
        "consent_campaigns",
        sa.Column("id", STAFF_ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("version", ID, nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("started_by", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.app_id"], name="fk_consent_campaigns_app_id_apps"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consent_campaigns"),
    )
    op.create_index("ix_consent_campaigns_app", "consent_campaigns", ["app_id", "version"])


def downgrade() -> None:
    op.drop_index("ix_consent_campaigns_app", table_name="consent_campaigns")
    op.drop_table("consent_campaigns")
    op.drop_index("ix_staff_sessions_user", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
