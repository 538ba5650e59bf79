"""The delivery outbox: messages whose delivery failed for now, kept to be tried again.

One row per kept message: what a listing may show (channel, purpose, masked address,
what it is about, tries, when next, the deadline) and ``payload``, the full address and
text encrypted (AES-256-GCM envelope token), cleared once given up; a delivered message's
row is deleted. ``claimed_by`` / ``claimed_until`` are the lease of the run retrying it.

A new table only, so SQLite needs no batch copy; downgrading drops it (messages still
waiting are lost: for rolling a release back only).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_outbox",
        sa.Column("id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("reference", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("address", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("next_at", UTC_TIME, nullable=False),
        sa.Column("deadline_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("claimed_by", ID, nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_outbox"),
    )
    op.create_index("ix_delivery_outbox_due", "delivery_outbox", ["status", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_outbox_due", table_name="delivery_outbox")
    op.drop_table("delivery_outbox")
