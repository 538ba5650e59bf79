"""Credit lines: the application (X10, W05) with the provision to the funding provider,
and the optional increase (X11). Every public method asks yinsi first: the decisions, then
the provision (recorded in yinsi's provision ledger) with the app's write
(:meth:`Privacy.providing`). A refused step or provision stores nothing. Over HTTP the
provision is recorded before the app's transaction opens (none stays open across a network
round trip, which would hold SQLite's write lock); embedded on the app's own SQLite file it
is written in that transaction, one commit for both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from lending_app.privacy import Privacy, Step
from lending_app.repository import AccountError
from lending_app.schema import (
    bank_cards,
    contacts,
    credit_applications,
    credit_increases,
    id_verifications,
    users,
)

SCENARIO = "credit_line_application"
IDENTITY = Step(SCENARIO, "identity_verification", ("name", "id_number", "id_photo", "face"))
ASSESSMENT = (
    "monthly_income",
    "residence_city",
    "address",
    "emergency_contacts",
    "common_contacts",
    "bank_card",
)
FUNDER = "funders"
INCREASE = "credit_line_increase"


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    relation: str
    kind: str = "emergency"


@dataclass(frozen=True, slots=True)
class Application:
    name: str
    id_number: str
    id_photo_ref: str
    face_ref: str
    monthly_income: str
    residence_city: str
    address: str
    card_number: str
    bank_name: str
    reserved_mobile: str
    contacts: list[Contact] = field(default_factory=list)
    business_licence: str | None = None


@dataclass(frozen=True, slots=True)
class Increase:
    """The optional supplement (X11): only what the user chose to give is asked about."""

    marital_status: str | None = None
    employer: str | None = None
    industry: str | None = None
    occupation: str | None = None
    income_range: str | None = None
    address: str | None = None
    housing_fund: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in _increase_values(self).items() if v is not None}


def _increase_values(form: Increase) -> dict[str, str | None]:
    return {name: getattr(form, name) for name in Increase.__dataclass_fields__}


class Credit:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def apply(self, user_id: str, form: Application) -> int:
        """X10: identity (name, ID, ID photo, face) and assessment data, each step decided
        by yinsi; stored encrypted; provided to the funding provider through the sharing gate."""
        assessment = ASSESSMENT + (("business_licence",) if form.business_licence else ())
        self.privacy.require(user_id, IDENTITY, Step(SCENARIO, "credit_assessment", assessment))
        fields = self.privacy.fields
        with self._db.connect() as conn:
            registered = conn.execute(
                select(users.c.id_number_bidx).where(users.c.id == user_id)
            ).scalar_one()
        if fields.id_number_index(form.id_number) != registered:
            raise AccountError("身份证号码与注册时填写的不一致，请核对后重新提交。")
        provided = Step(SCENARIO, "credit_assessment", IDENTITY.elements + assessment)
        with self.privacy.providing(self._db, user_id, (FUNDER, provided)) as (conn, ids):
            return self._store(conn, user_id, form, ids[0])

    def increase(self, user_id: str, form: Increase) -> int:
        """X11: the optional supplement; only the elements given are decided and provided."""
        given = form.given()
        if not given:
            raise AccountError("请至少补充一项资料。")
        step = Step(INCREASE, INCREASE, tuple(given))
        self.privacy.require(user_id, step)
        enc = self.privacy.fields.encrypt
        provided = Step(INCREASE, "credit_assessment", step.elements)
        with self.privacy.providing(self._db, user_id, (FUNDER, provided)) as (conn, ids):
            row = {k: v for k, v in given.items() if k not in ("income_range", "address")}
            result = conn.execute(
                insert(credit_increases)
                .values(
                    user_id=user_id,
                    income_range_enc=enc(
                        given.get("income_range"), "credit_increases.income_range_enc"
                    ),
                    address_enc=enc(given.get("address"), "credit_increases.address_enc"),
                    applied_at=datetime.now(UTC),
                    provision_id=ids[0],
                    **row,
                )
                .returning(credit_increases.c.id)
            )
            return int(result.scalar_one())

    def _store(self, conn: Connection, user_id: str, form: Application, provision: int) -> int:
        """The application, submitted, with the id of its provision in yinsi's ledger."""
        enc = self.privacy.fields.encrypt
        now = datetime.now(UTC)
        conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(name_enc=enc(form.name, "users.name_enc"), real_name_verified=True)
        )
        conn.execute(
            insert(id_verifications).values(
                user_id=user_id,
                id_photo_ref=enc(form.id_photo_ref, "id_verifications.id_photo_ref"),
                face_ref=enc(form.face_ref, "id_verifications.face_ref"),
                verified_at=now,
            )
        )
        conn.execute(
            insert(bank_cards).values(
                user_id=user_id,
                card_number_enc=enc(form.card_number, "bank_cards.card_number_enc"),
                bank_name=form.bank_name,
                reserved_mobile_enc=enc(form.reserved_mobile, "bank_cards.reserved_mobile_enc"),
            )
        )
        for contact in form.contacts:
            conn.execute(
                insert(contacts).values(
                    user_id=user_id,
                    kind=contact.kind,
                    contact_name=contact.name,
                    contact_phone_enc=enc(contact.phone, "contacts.contact_phone_enc"),
                    relation=contact.relation,
                )
            )
        result = conn.execute(
            insert(credit_applications)
            .values(
                user_id=user_id,
                status="submitted",
                provision_id=provision,
                monthly_income_enc=enc(
                    form.monthly_income, "credit_applications.monthly_income_enc"
                ),
                residence_city=form.residence_city,
                address_enc=enc(form.address, "credit_applications.address_enc"),
                business_licence=form.business_licence,
                applied_at=now,
            )
            .returning(credit_applications.c.id)
        )
        return int(result.scalar_one())
