"""我来数科 contacts (W06), merchant loans (W07), car-insurance instalments (W08) and
device leasing (W09). Every public method asks yinsi first.

W06: the contacts (parent or spouse, one colleague) are collected in scenario
``emergency_contacts`` and used only in ``post_loan_contact`` (post-loan management or an
emergency; calls may be recorded). Any other use — e.g. inviting the contacts to sign up
— is a purpose the declaration does not give them: yinsi refuses it and nothing is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from lending_app.calls_wolai import Dialer
from lending_app.privacy import Privacy, Step
from lending_app.repository import AccountError
from lending_app.repository_wolai import PARTNERS, require_verified
from lending_app.schema_wolai import (
    wolai_calls,
    wolai_car_insurance,
    wolai_contacts,
    wolai_leases,
    wolai_merchant_loans,
)

CONTACT_ELEMENTS = ("emergency_contacts", "colleague_contact")
FAMILY = frozenset({"父亲", "母亲", "配偶"})
COLLECTION_AGENTS = "collection_service_providers"
MERCHANT = Step("merchant_loan", "merchant_loan", ("business_licence", "business_operating_data"))
CAR = Step(
    "car_insurance_instalment", "car_insurance_instalment", ("vehicle_info", "insurance_info")
)
LEASE = Step("device_leasing", "device_leasing", ("delivery_address",))


@dataclass(frozen=True, slots=True)
class ContactForm:
    name: str
    phone: str
    relation: str  # 父亲 | 母亲 | 配偶 | 同事


@dataclass(frozen=True, slots=True)
class Placed:
    calls: int
    provision_id: int | None


def _check_contacts(contacts: Sequence[ContactForm]) -> None:
    family = [c for c in contacts if c.relation in FAMILY]
    colleagues = [c for c in contacts if c.relation == "同事"]
    if len(family) != 1 or len(colleagues) > 1 or len(contacts) != len(family) + len(colleagues):
        raise AccountError("请填写一位父母或配偶作为紧急联系人，并可另填一位同事。")


class WolaiContacts:
    """W06: collected for emergencies, used only by the post-loan endpoint."""

    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def save(self, user_id: str, contacts: Sequence[ContactForm]) -> int:
        """The contacts (父母或配偶 and one 同事), phone numbers encrypted."""
        _check_contacts(contacts)
        self.privacy.require(
            user_id, Step("emergency_contacts", "emergency_contact", CONTACT_ELEMENTS)
        )
        enc = self.privacy.fields.encrypt
        with self._db.begin() as conn:
            for c in contacts:
                conn.execute(
                    insert(wolai_contacts).values(
                        user_id=user_id,
                        kind="family" if c.relation in FAMILY else "colleague",
                        contact_name=c.name,
                        contact_phone_enc=enc(c.phone, "wolai_contacts.contact_phone_enc"),
                        relation=c.relation,
                    )
                )
        return len(contacts)

    def call(self, user_id: str, purpose: str, dialer: Dialer) -> Placed:
        """The back office calls the contacts for ``purpose``: yinsi allows only post-loan
        management and emergencies (scenario post_loan_contact); the calls are recorded
        and, for post-loan management, the entrusted collection agents receive what they
        need through the sharing gate."""
        elements = (*CONTACT_ELEMENTS, "call_recordings")
        self.privacy.require(user_id, Step("post_loan_contact", purpose, elements))
        fields = self.privacy.fields
        placed, provision = 0, None
        with self.privacy.writing(self._db) as (conn, provide):
            rows = conn.execute(
                select(wolai_contacts.c.id, wolai_contacts.c.contact_phone_enc).where(
                    wolai_contacts.c.user_id == user_id
                )
            ).all()
            if rows and purpose == "post_loan_management":
                step = Step("post_loan_contact", purpose, ("mobile_number", *elements))
                provision = provide(user_id, COLLECTION_AGENTS, step)
            for row in rows:
                phone = fields.decrypt(row.contact_phone_enc, "wolai_contacts.contact_phone_enc")
                recording = dialer.dial(phone or "", purpose)
                conn.execute(
                    insert(wolai_calls).values(
                        user_id=user_id,
                        contact_id=row.id,
                        purpose=purpose,
                        recording_enc=fields.encrypt(recording, "wolai_calls.recording_enc"),
                        provision_id=provision,
                        called_at=datetime.now(UTC),
                    )
                )
                placed += 1
        return Placed(placed, provision)

    def invite(self, user_id: str, dialer: Dialer) -> int:
        """A marketing use of the contacts (邀请联系人注册): the declaration gives them no
        such purpose, so yinsi refuses and no contact is read."""
        self.privacy.require(user_id, Step("emergency_contacts", "marketing", CONTACT_ELEMENTS))
        with self._db.connect() as conn:
            rows = conn.execute(
                select(wolai_contacts.c.contact_phone_enc).where(
                    wolai_contacts.c.user_id == user_id
                )
            ).all()
        for row in rows:
            phone = self.privacy.fields.decrypt(
                row.contact_phone_enc, "wolai_contacts.contact_phone_enc"
            )
            dialer.dial(phone or "", "marketing")
        return len(rows)


class WolaiProducts:
    """W07 merchant loans, W08 car-insurance instalments, W09 device leasing."""

    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def merchant_loan(self, user_id: str, licence: str, operating_data: str) -> int:
        """W07: business licence and operating data, provided to the business partners
        (the funder's precondition); a credit service, so after real-name (W04)."""
        self.privacy.require(user_id, MERCHANT)
        enc = self.privacy.fields.encrypt
        with self.privacy.writing(self._db) as (conn, provide):
            require_verified(conn, user_id)
            result = conn.execute(
                insert(wolai_merchant_loans)
                .values(
                    user_id=user_id,
                    business_licence=licence,
                    operating_data_enc=enc(
                        operating_data, "wolai_merchant_loans.operating_data_enc"
                    ),
                    applied_at=datetime.now(UTC),
                )
                .returning(wolai_merchant_loans.c.id)
            )
            made = int(result.scalar_one())
            provision = provide(user_id, PARTNERS, MERCHANT)
            conn.execute(
                update(wolai_merchant_loans)
                .where(wolai_merchant_loans.c.id == made)
                .values(provision_id=provision)
            )
        return made

    def car_insurance(self, user_id: str, vehicle: str, policy: str) -> int:
        """W08: vehicle and policy data, provided to the business partners."""
        self.privacy.require(user_id, CAR)
        enc = self.privacy.fields.encrypt
        with self.privacy.writing(self._db) as (conn, provide):
            require_verified(conn, user_id)
            result = conn.execute(
                insert(wolai_car_insurance)
                .values(
                    user_id=user_id,
                    vehicle_enc=enc(vehicle, "wolai_car_insurance.vehicle_enc"),
                    policy_enc=enc(policy, "wolai_car_insurance.policy_enc"),
                    applied_at=datetime.now(UTC),
                )
                .returning(wolai_car_insurance.c.id)
            )
            made = int(result.scalar_one())
            provision = provide(user_id, PARTNERS, CAR)
            conn.execute(
                update(wolai_car_insurance)
                .where(wolai_car_insurance.c.id == made)
                .values(provision_id=provision)
            )
        return made

    def lease(self, user_id: str, product: str, delivery_address: str) -> int:
        """W09: 淘新机 needs the delivery address (kept encrypted)."""
        self.privacy.require(user_id, LEASE)
        with self._db.begin() as conn:
            result = conn.execute(
                insert(wolai_leases)
                .values(
                    user_id=user_id,
                    product=product,
                    delivery_address_enc=self.privacy.fields.encrypt(
                        delivery_address, "wolai_leases.delivery_address_enc"
                    ),
                    ordered_at=datetime.now(UTC),
                )
                .returning(wolai_leases.c.id)
            )
            return int(result.scalar_one())
