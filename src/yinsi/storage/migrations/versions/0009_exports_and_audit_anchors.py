"""Export expiry and audit anchors (issue 14): export files with their expiry, TRUNCATE blocked on PostgreSQL — filled by the export/audit work.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
