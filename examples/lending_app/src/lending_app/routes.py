"""The app's HTTP API under ``/api`` (JSON). Routes validate input and call repositories;
they never touch a PI table or decide anything about privacy themselves."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field

from lending_app.repository import Registration
from lending_app.repository_credit import Application, Contact, Increase
from lending_app.state import AppState

router = APIRouter(prefix="/api")

PRODUCTS = [
    {"id": "xinyongfu", "name": "信用付", "note": "最高额度以审批为准"},
    {"id": "shopping", "name": "赢商城", "note": "分期购物"},
]


def state(request: Request) -> AppState:
    found: AppState = request.app.state.lending
    return found


State = Annotated[AppState, Depends(state)]


def current_user(
    app: State,
    authorization: Annotated[str | None, Header()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> str:
    """The user of the bearer token (API) or of the ``session`` cookie (H5 pages)."""
    token = (authorization or "").removeprefix("Bearer ").strip() or session
    user_id = app.sessions.user(token) if token else None
    if user_id is None:
        raise HTTPException(401, "请先登录。")
    return user_id


User = Annotated[str, Depends(current_user)]


class RegisterBody(BaseModel):
    phone: str = Field(min_length=11, max_length=20)
    id_number: str = Field(min_length=18, max_length=18)
    password: str = Field(min_length=8, max_length=64)
    accept_policy: bool
    consents: list[str] = Field(default_factory=list, description="单独同意的事项，如 id_number")


class LoginBody(BaseModel):
    phone: str
    password: str


class CodeBody(BaseModel):
    phone: str


class ResetBody(BaseModel):
    phone: str
    code: str
    id_number: str | None = None
    new_password: str = Field(min_length=8, max_length=64)


class ContactBody(BaseModel):
    name: str
    phone: str
    relation: str
    kind: str = Field("emergency", pattern="^(emergency|common)$")


class ApplicationBody(BaseModel):
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
    contacts: list[ContactBody] = Field(default_factory=list)
    business_licence: str | None = None


class IncreaseBody(BaseModel):
    marital_status: str | None = None
    employer: str | None = None
    industry: str | None = None
    occupation: str | None = None
    income_range: str | None = None
    address: str | None = None
    housing_fund: str | None = None


@router.get("/products")
def products(
    app: State, request: Request, response: Response, guest: Annotated[str | None, Cookie()] = None
) -> list[dict[str, str]]:
    """Guest browsing (X06): no account needed."""
    cookie = guest or secrets.token_urlsafe(16)
    response.set_cookie("guest", cookie, httponly=True, samesite="lax")
    client = request.client.host if request.client else None
    app.accounts.browse(cookie, "/api/products", client)
    return PRODUCTS


def _signed_in(user_id: str, app: AppState, response: Response) -> dict[str, str]:
    token = app.sessions.open(user_id)
    response.set_cookie("session", token, httponly=True, samesite="strict")
    return {"user_id": user_id, "token": token}


@router.post("/register", status_code=201)
def register(
    body: RegisterBody, app: State, request: Request, response: Response
) -> dict[str, str]:
    if not body.accept_policy:
        raise HTTPException(
            400, "请阅读并同意《小赢卡贷隐私保护政策》后注册；您也可以游客身份浏览。"
        )
    form = Registration(body.phone, body.id_number, body.password, body.consents)
    user_id = app.accounts.register(form, app.evidence(request, None))
    return _signed_in(user_id, app, response)


@router.post("/login")
def login(body: LoginBody, app: State, response: Response) -> dict[str, str]:
    return _signed_in(app.accounts.login(body.phone, body.password), app, response)


@router.post("/password-reset/code", status_code=202)
def reset_code(body: CodeBody, app: State) -> dict[str, str]:
    app.accounts.send_reset_code(body.phone, app.sms)
    return {"message": "如该手机号码已注册，验证码已发送。"}


@router.post("/password-reset")
def reset(body: ResetBody, app: State) -> dict[str, str]:
    user_id = app.accounts.reset_password(body.phone, body.code, body.id_number, body.new_password)
    app.sessions.close_all(user_id)
    return {"message": "密码已重置，请重新登录。"}


@router.post("/consents/{consent_id}", status_code=204)
def grant(consent_id: str, user: User, app: State, request: Request) -> None:
    app.privacy.grant(user, consent_id, app.evidence(request, user))


@router.delete("/consents/{consent_id}", status_code=204)
def withdraw(consent_id: str, user: User, app: State, request: Request) -> None:
    app.privacy.withdraw(user, consent_id, app.evidence(request, user))


@router.post("/credit-line", status_code=201)
def apply(body: ApplicationBody, user: User, app: State) -> dict[str, int]:
    data = body.model_dump(exclude={"contacts"})
    form = Application(**data, contacts=[Contact(**c.model_dump()) for c in body.contacts])
    return {"application_id": app.credit.apply(user, form)}


@router.post("/credit-line/increase", status_code=201)
def increase(body: IncreaseBody, user: User, app: State) -> dict[str, int]:
    return {"increase_id": app.credit.increase(user, Increase(**body.model_dump()))}
