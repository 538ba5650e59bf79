"""The initial schema: apps, policy versions, the consent ledger and its derived state.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
SHA256 = sa.String(64)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)

_REFUSE_UPDATE_PG = (
    """
    CREATE FUNCTION consent_events_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'consent_events is append-only: record a new event instead';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
        FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()
    """,
)
_REFUSE_UPDATE_SQLITE = (
    """
    CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
    BEGIN
        SELECT RAISE(ABORT, 'consent_events is append-only: record a new event instead');
    END
    """,
)


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("app_id", name="pk_apps"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", ID, nullable=False),
        sa.Column("content_sha256", SHA256, nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("published_at", UTC_TIME, nullable=False),
        sa.Column("declaration_text", sa.Text(), nullable=False),
        sa.Column("previous_version", ID, nullable=True),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_policy_versions_app_id_apps"),
        sa.PrimaryKeyConstraint("id", name="pk_policy_versions"),
        sa.UniqueConstraint("app_id", "version", name="uq_policy_versions_app_id_version"),
        sa.UniqueConstraint("app_id", "position", name="uq_policy_versions_app_id_position"),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("policy_version", ID, nullable=False),
        sa.Column("consent_id", ID, nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("account", ID, nullable=True),
        sa.Column("signature_sha256", SHA256, nullable=True),
        sa.Column("client_ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_consent_events_app_id_apps"),
        sa.PrimaryKeyConstraint("id", name="pk_consent_events"),
        sa.UniqueConstraint(
            "app_id", "subject_id", "seq", name="uq_consent_events_app_id_subject_id_seq"
        ),
    )
    op.create_table(
        "consent_states",
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("accepted_version", ID, nullable=True),
        sa.Column("declined_version", ID, nullable=True),
        sa.Column("granted", JSON, nullable=False),
        sa.Column("withdrawn", JSON, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.app_id"], name="fk_consent_states_app_id_apps"),
        sa.PrimaryKeyConstraint("app_id", "subject_id", name="pk_consent_states"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _REFUSE_UPDATE_PG if postgres else _REFUSE_UPDATE_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_events_no_update ON consent_events")
        op.execute("DROP FUNCTION consent_events_append_only()")
    else:
        op.execute("DROP TRIGGER consent_events_no_update")
    op.drop_table("consent_states")
    op.drop_table("consent_events")
    op.drop_table("policy_versions")
    op.drop_table("apps")
