"""The plumbing every privacy-center route shares: who is asking, CSRF, and error pages.

Routes declare what they need as a parameter: :data:`Viewer` (a page that needs the user's
session), :data:`Poster` (a form post: session and CSRF token), :data:`Visitor` (a public
page; the session if there is one). A missing session, a refused CSRF token or something
not found is raised as a :class:`PageError` and turned into a Chinese page by
:class:`PrivacyRoute`, which also renews the session cookie on every answer (the idle
clock) and marks pages ``no-store`` (they show personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute

from yinsi.consent import UnknownName
from yinsi.services.errors import RequestNotFound
from yinsi.services.exports import ExportExpired
from yinsi.web import csrf
from yinsi.web.privacy import pages
from yinsi.web.privacy.session import PrivacySession, current, lifetimes, store
from yinsi.web.site import site_of

__all__ = [
    "NoSession",
    "NotFound",
    "PageError",
    "Poster",
    "PrivacyRoute",
    "Refused",
    "Viewer",
    "Visitor",
]


class PageError(Exception):
    """Something the user is shown a page about instead of the one asked for."""


class NoSession(PageError):
    """The page is the user's own, and there is no (live) session: open it from the app."""


class Refused(PageError):
    """A form post without this session's CSRF token."""


class NotFound(PageError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PrivacyRoute(APIRoute):
    """A route of ``/privacy``: page errors become pages; the session cookie is renewed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except NoSession:
                response = pages.need_session(request)
            except Refused:
                response = pages.message(request, "无法提交", csrf.REFUSED, status_code=403)
            except NotFound as exc:
                response = pages.message(request, "未找到", exc.message, status_code=404)
            except ExportExpired as exc:
                response = pages.message(request, "副本已过期", str(exc), status_code=410)
            except (RequestNotFound, UnknownName):
                response = pages.message(request, "未找到", "未找到您要查看的内容。", 404)
            site = site_of(request)
            session = current(request, site.secret)
            if session is not None:
                idle, _ = lifetimes(request)
                store(response, session, site.secret, secure=site.secure_cookies, idle=idle)
            # Cache-Control, CSP, Referrer-Policy…: one middleware (yinsi.web.headers)
            return response

        return route


async def _visitor(request: Request) -> PrivacySession | None:
    return current(request, site_of(request).secret)


async def _viewer(request: Request) -> PrivacySession:
    session = current(request, site_of(request).secret)
    if session is None:
        raise NoSession
    return session


async def _poster(request: Request) -> PrivacySession:
    """The session of a form post that carries its CSRF token (field or htmx header)."""
    session = await _viewer(request)
    try:
        await csrf.check(request, site_of(request).secret, session.id)
    except HTTPException:
        raise Refused from None
    return session


Visitor = Annotated[PrivacySession | None, Depends(_visitor)]
Viewer = Annotated[PrivacySession, Depends(_viewer)]
Poster = Annotated[PrivacySession, Depends(_poster)]
