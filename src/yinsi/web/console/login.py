"""``/console/login`` and ``/console/logout``.

The login form is protected against CSRF too (login CSRF would sign a victim in to an
attacker's account): before any session exists, the form's token is bound to a random
value in a short-lived cookie of its own (``yinsi_console_login``). A successful login
starts a new session (a fresh token, so a session id planted before login is useless)
and sends the user on to ``next`` — only ever a console path. Failures are throttled by
user name and client address, and by client address (:mod:`yinsi.services.staff`); a
throttled answer is 429 with ``Retry-After``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from yinsi.services.staff import LoginRefused
from yinsi.web import csrf
from yinsi.web.console.auth import (
    PATH,
    Reader,
    clear_session_cookie,
    set_session_cookie,
    signed_in,
)
from yinsi.web.console.pages import page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import Site, site_of

PRE_COOKIE = "yinsi_console_login"
LOGIN_PATH = "/console/login"
HOME = "/console/queue"

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


def _safe_next(target: str | None) -> str:
    """``target`` if it is a console path on this site, else the queue."""
    if target and target.startswith(PATH + "/") and "\\" not in target and "//" not in target:
        return target
    return HOME


def _client(request: Request) -> str:
    """The client's address, as the server sees it (behind a reverse proxy: run
    ``yinsi serve`` with the proxy's address trusted, so this is the visitor's)."""
    return request.client.host if request.client is not None else ""


def _login_token(site: Site, pre: str) -> str:
    return csrf.token(site.secret, "login:" + pre)


def _form(
    request: Request,
    site: Site,
    *,
    error: str = "",
    status_code: int = 200,
    username: str = "",
) -> HTMLResponse:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    notice = ""
    if request.query_params.get("expired"):
        notice = "登录已超时，请重新登录。"
    elif request.query_params.get("bye"):
        notice = "您已安全退出。"
    response = page(
        request,
        None,
        "login.html",
        {
            "login_csrf": _login_token(site, pre),
            "next": _safe_next(request.query_params.get("next")),
            "error": error,
            "notice": notice,
            "username": username,
        },
        status_code=status_code,
    )
    response.set_cookie(
        PRE_COOKIE,
        pre,
        path=LOGIN_PATH,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=site.secure_cookies,
    )
    return response


@router.get(LOGIN_PATH, response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if await run_in_threadpool(signed_in, request) is not None:
        return RedirectResponse(HOME, status_code=status.HTTP_303_SEE_OTHER)
    return _form(request, site_of(request))


@router.post(LOGIN_PATH, response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    site = site_of(request)
    pre = request.cookies.get(PRE_COOKIE, "")
    expected = _login_token(site, pre).encode()
    if not pre or not hmac.compare_digest(csrf_token.encode(), expected):
        return _form(request, site, error=csrf.REFUSED, status_code=403)
    try:
        done = await run_in_threadpool(
            site.services.staff.login, username, password, client=_client(request)
        )
    except LoginRefused as refused:
        answer = _form(
            request,
            site,
            error=str(refused),
            status_code=refused.status_code,
            username=username,
        )
        if refused.retry_after is not None:
            answer.headers["Retry-After"] = str(refused.retry_after)
        return answer
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, site, done.token)
    response.delete_cookie(
        PRE_COOKIE,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=site.secure_cookies,
    )
    return response


@router.post("/console/logout")
async def logout(request: Request, staff: Reader) -> Response:
    site = site_of(request)
    await run_in_threadpool(site.services.staff.logout, staff.session.id)
    response = RedirectResponse(f"{LOGIN_PATH}?bye=1", status_code=status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response, site)
    return response
