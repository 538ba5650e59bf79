"""Accounts: registration, guest browsing, login and password reset (X04, X06–X08).

Every public method asks :class:`~lending_app.privacy.Privacy` before it reads or writes a
PI table (``tests/test_lending_app_rules.py`` checks it). A subject is found by the blind
index of the phone number only (``_subject_by_phone``), to know whom to ask about.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from lending_app.passwords import check_password, code_hash, hash_password
from lending_app.privacy import Evidence, Privacy, Step
from lending_app.schema import guest_visits, sms_codes, users
from lending_app.sms import SmsSender

REGISTER = Step("registration", "account_registration", ("mobile_number", "id_number"))
LOGIN = Step("login", "account_security", ("mobile_number", "password"))
RESET_CODE = Step("password_reset", "password_reset", ("mobile_number", "sms_code"))
RESET = Step("password_reset", "password_reset", ("sms_code", "password"))
RESET_ID_CHECK = Step("password_reset", "identity_verification", ("id_number",))
GUEST = Step("guest_browsing", "guest_browsing", ("browsing_records", "ip_address", "cookie_id"))

CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 5


class AccountError(Exception):
    """A request the app cannot fulfil; the message is shown to the user."""


@dataclass(frozen=True, slots=True)
class Registration:
    phone: str
    id_number: str
    password: str
    consents: Sequence[str]


class Accounts:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def register(self, form: Registration, evidence: Evidence) -> str:
        """A new account (X06): the age gate (X04), the policy and the consents the user
        ticked recorded in yinsi, then the account stored if yinsi allows it."""
        self.privacy.check_age(form.id_number)
        user_id = str(uuid.uuid4())
        self.privacy.accept_policy(user_id, evidence)
        for consent in form.consents:
            self.privacy.grant(user_id, consent, evidence)
        self.privacy.require(user_id, REGISTER)
        fields = self.privacy.fields
        row = {
            "id": user_id,
            "phone_enc": fields.encrypt(form.phone, "users.phone_enc"),
            "phone_bidx": fields.phone_index(form.phone),
            "id_number_enc": fields.encrypt(form.id_number, "users.id_number_enc"),
            "id_number_bidx": fields.id_number_index(form.id_number),
            "password_hash": hash_password(form.password),
            "real_name_verified": False,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._db.begin() as conn:
                conn.execute(insert(users).values(**row))
        except IntegrityError:
            raise AccountError("该手机号码或身份证号码已注册，请直接登录或找回密码。") from None
        return user_id

    def browse(self, cookie_id: str, path: str, ip_address: str | None) -> None:
        """Guest mode (X06): the browsing record is kept only if yinsi allows it."""
        self.privacy.require(f"guest:{cookie_id}", GUEST)
        with self._db.begin() as conn:
            conn.execute(
                insert(guest_visits).values(
                    cookie_id=cookie_id, path=path, ip_address=ip_address, at=datetime.now(UTC)
                )
            )

    def login(self, phone: str, password: str) -> str:
        """X07: mobile number and password; the user id on success."""
        user_id = self._subject_by_phone(phone)
        if user_id is None:
            raise AccountError("手机号码或密码错误。")
        self.privacy.require(user_id, LOGIN)
        with self._db.connect() as conn:
            stored = conn.execute(
                select(users.c.password_hash).where(users.c.id == user_id)
            ).scalar_one_or_none()
        if not check_password(password, stored):
            raise AccountError("手机号码或密码错误。")
        return user_id

    def send_reset_code(self, phone: str, sender: SmsSender) -> None:
        """X08 step 1: a 6-digit code to the registered mobile (nothing said if unknown)."""
        user_id = self._subject_by_phone(phone)
        if user_id is None:
            return
        self.privacy.require(user_id, RESET_CODE)
        code = f"{secrets.randbelow(10**6):06d}"
        index = self.privacy.fields.phone_index(phone)
        with self._db.begin() as conn:
            conn.execute(delete(sms_codes).where(sms_codes.c.phone_bidx == index))
            conn.execute(
                insert(sms_codes).values(
                    phone_bidx=index,
                    code_hash=code_hash(code),
                    expires_at=datetime.now(UTC) + CODE_TTL,
                    attempts=0,
                )
            )
        sender.send(
            phone, f"【小赢卡贷】验证码{code}，5分钟内有效，用于找回登录密码。请勿告知他人。"
        )

    def reset_password(
        self, phone: str, code: str, id_number: str | None, new_password: str
    ) -> str:
        """X08 step 2: the SMS code, then the ID number if the account is real-name verified."""
        user_id = self._subject_by_phone(phone)
        if user_id is None:
            raise AccountError("验证码错误或已过期，请重新获取。")
        self.privacy.require(user_id, RESET)
        self._use_code(self.privacy.fields.phone_index(phone), code)
        with self._db.connect() as conn:
            account = conn.execute(
                select(users.c.real_name_verified, users.c.id_number_bidx).where(
                    users.c.id == user_id
                )
            ).one()
        if account.real_name_verified:
            self.privacy.require(user_id, RESET_ID_CHECK)
            given = self.privacy.fields.id_number_index(id_number) if id_number else None
            if given != account.id_number_bidx:
                raise AccountError("您的账户已实名认证，请输入正确的身份证号码。")
        with self._db.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=hash_password(new_password))
            )
        return user_id

    # ------------------------------------------------------------ internals

    def _subject_by_phone(self, phone: str) -> str | None:
        index = self.privacy.fields.phone_index(phone)
        with self._db.connect() as conn:
            found = conn.execute(
                select(users.c.id).where(
                    users.c.phone_bidx == index, users.c.cancelled_at.is_(None)
                )
            ).scalar_one_or_none()
        return None if found is None else str(found)

    def _use_code(self, index: str, code: str) -> None:
        with self._db.begin() as conn:
            row = conn.execute(
                select(sms_codes).where(sms_codes.c.phone_bidx == index)
            ).one_or_none()
            if row is None or _expired(row.expires_at) or row.attempts >= CODE_ATTEMPTS:
                raise AccountError("验证码错误或已过期，请重新获取。")
            if row.code_hash != code_hash(code):
                conn.execute(
                    update(sms_codes)
                    .where(sms_codes.c.phone_bidx == index)
                    .values(attempts=row.attempts + 1)
                )
                failed = True
            else:
                conn.execute(delete(sms_codes).where(sms_codes.c.phone_bidx == index))
                failed = False
        if failed:
            raise AccountError("验证码错误或已过期，请重新获取。")


def _expired(at: datetime) -> bool:
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return moment < datetime.now(UTC)
