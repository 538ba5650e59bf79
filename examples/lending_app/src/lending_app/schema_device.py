"""The app's tables for automatically collected data and PI from third parties (X17, X18),
on :data:`lending_app.schema.metadata`.

``device_reports``: one row per report of the app/SDK, one encrypted column per element the
app knows how to keep (``<element>_enc``); a column stays NULL when yinsi did not allow the
element. ``third_party_records``: what a data provider answered, encrypted in its element's column, with the
provision of the query in yinsi's ledger."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from lending_app.schema import TOKEN, metadata

__all__ = [
    "DEVICE_ELEMENTS",
    "SOURCED_ELEMENTS",
    "device_reports",
    "metadata",
    "third_party_records",
]

DEVICE_ELEMENTS = (
    "operation_logs",
    "ip_address",
    "device_model",
    "device_id",
    "imei",
    "mac_address",
    "os_info",
    "network_info",
    "search_records",
    "browsing_records",
    "precise_location",
    "sms_records",
    "call_records",
    "image_logs",
    "installed_apps",
    "address_book",
)
"""The declared elements a device report may carry (1.2 A–H of the policy)."""

SOURCED_ELEMENTS = ("credit_report", "third_party_query_results", "transaction_behaviour_tags")
"""What the app obtains from third parties (1.3, 2.2.4 H): one encrypted column each."""

device_reports = Table(
    "device_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("scenario", String(40), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("flow_id", String(64), nullable=False),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    *(Column(f"{element}_enc", TOKEN) for element in DEVICE_ELEMENTS),
)

third_party_records = Table(
    "third_party_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("element", String(40), nullable=False),
    Column("scenario", String(40), nullable=False),  # the scope it was obtained for
    Column("purpose", String(40), nullable=False),
    Column("source", String(60), nullable=False),  # the provider's name
    *(Column(f"{element}_enc", TOKEN) for element in SOURCED_ELEMENTS),
    Column("provision_id", Integer),  # the query's provision in yinsi's ledger
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)
