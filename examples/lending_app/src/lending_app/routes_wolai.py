"""The app's HTTP API for the 我来数科 brand (issue 15; W03, W04, W06-W09) under
``/api/wolai``; it answers 404 unless the app runs as 我来数科 (``LENDING_BRAND=wolai``).
Routes validate input and call the wolai repositories; consents are granted and withdrawn
through ``/api/consents/{id}`` (yinsi's ledger)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field

from lending_app.calls_wolai import CallOutbox, Dialer
from lending_app.repository_wolai import (
    CreditForm,
    NotVerified,
    RealName,
    WolaiAccounts,
    WolaiCredit,
)
from lending_app.repository_wolai_services import ContactForm, WolaiContacts, WolaiProducts
from lending_app.routes import User
from lending_app.state import AppState

router = APIRouter(prefix="/api/wolai")

NOT_VERIFIED = (
    "请先完成实名认证（姓名、身份证号码、手持身份证照片、银行卡及预留手机号码）后再使用借款服务。"
)


def wolai(request: Request) -> AppState:
    if getattr(request.app.state.settings, "brand", None) != "wolai":
        raise HTTPException(404, "Not Found")
    found: AppState = request.app.state.lending
    return found


Wolai = Annotated[AppState, Depends(wolai)]


def dialer(request: Request) -> Dialer:
    """The call gateway (an in-memory :class:`CallOutbox` unless the deployment set one)."""
    found: Dialer | None = getattr(request.app.state, "wolai_dialer", None)
    if found is None:
        found = request.app.state.wolai_dialer = CallOutbox()
    return found


def operator(request: Request, x_operator_key: Annotated[str | None, Header()] = None) -> None:
    """The back office (post-loan calls): ``X-Operator-Key`` = ``LENDING_OPERATOR_KEY``."""
    expected = request.app.state.settings.operator_key
    if not expected or not secrets.compare_digest(x_operator_key or "", expected):
        raise HTTPException(403, "无权执行此操作。")


@contextmanager
def _credit_service() -> Iterator[None]:
    """W04: no credit service before real-name verification."""
    try:
        yield
    except NotVerified:
        raise HTTPException(403, NOT_VERIFIED) from None


class CodeBody(BaseModel):
    phone: str = Field(min_length=11, max_length=20)
    accept_policy: bool


class LoginBody(BaseModel):
    phone: str
    code: str


class RealNameBody(BaseModel):
    name: str
    id_number: str = Field(min_length=18, max_length=18)
    id_holding_photo_ref: str
    card_number: str
    bank_name: str
    reserved_mobile: str


class AccountBody(BaseModel):
    account: str
    secret: str = Field(description="第三方账户密码，仅用于本次查询，不会保存")


class MobileBody(BaseModel):
    phone: str
    service_code: str = Field(description="服务密码或短信验证码，仅用于本次查询，不会保存")


class CreditBody(BaseModel):
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


class ContactBody(BaseModel):
    name: str
    phone: str
    relation: str = Field(pattern="^(父亲|母亲|配偶|同事)$")


class ContactsBody(BaseModel):
    contacts: list[ContactBody]


class CallBody(BaseModel):
    user_id: str
    purpose: str = Field(pattern="^[a-z_]{1,40}$")


class MerchantBody(BaseModel):
    business_licence: str
    operating_data: str


class CarBody(BaseModel):
    vehicle: str = Field(description="车牌号及车型")
    policy: str = Field(description="保险公司及保单信息")


class LeaseBody(BaseModel):
    product: str
    delivery_address: str


@router.post("/code", status_code=202)
def send_code(body: CodeBody, app: Wolai, request: Request) -> dict[str, str]:
    if not body.accept_policy:
        raise HTTPException(400, "请阅读并同意《隐私政策》后登录/注册。")
    accounts = WolaiAccounts(app.db, app.privacy)
    accounts.send_code(body.phone, app.evidence(request, None), app.sms)
    return {"message": "验证码已发送。"}


@router.post("/login")
def login(body: LoginBody, app: Wolai, response: Response) -> dict[str, str]:
    user_id = WolaiAccounts(app.db, app.privacy).sign_in(body.phone, body.code)
    token = app.sessions.open(user_id)
    response.set_cookie("session", token, httponly=True, samesite="strict")
    return {"user_id": user_id, "token": token}


@router.post("/real-name", status_code=201)
def real_name(body: RealNameBody, user: User, app: Wolai) -> dict[str, int]:
    form = RealName(**body.model_dump())
    return {"record_id": WolaiAccounts(app.db, app.privacy).verify_real_name(user, form)}


@router.post("/authorisations/mobile", status_code=201)
def authorise_mobile(body: MobileBody, user: User, app: Wolai) -> dict[str, int]:
    credit = WolaiCredit(app.db, app.privacy)
    return {"authorisation_id": credit.authorise_carrier(user, body.phone, body.service_code)}


@router.post("/authorisations/{source}", status_code=201)
def authorise(source: str, body: AccountBody, user: User, app: Wolai) -> dict[str, int]:
    credit = WolaiCredit(app.db, app.privacy)
    return {"authorisation_id": credit.authorise_account(user, source, body.account, body.secret)}


@router.post("/queries/{source}", status_code=201)
def query(source: str, user: User, app: Wolai) -> dict[str, int]:
    return {"authorisation_id": WolaiCredit(app.db, app.privacy).query(user, source)}


@router.post("/credit", status_code=201)
def apply(body: CreditBody, user: User, app: Wolai) -> dict[str, int]:
    with _credit_service():
        made = WolaiCredit(app.db, app.privacy).apply(user, CreditForm(**body.model_dump()))
    return {"application_id": made}


@router.post("/contacts", status_code=201)
def contacts(body: ContactsBody, user: User, app: Wolai) -> dict[str, int]:
    forms = [ContactForm(**c.model_dump()) for c in body.contacts]
    return {"saved": WolaiContacts(app.db, app.privacy).save(user, forms)}


@router.post("/contacts/invite")
def invite(user: User, app: Wolai, calls: Annotated[Dialer, Depends(dialer)]) -> dict[str, int]:
    """Inviting one's contacts to sign up: refused by yinsi (the contacts are for
    post-loan management and emergencies only, W06)."""
    return {"invited": WolaiContacts(app.db, app.privacy).invite(user, calls)}


@router.post("/post-loan/calls", status_code=201, dependencies=[Depends(operator)])
def call(
    body: CallBody, app: Wolai, calls: Annotated[Dialer, Depends(dialer)]
) -> dict[str, int | None]:
    placed = WolaiContacts(app.db, app.privacy).call(body.user_id, body.purpose, calls)
    return {"calls": placed.calls, "provision_id": placed.provision_id}


@router.post("/merchant-loans", status_code=201)
def merchant_loan(body: MerchantBody, user: User, app: Wolai) -> dict[str, int]:
    products = WolaiProducts(app.db, app.privacy)
    with _credit_service():
        made = products.merchant_loan(user, body.business_licence, body.operating_data)
    return {"application_id": made}


@router.post("/car-insurance", status_code=201)
def car_insurance(body: CarBody, user: User, app: Wolai) -> dict[str, int]:
    products = WolaiProducts(app.db, app.privacy)
    with _credit_service():
        made = products.car_insurance(user, body.vehicle, body.policy)
    return {"application_id": made}


@router.post("/leases", status_code=201)
def lease(body: LeaseBody, user: User, app: Wolai) -> dict[str, int]:
    made = WolaiProducts(app.db, app.privacy).lease(user, body.product, body.delivery_address)
    return {"lease_id": made}
