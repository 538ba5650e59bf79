"""Run claims (issue 16): who is executing a rights request now, and until when.

``rights_requests.claimed_by`` names the run (a worker's task, an API request, a CLI
command) that holds the request; ``claimed_until`` is when that lease lapses unless the run
renews it. Both are empty while nobody runs the request. Two nullable columns only;
downgrading drops them (for rolling a release back only).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.String(255)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("rights_requests") as batch:
        batch.add_column(sa.Column("claimed_by", ID, nullable=True))
        batch.add_column(sa.Column("claimed_until", UTC_TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
