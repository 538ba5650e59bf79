"""Abuse limits (issue 14): counters for verification codes and console logins, and the
entry links already used.

``limit_counters`` holds one row per counted key (a request's codes, a phone's codes of
one day, login failures of a user name from an address, of an address), keyed by keyed
hashes, never a phone number or a user name in clear. ``used_entry_links`` keeps the id
of every privacy-center entry link opened until the link would have expired, so a link
opens one session only. New tables only; downgrading drops them (the limits restart).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "limit_counters",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", UTC_TIME, nullable=False),
        sa.Column("last_at", UTC_TIME, nullable=True),
        sa.Column("keep_until", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_limit_counters"),
    )
    op.create_table(
        "used_entry_links",
        sa.Column("link_id", sa.String(64), nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("link_id", name="pk_used_entry_links"),
    )


def downgrade() -> None:
    op.drop_table("used_entry_links")
    op.drop_table("limit_counters")
