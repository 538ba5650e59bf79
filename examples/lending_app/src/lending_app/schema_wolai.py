"""The app's tables for the 我来数科 flows (W03, W04, W06-W09), on
:data:`lending_app.schema.metadata`. Accounts, SMS codes and sessions are the shared
``users``, ``sms_codes`` and ``sessions`` tables; ``*_enc`` columns hold FieldCipher tokens
(context ``<table>.<column>``). ``datamap-wolai.yaml`` maps every column to its element."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from lending_app.schema import TOKEN, metadata

__all__ = [
    "metadata",
    "wolai_authorisations",
    "wolai_calls",
    "wolai_car_insurance",
    "wolai_contacts",
    "wolai_credit_applications",
    "wolai_leases",
    "wolai_merchant_loans",
    "wolai_real_name",
]

_USER = "users.id"

# W04: the real-name record (name and ID number are on ``users``).
wolai_real_name = Table(
    "wolai_real_name",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("id_holding_photo_enc", TOKEN, nullable=False),
    Column("bank_card_enc", TOKEN, nullable=False),
    Column("bank_name", String(50), nullable=False),
    Column("reserved_mobile_enc", TOKEN, nullable=False),
    Column("provision_id", Integer),
    Column("verified_at", DateTime(timezone=True), nullable=False),
)

# W03: what was obtained through an authorisation; the credentials are never stored.
wolai_authorisations = Table(
    "wolai_authorisations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("source", String(30), nullable=False),
    Column("method", String(30), nullable=False),
    Column("data_enc", TOKEN, nullable=False),
    Column("obtained_at", DateTime(timezone=True), nullable=False),
)

# W05 / W03: the credit application (user input, device data, location if authorised).
wolai_credit_applications = Table(
    "wolai_credit_applications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("status", String(20), nullable=False),
    Column("email_enc", TOKEN, nullable=False),
    Column("address_enc", TOKEN, nullable=False),
    Column("education", String(20), nullable=False),
    Column("occupation", String(50), nullable=False),
    Column("monthly_income_enc", TOKEN, nullable=False),
    Column("property_info_enc", TOKEN, nullable=False),
    Column("marital_status", String(20), nullable=False),
    Column("device_model", String(50), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("location_enc", TOKEN),
    Column("provision_id", Integer),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# W06: parent or spouse, and one colleague.
wolai_contacts = Table(
    "wolai_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("kind", String(20), nullable=False),  # family | colleague
    Column("contact_name", String(50), nullable=False),
    Column("contact_phone_enc", TOKEN, nullable=False),
    Column("relation", String(20), nullable=False),
)

# W06: post-loan or emergency calls to the contacts; calls may be recorded.
wolai_calls = Table(
    "wolai_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("contact_id", Integer, ForeignKey("wolai_contacts.id"), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("recording_enc", TOKEN),
    Column("provision_id", Integer),
    Column("called_at", DateTime(timezone=True), nullable=False),
)

# W07
wolai_merchant_loans = Table(
    "wolai_merchant_loans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("business_licence", String(50), nullable=False),
    Column("operating_data_enc", TOKEN, nullable=False),
    Column("provision_id", Integer),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# W08
wolai_car_insurance = Table(
    "wolai_car_insurance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("vehicle_enc", TOKEN, nullable=False),
    Column("policy_enc", TOKEN, nullable=False),
    Column("provision_id", Integer),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# W09
wolai_leases = Table(
    "wolai_leases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey(_USER), nullable=False),
    Column("product", String(100), nullable=False),
    Column("delivery_address_enc", TOKEN, nullable=False),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
)
