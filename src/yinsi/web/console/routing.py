"""The console's route class: refusals and errors become Chinese pages, every answer gets
security headers.

A dependency or a route raises :class:`LoginRequired`, :class:`Forbidden` or an
``HTTPException`` (a CSRF refusal is one); :class:`ConsoleRoute` turns them into a page:
an anonymous GET is redirected to the login page (with ``next``), an anonymous POST
answers 401, a refusal 403, each with a page saying what to do. Every console answer is
``Cache-Control: no-store`` (staff pages hold PI, even masked) and may not be framed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from yinsi.services.errors import HoldNotFound, IncidentNotFound, RequestNotFound, StaffNotFound
from yinsi.web.templating import render

LOGIN = "/console/login"


class LoginRequired(Exception):
    """No valid session: the visitor is anonymous, or the session ended (``expired``)."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


class Forbidden(Exception):
    """Signed in, but the role may not do this; the message says who may, in Chinese."""


NOT_FOUND = (RequestNotFound, IncidentNotFound, HoldNotFound, StaffNotFound)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                response = _login_required(request, exc)
            except Forbidden as exc:
                response = _problem(request, status.HTTP_403_FORBIDDEN, "无权执行此操作", str(exc))
            except HTTPException as exc:
                response = _problem(request, exc.status_code, _title(exc.status_code), exc.detail)
            except RequestValidationError:
                response = _problem(
                    request, 422, "请求参数有误", "页面参数无效，请从导航菜单重新进入该页面。"
                )
            except NOT_FOUND:
                response = _problem(
                    request, 404, "未找到", "没有找到该记录，请检查链接或返回列表页重新查找。"
                )
            # security headers: one middleware for the whole site (yinsi.web.headers)
            return response

        return guarded


def _login_required(request: Request, exc: LoginRequired) -> Response:
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        where = f"{LOGIN}?next={quote(target, safe='')}" + ("&expired=1" if exc.expired else "")
        return RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)
    detail = "登录已过期，请重新登录后再操作。" if exc.expired else "请先登录控制台后再操作。"
    return _problem(request, status.HTTP_401_UNAUTHORIZED, "需要登录", detail)


def _title(code: int) -> str:
    return {401: "需要登录", 403: "请求被拒绝", 404: "未找到", 409: "操作冲突"}.get(
        code, "请求未完成"
    )


def _problem(request: Request, code: int, title: str, detail: object) -> Response:
    text = detail if isinstance(detail, str) else "请求未完成，请返回上一页重试。"
    return render(
        request, "console/problem.html", {"title": title, "detail": text}, status_code=code
    )
