"""The app's HTTP API for shopping (X12) and customer service (X13); mounted by
:func:`lending_app.create_app`. Routes validate input and call the repositories of
:mod:`lending_app.repository_shop`; yinsi's refusals become 403 answers (``app.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from lending_app.repository_shop import (
    CustomerService,
    FollowUpAnswer,
    Invoice,
    Order,
    Proof,
    Shop,
)
from lending_app.routes import State, User

router = APIRouter(prefix="/api")


def shop(app: State) -> Shop:
    return Shop(app.db, app.privacy)


def service(app: State) -> CustomerService:
    return CustomerService(app.db, app.privacy)


Shops = Annotated[Shop, Depends(shop)]
Service = Annotated[CustomerService, Depends(service)]

MOBILE = Field(min_length=11, max_length=20)


class OrderBody(BaseModel):
    item: str = Field(min_length=1, max_length=100)
    quantity: int = Field(1, ge=1, le=99)
    recipient_name: str = Field(min_length=1, max_length=50)
    delivery_address: str = Field(min_length=5, max_length=200)
    mobile: str = MOBILE


class ProofBody(BaseModel):
    """手机号码，加身份证号码后6位、账号或订单号之一。"""

    mobile: str = MOBILE
    id_last6: str | None = Field(None, pattern=r"^[0-9]{5}[0-9Xx]$")
    account_id: str | None = Field(None, max_length=36)
    order_id: int | None = None

    @model_validator(mode="after")
    def _one_more(self) -> ProofBody:
        if (self.id_last6, self.account_id, self.order_id) == (None, None, None):
            raise ValueError("请另外提供身份证号码后6位、账号或订单号之一以核实身份")
        return self


class MessageBody(BaseModel):
    mobile: str = MOBILE
    text: str = Field(min_length=1, max_length=2000)


class InvoiceBody(BaseModel):
    mobile: str = MOBILE
    order_id: int | None = None
    title: str = Field(min_length=1, max_length=100)
    tax_id: str | None = Field(None, max_length=30)
    mailing_address: str = Field(min_length=5, max_length=200)


class FollowUpBody(BaseModel):
    mobile: str = MOBILE
    name: str = Field(min_length=1, max_length=50)
    id_last4: str = Field(pattern=r"^[0-9]{3}[0-9Xx]$")
    order_id: int
    note: str = Field("", max_length=500)


@router.post("/shop/orders", status_code=201)
def place_order(body: OrderBody, user: User, shops: Shops) -> dict[str, int]:
    """X12: needs the separate consent to the delivery address (收货地址*) and the consent
    to provide it to the suppliers (shopping_sharing); both asked in yinsi."""
    placed = shops.order(user, Order(**body.model_dump()))
    return {
        "order_id": placed.order_id,
        "supplier_provision": placed.supplier_provision,
        "merchant_provision": placed.merchant_provision,
    }


@router.post("/service/chats", status_code=201)
def open_chat(body: ProofBody, desk: Service) -> dict[str, str]:
    """X13: online customer service / hotline: the identity is checked first."""
    return {"chat_id": desk.open_chat(Proof(**body.model_dump()))}


@router.post("/service/chats/{chat_id}/messages", status_code=204)
def say(chat_id: str, body: MessageBody, desk: Service) -> None:
    desk.say(body.mobile, chat_id, body.text)


@router.post("/service/chats/{chat_id}/paper-invoice", status_code=201)
def paper_invoice(chat_id: str, body: InvoiceBody, desk: Service) -> dict[str, int]:
    """X12: 纸质发票 through customer service."""
    invoice = Invoice(body.title, body.mailing_address, body.tax_id)
    return {"invoice_id": desk.paper_invoice(body.mobile, chat_id, body.order_id, invoice)}


@router.post("/service/follow-ups", status_code=201)
def follow_up(body: FollowUpBody, desk: Service) -> dict[str, int]:
    """X13: a follow-up call recorded once the user's answers match (staff side)."""
    return {"follow_up_id": desk.follow_up(FollowUpAnswer(**body.model_dump()))}
