"""The hash-chained audit log (PIPL Art. 54) and its single-row head.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
SHA256 = sa.String(64)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)
GENESIS = "0" * 64

_REFUSE_CHANGES_PG = (
    """
    CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_entries is append-only: entries are never changed or removed';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
        FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
    """,
)
_REFUSE_CHANGES_SQLITE = tuple(
    f"""
    CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries
    BEGIN
        SELECT RAISE(ABORT, 'audit_entries is append-only: entries are never changed or removed');
    END
    """
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("app_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", SHA256, nullable=False),
        sa.Column("hash", SHA256, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("hash", SHA256, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _REFUSE_CHANGES_PG if postgres else _REFUSE_CHANGES_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_no_change ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entries_no_update")
        op.execute("DROP TRIGGER audit_entries_no_delete")
    op.drop_table("audit_head")
    op.drop_table("audit_entries")
