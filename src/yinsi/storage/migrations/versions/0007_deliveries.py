"""Deliveries of messages (issue 14): one row per recipient per message — channel,
purpose, what it is about, the masked address, outcome, tries, the provider's id, the
reason of a failure, when. No phone, e-mail address or message text is stored.

A new table only, so SQLite needs no batch copy; downgrading drops it (the record of
what was delivered is lost: for rolling a release back only).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
UTC_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("reference", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=True),
        sa.Column("address", ID, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", ID, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_reference", "deliveries", ["reference"])
    op.create_index("ix_deliveries_app_started", "deliveries", ["app_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_app_started", table_name="deliveries")
    op.drop_index("ix_deliveries_reference", table_name="deliveries")
    op.drop_table("deliveries")
