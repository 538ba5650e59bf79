"""The app's tables for the shop and customer-service flows (X12, X13), on
:data:`lending_app.schema.metadata`. ``*_enc`` columns hold yinsi FieldCipher tokens
(context ``<table>.<column>``); ``datamap.yaml`` maps each of them to its element."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from lending_app.schema import TOKEN, metadata

__all__ = [
    "chat_logs",
    "follow_ups",
    "invoice_requests",
    "metadata",
    "service_check_failures",
    "shop_orders",
]

shop_orders = Table(
    "shop_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("item", String(100), nullable=False),  # order_info: what was bought
    Column("quantity", Integer, nullable=False),
    Column("recipient_name_enc", TOKEN, nullable=False),
    Column("delivery_address_enc", TOKEN, nullable=False),
    Column("mobile_enc", TOKEN, nullable=False),
    Column("supplier_provision_id", Integer),  # yinsi's provision ledger: shopping_suppliers
    Column("merchant_provision_id", Integer),  # yinsi's provision ledger: mall_merchants
    Column("status", String(20), nullable=False),
    Column("ordered_at", DateTime(timezone=True), nullable=False),
)

chat_logs = Table(
    "chat_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("chat_id", String(64), nullable=False, index=True),
    Column("speaker", String(10), nullable=False),  # user | agent | system
    Column("text_enc", TOKEN, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

invoice_requests = Table(
    "invoice_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("order_id", Integer),  # no foreign key: erasing an order keeps the request valid
    Column("chat_id", String(64), nullable=False),
    Column("invoice_info_enc", TOKEN, nullable=False),  # title, tax id, mailing address
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("order_id", Integer),  # no foreign key: erasing an order keeps the request valid
    Column("verified_by", String(60), nullable=False),
    Column("note", String(500), nullable=False),
    Column("called_at", DateTime(timezone=True), nullable=False),
)

service_check_failures = Table(
    "service_check_failures",
    metadata,
    # failed identity checks of customer service / follow-up calls (no PI, like sessions)
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
)
