"""``GET /metrics`` (Prometheus text format) and the middleware that counts HTTP requests.

Who may read it (``operations`` settings): a loopback client when ``metrics_local`` is on
(the default), and anyone presenting ``Authorization: Bearer <metrics_token>`` when a token
is set; others get 401 (a token is set) or 403. The overdue-requests gauge is computed at
scrape time through :func:`yinsi.services.health.overdue_requests`.

:class:`HttpMetrics` labels every request with its route template (``/v1/requests/{request_id}``,
never the raw path: ids would make the label set unbounded), method and status.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yinsi.api.auth import bearer_secret
from yinsi.api.deps import services_of
from yinsi.services.health import overdue_requests
from yinsi.services.metrics import HTTP_REQUESTS, HTTP_SECONDS, exposition

__all__ = ["HttpMetrics", "metrics", "router"]

UNMATCHED = "<unmatched>"
"""The route label of a request no route matched (a 404 of an unknown path)."""

router = APIRouter(tags=["service"])


def _is_local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(request: Request) -> None:
    settings = services_of(request).settings.operations
    token = settings.metrics_token
    if settings.metrics_local and _is_local(request):
        return
    if token is not None:
        given = bearer_secret(request) or ""
        if hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "指标需要令牌：Authorization: Bearer <YINSI_OPERATIONS__METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        "指标只对本机开放：设置 YINSI_OPERATIONS__METRICS_TOKEN 以便远程抓取",
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Every metric of this process in the Prometheus text format."""
    _allowed(request)
    services = services_of(request)
    overdue = await run_in_threadpool(overdue_requests, services)
    body, content_type = exposition(overdue)
    return Response(body, media_type=content_type)


class HttpMetrics:
    """Pure ASGI middleware: request count and latency by method, route template, status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        """The labelled counter and histogram per (method, route, status): ``labels()``
        costs more than the increment, and the set is bounded (route templates)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = 500

        async def sending(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            key = (scope["method"], _template(scope), code)
            children = self._children.get(key)
            if children is None:
                method, route, _ = key
                children = (
                    HTTP_REQUESTS.labels(method, route, str(code)),
                    HTTP_SECONDS.labels(route),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


def _template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return path
