"""The app's own tables (SQLAlchemy Core). ``*_enc`` columns hold yinsi FieldCipher tokens
(``yv1.…``), ``*_bidx`` their blind indexes; ``datamap.yaml`` tells yinsi where each
declared element lives, so rights requests run against these tables."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

TOKEN = Text  # FieldCipher tokens: 140+ characters

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("phone_enc", TOKEN),
    Column("phone_bidx", String(64), unique=True),
    Column("id_number_enc", TOKEN),
    Column("id_number_bidx", String(64), unique=True),
    Column("password_hash", String(200)),
    Column("name_enc", TOKEN),
    Column("real_name_verified", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sms_codes = Table(
    "sms_codes",
    metadata,
    Column("phone_bidx", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
)

guest_visits = Table(
    "guest_visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cookie_id", String(64), nullable=False),
    Column("path", String(200), nullable=False),
    Column("ip_address", String(45)),
    Column("at", DateTime(timezone=True), nullable=False),
)

id_verifications = Table(
    "id_verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("id_photo_ref", TOKEN),
    Column("face_ref", TOKEN),
    Column("verified_at", DateTime(timezone=True), nullable=False),
)

credit_applications = Table(
    "credit_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("monthly_income_enc", TOKEN),
    Column("residence_city", String(100)),
    Column("address_enc", TOKEN),
    Column("business_licence", String(50)),
    Column("provision_id", Integer),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

bank_cards = Table(
    "bank_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("card_number_enc", TOKEN, nullable=False),
    Column("bank_name", String(50), nullable=False),
    Column("reserved_mobile_enc", TOKEN),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # emergency | common
    Column("contact_name", String(50), nullable=False),
    Column("contact_phone_enc", TOKEN, nullable=False),
    Column("relation", String(20), nullable=False),
)

credit_increases = Table(
    "credit_increases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("marital_status", String(20)),
    Column("employer", String(100)),
    Column("industry", String(50)),
    Column("occupation", String(50)),
    Column("income_range_enc", TOKEN),
    Column("address_enc", TOKEN),
    Column("housing_fund", String(100)),
    Column("provision_id", Integer),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

PI_TABLES = frozenset(
    {
        "users",
        "sms_codes",
        "guest_visits",
        "id_verifications",
        "credit_applications",
        "bank_cards",
        "contacts",
        "credit_increases",
        *("wolai_real_name", "wolai_authorisations", "wolai_credit_applications"),  # schema_wolai
        *("wolai_contacts", "wolai_calls", "wolai_merchant_loans"),  # schema_wolai
        *("wolai_car_insurance", "wolai_leases"),  # schema_wolai
        "loans",  # schema_loans
        "repayments",  # schema_loans
        *("shop_orders", "chat_logs", "invoice_requests", "follow_ups"),  # schema_shop
        *("device_reports", "third_party_records"),  # schema_device
    }
)
"""Tables holding PI: only :mod:`lending_app.repository` touches them."""


def create_all(db: Engine) -> None:
    """Creates every table of the app (those of the ``schema_*`` modules too)."""
    from lending_app import schema_device, schema_loans, schema_shop, schema_wolai  # noqa: F401

    metadata.create_all(db)
