"""The app's tables for the loans flows, on :data:`lending_app.schema.metadata`.

A loan is borrowed against a submitted credit-line application and repaid in full; amounts
are whole yuan. ``status`` is ``outstanding`` until the repayment, then ``settled`` with
``settled_at``: the data map holds a loan while it is outstanding and for five years after
it is settled (``account_data``), and refuses an account cancellation while one is
outstanding (W16). Repayments go with their loan. No foreign key to the credit
application: yinsi erases that row on cancellation while the loan is kept.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from lending_app.schema import metadata

__all__ = ["loans", "metadata", "repayments"]

loans = Table(
    "loans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("application_id", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # outstanding | settled
    Column("borrowed_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True)),
    Column("provision_id", Integer),
)

repayments = Table(
    "repayments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("loan_id", Integer, ForeignKey("loans.id"), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("provision_id", Integer),
)
