"""PI obtained from third parties (X18): the source register and the acquisition ledger.

``sources`` holds one vetting record per provider (来源审查记录: legal ground, elements and
scenarios it may supply, the authorisation relied on, validity, revocation);
``acquisitions`` one row per allowed acquisition. New tables only; downgrading drops them
(for rolling a release back only).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
NAME = sa.String(32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("party", ID, nullable=True),
        sa.Column("legal_ground", sa.Text(), nullable=False),
        sa.Column("elements", JSON, nullable=False),
        sa.Column("scenarios", JSON, nullable=False),
        sa.Column("authorised_by", NAME, nullable=False),
        sa.Column("authorisation_ref", sa.Text(), nullable=False),
        sa.Column("vetted_by", ID, nullable=False),
        sa.Column("vetted_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.Column("revoked_by", ID, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_sources_app_id_apps"),
        sa.PrimaryKeyConstraint("app_id", "source_id", name="pk_sources"),
    )
    op.create_table(
        "acquisitions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("elements", JSON, nullable=False),
        sa.Column("scenario", ID, nullable=False),
        sa.Column("purpose", ID, nullable=False),
        sa.Column("consent_ids", JSON, nullable=False),
        sa.Column("policy_version", ID, nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_acquisitions_app_id_apps"),
        sa.PrimaryKeyConstraint("id", name="pk_acquisitions"),
    )
    op.create_index("ix_acquisitions_subject", "acquisitions", ["app_id", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_acquisitions_subject", table_name="acquisitions")
    op.drop_table("acquisitions")
    op.drop_table("sources")
