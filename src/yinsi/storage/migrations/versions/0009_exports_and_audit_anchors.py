"""Export files at rest and a harder audit log (issue 14).

``rights_exports`` records each archive written for an access, copy or transfer request:
when it expires (``yinsi rights purge-exports`` deletes it then and audits the deletion),
whether it is encrypted and the passphrase the subject sees in the privacy center (kept
until the archive is deleted; the archive itself lies elsewhere, in a 0700 folder).

The audit log: ``TRUNCATE audit_entries`` is refused on PostgreSQL (row triggers do not
fire on TRUNCATE), and so are deleting or truncating the single ``audit_head`` row on
PostgreSQL and deleting it on SQLite. The UPDATE/DELETE triggers of 0002 stay.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
UTC_TIME = sa.DateTime(timezone=True)

_PG = (
    """
    CREATE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log cannot be truncated or its head removed: '
            'audit entries are never removed (PIPL Art. 54)';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()
    """,
    """
    CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()
    """,
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_truncate()
    """,
)
_SQLITE = (
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN
        SELECT RAISE(ABORT, 'the audit head row is never removed (PIPL Art. 54)');
    END
    """,
)


def upgrade() -> None:
    op.create_table(
        "rights_exports",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("file_name", ID, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("passphrase", sa.String(64), nullable=True),
        sa.Column("deleted_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("request_id", name="pk_rights_exports"),
    )
    op.create_index("ix_rights_exports_expires_at", "rights_exports", ["expires_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _PG if postgres else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_no_delete ON audit_head")
        op.execute("DROP TRIGGER audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER audit_entries_no_truncate ON audit_entries")
        op.execute("DROP FUNCTION audit_refuse_truncate()")
    else:
        op.execute("DROP TRIGGER audit_head_no_delete")
    op.drop_index("ix_rights_exports_expires_at", table_name="rights_exports")
    op.drop_table("rights_exports")
