"""The sample lending back-end of 小赢卡贷: its tables, spread over three stores.

A made-up but realistic consumer-lending schema that the rights executor is tested
against (issue 5), described by ``examples/datamaps/xiaoying-kadai.yaml``:

- store ``core`` (PostgreSQL in tests, SQLite for the demo): ``users`` and what hangs off
  them by real foreign keys — ``id_verifications``, ``bank_cards``, ``addresses``,
  ``emergency_contacts``, ``devices``, ``loans`` → ``repayments`` and ``contracts``;
- store ``risk`` (MariaDB in tests): ``credit_reports`` found by the ID-number hash,
  ``risk_scores`` by user id, ``marketing_leads`` by the phone hash — including leads of
  people who never became users;
- store ``cache`` (Redis): ``session:{user_id}`` (hash), ``loc:{user_id}`` (string, the
  last precise location) and ``sms:{phone_hash}`` (string, an SMS code).

The SQL schema is SQLAlchemy Core, portable to PostgreSQL, MariaDB and SQLite: every
String has a length, money is ``Numeric(12, 2)``, record ids are application-assigned
``BIGINT`` (no sequences to keep in step). Columns that an erasure strategy may set to
``NULL`` are nullable; columns erased by ``keyed_hash`` are 64 characters wide (a token
is ``h1:`` + 32 hex digits).

:data:`DATASETS` says which column (or Redis hash field) holds which declared element;
the data map must say the same (a test checks it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

CORE = "core"
RISK = "risk"
CACHE = "cache"
SQL_STORES = (CORE, RISK)

REDIS_STRING_FIELD = "value"
"""The field name a data map gives the value of a Redis *string* key (``loc:``, ``sms:``)."""

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

core = sa.MetaData(naming_convention=_NAMING)
risk = sa.MetaData(naming_convention=_NAMING)
METADATA: Mapping[str, sa.MetaData] = MappingProxyType({CORE: core, RISK: risk})


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False)


def _user_fk() -> sa.Column[str]:
    return sa.Column(
        "user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False, index=True
    )


def _loan_fk() -> sa.Column[int]:
    return sa.Column(
        "loan_id", sa.BigInteger, sa.ForeignKey("loans.id"), nullable=False, index=True
    )


def _money(name: str) -> sa.Column[Decimal]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=False)


# ---------------------------------------------------------------- core
users = sa.Table(
    "users",
    core,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("mobile_number", sa.String(11), nullable=False),
    sa.Column("phone_hash", sa.String(64), unique=True),
    sa.Column("id_number", sa.String(18)),
    sa.Column("id_number_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(32)),
    sa.Column("birth_date", sa.Date),
    sa.Column("password_hash", sa.String(128)),
    sa.Column("monthly_income", sa.Numeric(12, 2)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("cancelled_at", sa.DateTime),
)
id_verifications = sa.Table(
    "id_verifications",
    core,
    _id(),
    _user_fk(),
    sa.Column("id_photo_ref", sa.String(128)),
    sa.Column("face_ref", sa.String(128)),
    sa.Column("verified_at", sa.DateTime, nullable=False),
)
bank_cards = sa.Table(
    "bank_cards",
    core,
    _id(),
    _user_fk(),
    sa.Column("card_number", sa.String(19), nullable=False),
    sa.Column("bank_name", sa.String(32)),
    sa.Column("reserved_mobile", sa.String(11)),
    sa.Column("bound_at", sa.DateTime, nullable=False),
)
addresses = sa.Table(
    "addresses",
    core,
    _id(),
    _user_fk(),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("residence_city", sa.String(32)),
    sa.Column("address", sa.String(128)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
emergency_contacts = sa.Table(
    "emergency_contacts",
    core,
    _id(),
    _user_fk(),
    sa.Column("contact_name", sa.String(32)),
    sa.Column("contact_phone", sa.String(11)),
    sa.Column("relation", sa.String(8)),
)
loans = sa.Table(
    "loans",
    core,
    _id(),
    _user_fk(),
    _money("amount"),
    sa.Column("term_months", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
    sa.Column("settled_at", sa.Date),
    sa.Column("overdue_days", sa.Integer, nullable=False),
    sa.CheckConstraint("status IN ('outstanding', 'settled')", name="status"),
)
repayments = sa.Table(
    "repayments",
    core,
    _id(),
    _loan_fk(),
    sa.Column("paid_at", sa.DateTime, nullable=False),
    _money("amount"),
    sa.Column("card_last4", sa.String(4)),
)
contracts = sa.Table(
    "contracts",
    core,
    _id(),
    _loan_fk(),
    sa.Column("contract_no", sa.String(32), nullable=False),
    sa.Column("signed_at", sa.DateTime, nullable=False),
    sa.Column("borrower_name", sa.String(32)),
    sa.Column("borrower_id_number", sa.String(18)),
    sa.Column("signature_hash", sa.String(64)),
    sa.Column("ca_cert_serial", sa.String(40)),
)
devices = sa.Table(
    "devices",
    core,
    _id(),
    _user_fk(),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("imei", sa.String(15)),
    sa.Column("device_model", sa.String(32)),
    sa.Column("os_version", sa.String(32)),
    sa.Column("mac_address", sa.String(17)),
    sa.Column("ip_address", sa.String(45)),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
)

# ---------------------------------------------------------------- risk
credit_reports = sa.Table(
    "credit_reports",
    risk,
    _id(),
    sa.Column("id_number_hash", sa.String(64), nullable=False, index=True),
    sa.Column("report_no", sa.String(32), nullable=False),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("queried_at", sa.DateTime, nullable=False),
)
risk_scores = sa.Table(
    "risk_scores",
    risk,
    _id(),
    sa.Column("user_id", sa.String(32), nullable=False, index=True),
    sa.Column("credit_score", sa.Integer),
    sa.Column("behaviour_tags", sa.String(255)),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
)
marketing_leads = sa.Table(
    "marketing_leads",
    risk,
    _id(),
    sa.Column("phone_hash", sa.String(64), nullable=False, index=True),
    sa.Column("mobile_number", sa.String(11)),
    sa.Column("name", sa.String(32)),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# ---------------------------------------------------------------- cache (Redis)
SESSION_KEY = "session:{user_id}"
LOCATION_KEY = "loc:{user_id}"
SMS_KEY = "sms:{phone_hash}"


@dataclass(frozen=True, slots=True)
class SampleDataset:
    """One dataset of the sample and the element each PI column / hash field holds."""

    id: str
    store: str
    fields: Mapping[str, str]
    """Column (SQL) or hash field (Redis; :data:`REDIS_STRING_FIELD` for a string key)
    → element id of the 小赢卡贷 declaration."""
    table: sa.Table | None = None
    key: str | None = None
    """Redis key pattern, without the prefix a test runs under."""

    @property
    def primary_key(self) -> str:
        if self.table is None:
            raise ValueError(f"dataset {self.id!r} is a Redis key pattern, not a table")
        return str(next(iter(self.table.primary_key.columns)).name)


def _sql(table: sa.Table, store: str, **fields: str) -> SampleDataset:
    return SampleDataset(table.name, store, MappingProxyType(fields), table=table)


def _redis(dataset_id: str, key: str, **fields: str) -> SampleDataset:
    return SampleDataset(dataset_id, CACHE, MappingProxyType(fields), key=key)


DATASETS: tuple[SampleDataset, ...] = (
    _sql(
        users,
        CORE,
        mobile_number="mobile_number",
        phone_hash="mobile_number",
        id_number="id_number",
        id_number_hash="id_number",
        name="name",
        birth_date="id_number",
        password_hash="password",
        monthly_income="monthly_income",
    ),
    _sql(id_verifications, CORE, id_photo_ref="id_photo", face_ref="face"),
    _sql(
        bank_cards,
        CORE,
        card_number="bank_card",
        bank_name="bank_card",
        reserved_mobile="mobile_number",
    ),
    _sql(addresses, CORE, residence_city="residence_city", address="address"),
    _sql(
        emergency_contacts,
        CORE,
        contact_name="emergency_contacts",
        contact_phone="emergency_contacts",
        relation="emergency_contacts",
    ),
    _sql(
        loans,
        CORE,
        amount="loan_records",
        term_months="loan_records",
        status="loan_records",
        applied_at="loan_records",
        settled_at="loan_records",
        overdue_days="overdue_info",
    ),
    _sql(
        repayments,
        CORE,
        paid_at="transaction_records",
        amount="transaction_records",
        card_last4="bank_card",
    ),
    _sql(
        contracts,
        CORE,
        contract_no="loan_records",
        borrower_name="name",
        borrower_id_number="id_number",
        signature_hash="digital_certificate",
        ca_cert_serial="digital_certificate",
    ),
    _sql(
        devices,
        CORE,
        device_id="device_id",
        imei="imei",
        device_model="device_model",
        os_version="os_info",
        mac_address="mac_address",
        ip_address="ip_address",
    ),
    _sql(credit_reports, RISK, report_no="credit_report", report="credit_report"),
    _sql(
        risk_scores, RISK, credit_score="credit_score", behaviour_tags="transaction_behaviour_tags"
    ),
    _sql(marketing_leads, RISK, mobile_number="mobile_number", name="name"),
    _redis("sessions", SESSION_KEY, device_id="device_id", ip_address="ip_address"),
    _redis("locations", LOCATION_KEY, **{REDIS_STRING_FIELD: "precise_location"}),
    _redis("sms_codes", SMS_KEY, **{REDIS_STRING_FIELD: "sms_code"}),
)
"""Every dataset of the sample, parents before children."""


def dataset(dataset_id: str) -> SampleDataset:
    for ds in DATASETS:
        if ds.id == dataset_id:
            return ds
    raise KeyError(f"the sample has no dataset {dataset_id!r}; datasets: {_dataset_ids()}")


def _dataset_ids() -> str:
    return ", ".join(ds.id for ds in DATASETS)


def identity_hash(value: str, key: bytes) -> str:
    """How the app finds a person by phone or ID number without a clear-text index:
    HMAC-SHA256 of the value as stored (digits; ID numbers upper case) under the app's
    key, 64 hex digits. The value is as sensitive as the key is well kept."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def engine_of(engines: Mapping[str, Engine], store: str) -> Engine:
    """The engine of one SQL store; a clear error naming the stores when it is missing."""
    try:
        return engines[store]
    except KeyError:
        raise ValueError(
            f"no engine for store {store!r}; pass one per SQL store of the sample: "
            f"engines={{'{CORE}': …, '{RISK}': …}}"
        ) from None


def create(engines: Mapping[str, Engine]) -> None:
    """Create the sample's tables in each SQL store (``core`` and ``risk``)."""
    for store, metadata in METADATA.items():
        metadata.create_all(engine_of(engines, store))


def drop(engines: Mapping[str, Engine]) -> None:
    """Drop the sample's tables from each SQL store, children first."""
    for store, metadata in METADATA.items():
        metadata.drop_all(engine_of(engines, store))
