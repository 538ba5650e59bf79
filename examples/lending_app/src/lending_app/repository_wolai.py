"""我来数科 accounts, real-name verification and credit (W03, W04, W05).

Registration and login are one step, 登陆/注册 (scenario ``registration``): mobile number
and an SMS code, no password. Real-name verification (W04) collects name, ID number,
hand-held ID photo, bank card and its reserved mobile; without it no credit service. The
credit application (scenario ``credit_assessment``) and the authorised collection of W03
(third-party accounts, the mobile operator, partner and data-service queries) ask yinsi
first, like every public method here (``tests/test_lending_app_rules.py``). Third-party
credentials are used for the one query and never stored.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lending_app.passwords import code_hash
from lending_app.privacy import Evidence, Privacy, Step
from lending_app.repository import AccountError
from lending_app.schema import sms_codes, users
from lending_app.schema_wolai import (
    wolai_authorisations,
    wolai_credit_applications,
    wolai_real_name,
)
from lending_app.sms import SmsSender

REGISTER = Step("registration", "account_registration", ("mobile_number",))
REAL_NAME = "real_name_verification"
REAL_NAME_ELEMENTS = ("name", "id_number", "id_holding_photo", "bank_card", "bank_reserved_mobile")
# What the payment partner needs to check the card against the ID (四要素验证).
CARD_CHECK = ("name", "id_number", "bank_card", "bank_reserved_mobile")
CREDIT = "credit_assessment"
CREDIT_ELEMENTS = (
    "email",
    "address",
    "education",
    "occupation",
    "monthly_income",
    "property_info",
    "marital_status",
    "device_model",
    "device_id",
)
PARTNERS = "business_partners"

# W03: what each authorisation page obtains (scenario third_party_account_data).
ACCOUNT_SOURCES: dict[str, tuple[str, ...]] = {
    "housing_fund": ("housing_fund",),
    "social_security": ("social_security",),
    "credit_report": ("credit_report",),
    "alipay": ("third_party_platform_data",),
    "jd": ("third_party_platform_data",),
    "taobao": ("third_party_platform_data",),
    "credit_card": ("third_party_platform_data",),
}
# W03: the mobile operator, with the number and its service password or SMS code.
CARRIER_ELEMENTS = (
    "third_party_credentials",
    "mobile_number",
    "sms_code",
    "third_party_platform_data",
)
# W03: queries made on the user's authorisation (scenario credit_assessment).
QUERY_SOURCES: dict[str, tuple[str, ...]] = {
    "partner": ("service_related_info",),
    "data_service": ("credit_report",),
}

CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 5
BRAND = "【我来数科】"


class NotVerified(Exception):
    """W04: a credit service asked for before real-name verification."""


@dataclass(frozen=True, slots=True)
class RealName:
    name: str
    id_number: str
    id_holding_photo_ref: str
    card_number: str
    bank_name: str
    reserved_mobile: str


@dataclass(frozen=True, slots=True)
class CreditForm:
    email: str
    address: str
    education: str
    occupation: str
    monthly_income: str
    property_info: str
    marital_status: str
    device_model: str
    device_id: str
    location: str | None = None

    def elements(self) -> tuple[str, ...]:
        return CREDIT_ELEMENTS + (("precise_location",) if self.location else ())


def require_verified(conn: Connection, user_id: str) -> None:
    """W04: raises :class:`NotVerified` unless the user completed real-name verification."""
    verified = conn.execute(
        select(users.c.real_name_verified).where(users.c.id == user_id)
    ).scalar_one_or_none()
    if not verified:
        raise NotVerified(user_id)


class WolaiAccounts:
    """登陆/注册 with mobile number and SMS code, and real-name verification (W04)."""

    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def send_code(self, phone: str, evidence: Evidence, sender: SmsSender) -> None:
        """The SMS code of 登陆/注册; a new mobile number opens an account (not signed in
        until the code is entered), after the policy is accepted in yinsi."""
        user_id = self._subject_by_phone(phone)
        new = user_id is None
        subject = str(uuid.uuid4()) if user_id is None else user_id
        if new:
            self.privacy.accept_policy(subject, evidence)
        self.privacy.require(subject, REGISTER)
        fields = self.privacy.fields
        index = fields.phone_index(phone)
        code = f"{secrets.randbelow(10**6):06d}"
        with self._db.begin() as conn:
            if new:
                conn.execute(
                    insert(users).values(
                        id=subject,
                        phone_enc=fields.encrypt(phone, "users.phone_enc"),
                        phone_bidx=index,
                        real_name_verified=False,
                        created_at=datetime.now(UTC),
                    )
                )
            conn.execute(delete(sms_codes).where(sms_codes.c.phone_bidx == index))
            conn.execute(
                insert(sms_codes).values(
                    phone_bidx=index,
                    code_hash=code_hash(code),
                    expires_at=datetime.now(UTC) + CODE_TTL,
                    attempts=0,
                )
            )
        sender.send(phone, f"{BRAND}验证码{code}，5分钟内有效，用于登录/注册。请勿告知他人。")

    def sign_in(self, phone: str, code: str) -> str:
        """The user id once the SMS code is right."""
        user_id = self._subject_by_phone(phone)
        if user_id is None:
            raise AccountError("验证码错误或已过期，请重新获取。")
        self.privacy.require(user_id, REGISTER)
        index = self.privacy.fields.phone_index(phone)
        with self._db.begin() as conn:
            row = conn.execute(
                select(sms_codes).where(sms_codes.c.phone_bidx == index)
            ).one_or_none()
            good = (
                row is not None
                and not _expired(row.expires_at)
                and row.attempts < CODE_ATTEMPTS
                and row.code_hash == code_hash(code)
            )
            if good:
                conn.execute(delete(sms_codes).where(sms_codes.c.phone_bidx == index))
            elif row is not None:
                conn.execute(
                    update(sms_codes)
                    .where(sms_codes.c.phone_bidx == index)
                    .values(attempts=row.attempts + 1)
                )
        if not good:
            raise AccountError("验证码错误或已过期，请重新获取。")
        return user_id

    def verify_real_name(self, user_id: str, form: RealName) -> int:
        """W04: every element decided by yinsi (separate consents of the remediated
        declaration), stored encrypted, the card checked by a business partner through
        the sharing gate; a refusal stores nothing."""
        self.privacy.require(user_id, Step(REAL_NAME, "identity_verification", REAL_NAME_ELEMENTS))
        enc = self.privacy.fields.encrypt
        try:
            with self.privacy.writing(self._db) as (conn, provide):
                conn.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(
                        name_enc=enc(form.name, "users.name_enc"),
                        id_number_enc=enc(form.id_number, "users.id_number_enc"),
                        id_number_bidx=self.privacy.fields.id_number_index(form.id_number),
                        real_name_verified=True,
                    )
                )
                result = conn.execute(
                    insert(wolai_real_name)
                    .values(
                        user_id=user_id,
                        id_holding_photo_enc=enc(
                            form.id_holding_photo_ref, "wolai_real_name.id_holding_photo_enc"
                        ),
                        bank_card_enc=enc(form.card_number, "wolai_real_name.bank_card_enc"),
                        bank_name=form.bank_name,
                        reserved_mobile_enc=enc(
                            form.reserved_mobile, "wolai_real_name.reserved_mobile_enc"
                        ),
                        verified_at=datetime.now(UTC),
                    )
                    .returning(wolai_real_name.c.id)
                )
                record = int(result.scalar_one())
                provision = provide(
                    user_id, PARTNERS, Step(REAL_NAME, "identity_verification", CARD_CHECK)
                )
                conn.execute(
                    update(wolai_real_name)
                    .where(wolai_real_name.c.id == record)
                    .values(provision_id=provision)
                )
        except IntegrityError:
            raise AccountError("该身份证号码已完成实名认证，请使用原账户登录。") from None
        return record

    def _subject_by_phone(self, phone: str) -> str | None:
        index = self.privacy.fields.phone_index(phone)
        with self._db.connect() as conn:
            found = conn.execute(
                select(users.c.id).where(
                    users.c.phone_bidx == index, users.c.cancelled_at.is_(None)
                )
            ).scalar_one_or_none()
        return None if found is None else str(found)


class WolaiCredit:
    """W03 authorised collection and W05 credit application, after real-name (W04)."""

    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def authorise_account(self, user_id: str, source: str, account: str, secret: str) -> int:
        """W03: a third-party account (公积金、社保、征信、支付宝、京东、淘宝、信用卡) queried
        with the credentials the user typed on the authorisation page; only what it
        returned is kept, encrypted."""
        obtained = ACCOUNT_SOURCES.get(source)
        if obtained is None:
            raise AccountError(f"不支持的授权来源：{source}")
        elements = ("third_party_credentials", *obtained)
        self.privacy.require(user_id, Step("third_party_account_data", CREDIT, elements))
        data = _fetch(source, account, secret)
        return self._keep(user_id, source, "account_authorisation", data)

    def authorise_carrier(self, user_id: str, phone: str, service_code: str) -> int:
        """W03: the mobile operator's data, with the mobile number and its service
        password or SMS code."""
        elements = CARRIER_ELEMENTS
        self.privacy.require(user_id, Step("third_party_account_data", CREDIT, elements))
        data = _fetch("carrier", phone, service_code)
        return self._keep(user_id, "carrier", "mobile_service_password", data)

    def query(self, user_id: str, source: str) -> int:
        """W03: a business partner's or a licensed data service's query on the user's
        authorisation (scenario credit_assessment)."""
        elements = QUERY_SOURCES.get(source)
        if elements is None:
            raise AccountError(f"不支持的查询来源：{source}")
        self.privacy.require(user_id, Step(CREDIT, CREDIT, elements))
        method = "partner" if source == "partner" else "data_service_query"
        return self._keep(user_id, source, method, _fetch(source, user_id, ""))

    def apply(self, user_id: str, form: CreditForm) -> int:
        """W05: the application (user input, device data, location if authorised), only
        after real-name verification (W04); provided to the business partners."""
        step = Step(CREDIT, CREDIT, form.elements())
        self.privacy.require(user_id, step)
        enc = self.privacy.fields.encrypt
        table = "wolai_credit_applications"
        with self.privacy.writing(self._db) as (conn, provide):
            require_verified(conn, user_id)
            result = conn.execute(
                insert(wolai_credit_applications)
                .values(
                    user_id=user_id,
                    status="pending",
                    email_enc=enc(form.email, f"{table}.email_enc"),
                    address_enc=enc(form.address, f"{table}.address_enc"),
                    education=form.education,
                    occupation=form.occupation,
                    monthly_income_enc=enc(form.monthly_income, f"{table}.monthly_income_enc"),
                    property_info_enc=enc(form.property_info, f"{table}.property_info_enc"),
                    marital_status=form.marital_status,
                    device_model=form.device_model,
                    device_id=form.device_id,
                    location_enc=enc(form.location, f"{table}.location_enc"),
                    applied_at=datetime.now(UTC),
                )
                .returning(wolai_credit_applications.c.id)
            )
            application = int(result.scalar_one())
            shared = Step(CREDIT, CREDIT, ("name", "id_number", *step.elements))
            provision = provide(user_id, PARTNERS, shared)
            conn.execute(
                update(wolai_credit_applications)
                .where(wolai_credit_applications.c.id == application)
                .values(provision_id=provision, status="submitted")
            )
        return application

    def _keep(self, user_id: str, source: str, method: str, data: dict[str, str]) -> int:
        token = self.privacy.fields.encrypt(
            json.dumps(data, ensure_ascii=False), "wolai_authorisations.data_enc"
        )
        with self._db.begin() as conn:
            result = conn.execute(
                insert(wolai_authorisations)
                .values(
                    user_id=user_id,
                    source=source,
                    method=method,
                    data_enc=token,
                    obtained_at=datetime.now(UTC),
                )
                .returning(wolai_authorisations.c.id)
            )
            return int(result.scalar_one())


def _fetch(source: str, account: str, secret: str) -> dict[str, str]:
    """Stand-in for the third party's answer (a deployment calls the real service). The
    credentials are used for this call only."""
    del account, secret
    return {"source": source, "summary": "（示例数据）已获取授权范围内的信息", "at": _now()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _expired(at: datetime) -> bool:
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment < datetime.now(UTC)
