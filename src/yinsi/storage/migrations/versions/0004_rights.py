"""Rights requests (issue 5): requests, their history, plans, challenges, legal holds; the
ledger's restrictions (``consent_events.element``, ``consent_states.restricted``).

Existing states get ``restricted = []``. On SQLite the ALTERs run in batch mode; the
column added to ``consent_events`` is a plain ``ALTER TABLE … ADD COLUMN``, so its
append-only trigger stays. Downgrading drops the rights tables and both columns (the
restriction events stay in the ledger, without their element).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
NAME = sa.String(32)
SHA256 = sa.String(64)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)

_REFUSE_UPDATE_SQLITE = """
    CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
    BEGIN
        SELECT RAISE(ABORT, 'consent_events is append-only: record a new event instead');
    END
    """


def _request_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["request_id"], ["rights_requests.id"], name=f"fk_{table}_request_id_rights_requests"
    )


# long on purpose: one migration (the rights tables) reads top to bottom as Alembic runs it
def upgrade() -> None:
    with op.batch_alter_table("consent_events") as batch:
        batch.add_column(sa.Column("element", ID, nullable=True))
    with op.batch_alter_table("consent_states") as batch:
        batch.add_column(sa.Column("restricted", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("consent_states") as batch:
        batch.alter_column("restricted", existing_type=JSON, server_default=None)
    op.create_table(
        "rights_requests",
        sa.Column("id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("kind", NAME, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("channel", NAME, nullable=False),
        sa.Column("requester_relation", NAME, nullable=True),
        sa.Column("requester_name", ID, nullable=True),
        sa.Column("trigger", NAME, nullable=True),
        sa.Column("consent_id", ID, nullable=True),
        sa.Column("corrections", JSON, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("verified_at", UTC_TIME, nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_working_days", sa.Integer(), nullable=True),
        sa.Column("due_counted_from", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=True),
        sa.Column("due_target", sa.Date(), nullable=True),
        sa.Column("due_warning", sa.Text(), nullable=True),
        sa.Column("refusal_ground", ID, nullable=True),
        sa.Column("refusal_text", sa.Text(), nullable=True),
        sa.Column("refusal_remedy", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("transitions", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_rights_requests_app_id_apps"),
        sa.PrimaryKeyConstraint("id", name="pk_rights_requests"),
    )
    op.create_index("ix_rights_requests_queue", "rights_requests", ["app_id", "status", "due_date"])
    op.create_index("ix_rights_requests_subject", "rights_requests", ["app_id", "subject_id"])
    op.create_table(
        "rights_transitions",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _request_fk("rights_transitions"),
        sa.PrimaryKeyConstraint("request_id", "n", name="pk_rights_transitions"),
    )
    op.create_table(
        "rights_steps",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", NAME, nullable=False),
        sa.Column("dataset", ID, nullable=True),
        sa.Column("keys", JSON, nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", JSON, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        _request_fk("rights_steps"),
        sa.PrimaryKeyConstraint("request_id", "n", name="pk_rights_steps"),
    )
    op.create_table(
        "rights_challenges",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("method", NAME, nullable=False),
        sa.Column("secret_sha256", SHA256, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("verified_at", UTC_TIME, nullable=True),
        _request_fk("rights_challenges"),
        sa.PrimaryKeyConstraint("request_id", "method", name="pk_rights_challenges"),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("dataset", ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("released_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_legal_holds_app_id_apps"),
        sa.PrimaryKeyConstraint("id", name="pk_legal_holds"),
    )
    op.create_index("ix_legal_holds_subject", "legal_holds", ["app_id", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_legal_holds_subject", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("rights_challenges")
    op.drop_table("rights_steps")
    op.drop_table("rights_transitions")
    op.drop_index("ix_rights_requests_subject", table_name="rights_requests")
    op.drop_index("ix_rights_requests_queue", table_name="rights_requests")
    op.drop_table("rights_requests")
    with op.batch_alter_table("consent_states") as batch:
        batch.drop_column("restricted")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the batch copies the table, and dropping the old one drops its trigger
        op.execute("DROP TRIGGER consent_events_no_update")
    with op.batch_alter_table("consent_events") as batch:
        batch.drop_column("element")
    if sqlite:
        op.execute(_REFUSE_UPDATE_SQLITE)
