"""Shopping (X12) and customer service (X13): orders whose delivery details leave for the
warehousing/logistics suppliers and the merchant only through yinsi's sharing gate, paper
invoices asked for through customer service, identity checks of customer service and of
follow-up calls, and the chat logs kept for the declared retention.

Every public method asks yinsi first (``tests/test_lending_app_rules.py``); a subject is
found by the blind index of the phone number only (``_subject_by_phone``). Customer service
and follow-up calls reach the user by phone, not by an app session: the mobile number plus
one more proof (the last 6 ID digits, the account or an order; for follow-up calls the
name, the last 4 ID digits and an order) is checked before anything is said or kept.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lending_app.privacy import Privacy, Step
from lending_app.repository import AccountError
from lending_app.schema import users
from lending_app.schema_shop import (
    chat_logs,
    follow_ups,
    invoice_requests,
    service_check_failures,
    shop_orders,
)

SHOPPING = "shopping_order"
DELIVERY = ("recipient_name", "delivery_address", "mobile_number", "order_info")
ORDER = Step(SHOPPING, "order_fulfilment", DELIVERY)
SUPPLIERS = "shopping_suppliers"
"""仓储、物流、支付、客服供应商: receive the delivery details (2.2.4 D a)."""
MERCHANTS = "mall_merchants"
"""本平台内商家: receive the order information only."""
TO_MERCHANT = Step(SHOPPING, "order_fulfilment", ("order_info",))

SERVICE = "customer_service"
CHAT = Step(SERVICE, "customer_service", ("chat_logs",))
INVOICE = Step("paper_invoice", "invoice", ("invoice_info",))
FOLLOW_UP_PROOF = ("mobile_number", "name", "id_number_last4", "order_info")
FOLLOW_UP_CHECK = Step("follow_up_calls", "identity_verification", FOLLOW_UP_PROOF)
FOLLOW_UP = Step("follow_up_calls", "follow_up", FOLLOW_UP_PROOF)

NOT_VERIFIED = "身份核验未通过，请核对您提供的信息。"
NO_CHAT = "客服会话不存在或不属于该手机号码。"
LOCKED = "身份核验失败次数过多，请30分钟后再试，或拨打客服热线952592。"
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Order:
    item: str
    quantity: int
    recipient_name: str
    delivery_address: str
    mobile: str


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: int
    supplier_provision: int
    merchant_provision: int


@dataclass(frozen=True, slots=True)
class Proof:
    """Who calls customer service: the mobile number and one more item (X13)."""

    mobile: str
    id_last6: str | None = None
    account_id: str | None = None
    order_id: int | None = None

    def elements(self) -> tuple[str, ...]:
        given = {
            "id_number_last6": self.id_last6,
            "account_id": self.account_id,
            "order_info": self.order_id,
        }
        return ("mobile_number", *(e for e, v in given.items() if v is not None))

    def used(self) -> str:
        names = {"id_number_last6": "身份证号码后6位", "account_id": "账号", "order_info": "订单"}
        return "、".join(["手机号码", *(names[e] for e in self.elements()[1:])])


@dataclass(frozen=True, slots=True)
class Invoice:
    """开具发票所需的基本信息和接收发票的方式 (1.1.1 F(2))."""

    title: str
    mailing_address: str
    tax_id: str | None = None


@dataclass(frozen=True, slots=True)
class FollowUpAnswer:
    """What the user answers on a follow-up call to prove who they are (X13)."""

    mobile: str
    name: str
    id_last4: str
    order_id: int
    note: str


class Shop:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def order(self, user_id: str, form: Order) -> Placed:
        """X12: the order stored encrypted; its delivery details provided to the suppliers
        and the order to the merchant through yinsi's sharing gate, in the transaction that
        stores it — a refused provision stores nothing."""
        self.privacy.require(user_id, ORDER)
        enc = self.privacy.fields.encrypt
        with self.privacy.writing(self._db) as (conn, provide):
            result = conn.execute(
                insert(shop_orders)
                .values(
                    user_id=user_id,
                    item=form.item,
                    quantity=form.quantity,
                    recipient_name_enc=enc(form.recipient_name, "shop_orders.recipient_name_enc"),
                    delivery_address_enc=enc(
                        form.delivery_address, "shop_orders.delivery_address_enc"
                    ),
                    mobile_enc=enc(form.mobile, "shop_orders.mobile_enc"),
                    status="pending",
                    ordered_at=datetime.now(UTC),
                )
                .returning(shop_orders.c.id)
            )
            order_id = int(result.scalar_one())
            supplier = provide(user_id, SUPPLIERS, ORDER)
            merchant = provide(user_id, MERCHANTS, TO_MERCHANT)
            conn.execute(
                update(shop_orders)
                .where(shop_orders.c.id == order_id)
                .values(
                    supplier_provision_id=supplier, merchant_provision_id=merchant, status="placed"
                )
            )
        return Placed(order_id, supplier, merchant)


class CustomerService:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def open_chat(self, proof: Proof) -> str:
        """X13: the caller's identity checked (mobile plus the last 6 ID digits, the account
        or an order); a new chat whose log is kept (``chat_logs``); its id."""
        user_id = self._subject_by_phone(proof.mobile)
        if user_id is None:
            raise AccountError(NOT_VERIFIED)
        self.privacy.require(user_id, Step(SERVICE, "identity_verification", proof.elements()))
        self._check(user_id, proof)
        self.privacy.require(user_id, CHAT)
        chat_id = secrets.token_urlsafe(24)
        with self._db.begin() as conn:
            _log(conn, self.privacy, user_id, chat_id, "system", f"身份已核验（{proof.used()}）")
        return chat_id

    def say(self, mobile: str, chat_id: str, text: str) -> None:
        """A message of the user in a verified chat, kept in the chat log (encrypted)."""
        user_id = self._subject_by_phone(mobile)
        if user_id is None:
            raise AccountError(NO_CHAT)
        self.privacy.require(user_id, CHAT)
        with self._db.begin() as conn:
            _own_chat(conn, user_id, chat_id)
            _log(conn, self.privacy, user_id, chat_id, "user", text)

    def paper_invoice(
        self, mobile: str, chat_id: str, order_id: int | None, invoice: Invoice
    ) -> int:
        """X12: a paper invoice asked for in a verified customer-service chat; the invoice
        details are kept encrypted."""
        user_id = self._subject_by_phone(mobile)
        if user_id is None:
            raise AccountError(NO_CHAT)
        self.privacy.require(user_id, INVOICE)
        info = json.dumps(asdict(invoice), ensure_ascii=False)
        with self._db.begin() as conn:
            _own_chat(conn, user_id, chat_id)
            if order_id is not None and not _owns_order(conn, user_id, order_id):
                raise AccountError("订单不存在。")
            result = conn.execute(
                insert(invoice_requests)
                .values(
                    user_id=user_id,
                    order_id=order_id,
                    chat_id=chat_id,
                    invoice_info_enc=self.privacy.fields.encrypt(
                        info, "invoice_requests.invoice_info_enc"
                    ),
                    requested_at=datetime.now(UTC),
                )
                .returning(invoice_requests.c.id)
            )
            return int(result.scalar_one())

    def follow_up(self, answer: FollowUpAnswer) -> int:
        """X13: a follow-up call made only once the user proved who they are (mobile, name,
        the last 4 ID digits, the order); the call is recorded."""
        user_id = self._subject_by_phone(answer.mobile)
        if user_id is None:
            raise AccountError(NOT_VERIFIED)
        self.privacy.require(user_id, FOLLOW_UP_CHECK)
        fields = self.privacy.fields
        with self._db.connect() as conn:
            row = conn.execute(
                select(users.c.name_enc, users.c.id_number_enc).where(users.c.id == user_id)
            ).one()
            owns = _owns_order(conn, user_id, answer.order_id)
        name = fields.decrypt(row.name_enc, "users.name_enc")
        number = fields.decrypt(row.id_number_enc, "users.id_number_enc") or ""
        self._count(user_id, owns and name == answer.name and _same(number[-4:], answer.id_last4))
        self.privacy.require(user_id, FOLLOW_UP)
        with self._db.begin() as conn:
            result = conn.execute(
                insert(follow_ups)
                .values(
                    user_id=user_id,
                    order_id=answer.order_id,
                    verified_by="手机号码、姓名、身份证号码后4位、订单",
                    note=answer.note,
                    called_at=datetime.now(UTC),
                )
                .returning(follow_ups.c.id)
            )
            return int(result.scalar_one())

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

    def _check(self, user_id: str, proof: Proof) -> None:
        """Raises :class:`AccountError` unless the proof's items are the user's."""
        with self._db.connect() as conn:
            number_enc = conn.execute(
                select(users.c.id_number_enc).where(users.c.id == user_id)
            ).scalar_one()
            owns = proof.order_id is None or _owns_order(conn, user_id, proof.order_id)
        number = self.privacy.fields.decrypt(number_enc, "users.id_number_enc") or ""
        checks = [
            owns,
            proof.id_last6 is None or _same(number[-6:], proof.id_last6),
            proof.account_id is None or proof.account_id == user_id,
        ]
        self._count(user_id, all(checks))

    def _count(self, user_id: str, passed: bool) -> None:
        """Raises :class:`AccountError` unless ``passed``; after :data:`LOCK_AFTER` failures
        in :data:`LOCK_FOR` no check passes until the period is over (no guessing of ID
        digits by phone)."""
        now = datetime.now(UTC)
        who = service_check_failures.c.user_id == user_id
        with self._db.begin() as conn:
            row = conn.execute(select(service_check_failures).where(who)).one_or_none()
            recent = row is not None and _aware(row.last_failed_at) > now - LOCK_FOR
            failures = row.failures if row is not None and recent else 0
            if failures >= LOCK_AFTER:
                raise AccountError(LOCKED)
            conn.execute(delete(service_check_failures).where(who))
            if not passed:
                conn.execute(
                    insert(service_check_failures).values(
                        user_id=user_id, failures=failures + 1, last_failed_at=now
                    )
                )
        if not passed:
            raise AccountError(NOT_VERIFIED)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _same(expected: str, given: str) -> bool:
    return len(expected) == len(given) and secrets.compare_digest(expected.upper(), given.upper())


def _owns_order(conn: Connection, user_id: str, order_id: int) -> bool:
    found = conn.execute(
        select(shop_orders.c.id).where(
            shop_orders.c.id == order_id, shop_orders.c.user_id == user_id
        )
    ).scalar_one_or_none()
    return found is not None


def _own_chat(conn: Connection, user_id: str, chat_id: str) -> None:
    found = conn.execute(
        select(chat_logs.c.id)
        .where(chat_logs.c.chat_id == chat_id, chat_logs.c.user_id == user_id)
        .limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise AccountError(NO_CHAT)


def _log(
    conn: Connection, privacy: Privacy, user_id: str, chat_id: str, speaker: str, text: str
) -> None:
    conn.execute(
        insert(chat_logs).values(
            user_id=user_id,
            chat_id=chat_id,
            speaker=speaker,
            text_enc=privacy.fields.encrypt(text, "chat_logs.text_enc"),
            at=datetime.now(UTC),
        )
    )
