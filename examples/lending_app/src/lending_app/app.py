"""``create_app()``: the FastAPI app with its database, yinsi and the error answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, event

from lending_app import (
    pages,
    pages_shop,
    pages_wolai,
    routes_device,
    routes_loans,
    routes_shop,
    routes_wolai,
)
from lending_app.privacy import InvalidIdNumber, Privacy, Refused
from lending_app.privacy_backends import AllowAll
from lending_app.repository import AccountError, Accounts
from lending_app.repository_credit import Credit
from lending_app.routes import router
from lending_app.schema import create_all
from lending_app.sessions import Sessions
from lending_app.settings import AppSettings
from lending_app.sms import Outbox, SmsSender
from lending_app.state import AppState

REFUSALS = {
    "minor": "根据平台规则，未满18周岁的用户不能注册。",
    "separate_consent_required": "此功能需要您单独同意相关个人信息处理后才能使用。",
    "consent_withdrawn": "您已撤回相关授权，此功能暂不可用；重新授权后即可使用。",
    "policy_not_accepted": "请先阅读并同意《小赢卡贷隐私保护政策》。",
}
"""The answers of yinsi's refusals as 小赢卡贷 words them; :func:`refusals` for any brand."""


def refusals(settings: AppSettings) -> dict[str, str]:
    """The refusal answers in the brand's words (its display name and policy title)."""
    return REFUSALS | {"policy_not_accepted": f"请先阅读并同意《{settings.policy_title}》。"}


def create_app(
    settings: AppSettings | None = None,
    *,
    sms: SmsSender | None = None,
    yinsi_transport: httpx.BaseTransport | None = None,
    privacy_backend: AllowAll | None = None,
) -> FastAPI:
    """The app; ``sms`` replaces the in-memory outbox, ``yinsi_transport`` the HTTP
    transport to yinsi (tests pass yinsi's ASGI app), ``privacy_backend`` yinsi itself
    (only the overhead benchmark's baseline: :class:`AllowAll`)."""
    config = settings or AppSettings.from_env()
    db = create_engine(config.database_url)
    if db.url.get_backend_name() == "sqlite" and db.url.database not in (None, "", ":memory:"):
        Path(db.url.database).parent.mkdir(parents=True, exist_ok=True)  # first start
        event.listen(db, "connect", _sqlite_wal)
    create_all(db)
    privacy = Privacy(config, transport=yinsi_transport, backend=privacy_backend)
    lending = AppState(
        db=db,
        privacy=privacy,
        accounts=Accounts(db, privacy),
        credit=Credit(db, privacy),
        sessions=Sessions(db),
        sms=sms or Outbox(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        privacy.close()
        db.dispose()

    app = FastAPI(title=f"{config.display_name}（参考应用）", lifespan=lifespan)
    app.state.lending = lending
    app.state.settings = config
    for api in (router, routes_shop.router, routes_device.router, routes_loans.router):
        app.include_router(api)
    app.include_router(routes_wolai.router)
    app.include_router(pages.router)
    # the H5 pages of both brands; each answers 404 unless the app runs as its brand
    app.include_router(pages_shop.router)
    app.include_router(pages_wolai.router)
    app.mount("/assets", pages.ASSETS, name="assets")
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(AccountError, _account_error)
    app.add_exception_handler(InvalidIdNumber, _invalid_id)
    return app


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    answers = refusals(request.app.state.settings)
    message = answers.get(exc.reason, "根据您的授权状态，此操作暂不可用。")
    body = {"detail": message, "reason": exc.reason, "step": exc.step, "consents": exc.consents}
    return JSONResponse(body, status_code=403)


async def _account_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _invalid_id(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "身份证号码有误，请核对后重新输入。"}, status_code=400)


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """The app's SQLite file in WAL mode (readers never wait for the writer), every commit
    synced to disk (``synchronous = FULL``): the settings yinsi uses for its own file, so
    the app's database can also hold yinsi's tables (one commit for both, see
    :meth:`~lending_app.privacy.Privacy.providing`)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()
