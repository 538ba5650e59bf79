"""Lifecycle (issue 6): the provision ledger, entrustment ends, incidents and the subjects
they affect.

New tables only, so SQLite needs no batch copy; downgrading drops them (the provision
ledger and incident records are lost: for rolling a release back only).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
NAME = sa.String(32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _app_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name=f"fk_{table}_app_id_apps")


def upgrade() -> None:
    op.create_table(
        "provisions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("recipient", ID, nullable=False),
        sa.Column("elements", JSON, nullable=False),
        sa.Column("purpose", ID, nullable=False),
        sa.Column("basis", ID, nullable=False),
        sa.Column("consent_id", ID, nullable=True),
        sa.Column("de_identified", NAME, nullable=False),
        sa.Column("policy_version", ID, nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", ID, nullable=False),
        _app_fk("provisions"),
        sa.PrimaryKeyConstraint("id", name="pk_provisions"),
    )
    op.create_index("ix_provisions_subject", "provisions", ["app_id", "subject_id"])
    op.create_index("ix_provisions_recipient", "provisions", ["app_id", "recipient"])
    op.create_table(
        "entrustment_ends",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("recipient", ID, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("dataset", ID, nullable=True),
        sa.Column("instructed_at", UTC_TIME, nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.Column("confirmation", sa.Text(), nullable=True),
        sa.Column("confirmed_at", UTC_TIME, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("actor", ID, nullable=False),
        _app_fk("entrustment_ends"),
        sa.PrimaryKeyConstraint("app_id", "recipient", name="pk_entrustment_ends"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_TIME, nullable=False),
        sa.Column("discovered_at", UTC_TIME, nullable=False),
        sa.Column("datasets", JSON, nullable=False),
        sa.Column("elements", JSON, nullable=False),
        sa.Column("possible_harm", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("user_advice", sa.Text(), nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("opened_by", ID, nullable=False),
        sa.Column("affected_count", sa.Integer(), nullable=True),
        sa.Column("unlinked_records", sa.Integer(), nullable=False),
        sa.Column("notifications", JSON, nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=False),
        _app_fk("incidents"),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_app", "incidents", ["app_id", "status"])
    op.create_table(
        "incident_subjects",
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_subjects_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("incident_id", "subject_id", name="pk_incident_subjects"),
    )


def downgrade() -> None:
    op.drop_table("incident_subjects")
    op.drop_index("ix_incidents_app", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("entrustment_ends")
    op.drop_index("ix_provisions_recipient", table_name="provisions")
    op.drop_index("ix_provisions_subject", table_name="provisions")
    op.drop_table("provisions")
