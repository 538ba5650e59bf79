"""Service end (X39, PIPL Art. 47 (1)(2)): the announced plan and each subject's progress.

``service_ends`` holds one row per app (announcement, end date, what happens to the PI,
status); ``service_end_subjects`` one row per subject (pending, running with its deletion
request, done), so an interrupted run resumes where it stopped. New tables only;
downgrading drops them (for rolling a release back only).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
NAME = sa.String(32)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_ends",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("announced_at", UTC_TIME, nullable=False),
        sa.Column("announced_by", ID, nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("action", NAME, nullable=False),
        sa.Column("notice_declared", sa.Boolean(), nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_service_ends_app_id_apps"),
        sa.PrimaryKeyConstraint("app_id", name="pk_service_ends"),
    )
    op.create_table(
        "service_end_subjects",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("request_id", ID, nullable=True),
        sa.Column("outcome", NAME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["service_ends.app_id"],
            name="fk_service_end_subjects_app_id_service_ends",
        ),
        sa.PrimaryKeyConstraint("app_id", "subject_id", name="pk_service_end_subjects"),
    )
    op.create_index("ix_service_end_subjects_status", "service_end_subjects", ["app_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_service_end_subjects_status", table_name="service_end_subjects")
    op.drop_table("service_end_subjects")
    op.drop_table("service_ends")
