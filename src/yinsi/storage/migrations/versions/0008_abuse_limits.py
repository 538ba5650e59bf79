"""Abuse limits (issue 14): resend cooldowns, per-phone caps, login throttling, single-use entry links — filled by the abuse-limit work.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
