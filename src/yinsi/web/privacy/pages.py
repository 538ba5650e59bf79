"""Rendering the privacy center's pages: the session and its CSRF token in every context.

Templates live under ``templates/privacy/`` and extend ``privacy/layout.html``. A page of
the user's own gets ``session`` and ``csrf`` (the token its forms send back; ``base.html``
also hands it to htmx as a header).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.consent import Channel, Evidence
from yinsi.taxonomy.timezone import CHINA
from yinsi.web import csrf
from yinsi.web.privacy.session import PrivacySession
from yinsi.web.site import site_of
from yinsi.web.templating import render

__all__ = [
    "CHINA",
    "evidence",
    "in_china",
    "is_htmx",
    "message",
    "need_session",
    "page",
    "see_other",
]


def page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    session: PrivacySession | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The template ``privacy/<name>`` with the session's CSRF token when there is one."""
    token = csrf.token(site_of(request).secret, session.id) if session else ""
    full = {"session": session, "csrf": token, **(context or {})}
    return render(request, f"privacy/{name}", full, status_code=status_code)


def message(
    request: Request,
    title: str,
    text: str,
    status_code: int = 200,
    *,
    session: PrivacySession | None = None,
) -> HTMLResponse:
    """A page that only says something (not found, refused, not available here)."""
    context = {"title": title, "text": text}
    return page(request, "message.html", context, session=session, status_code=status_code)


def need_session(request: Request) -> HTMLResponse:
    """401: the page is the user's own; the privacy center must be opened from the app."""
    return page(request, "need_session.html", status_code=401)


def see_other(url: str) -> RedirectResponse:
    """303 after a form post, so reloading the page does not post again."""
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def evidence(request: Request, session: PrivacySession) -> Evidence:
    """X41: the ledger records where the user acted (H5), from which address and browser."""
    return Evidence(
        Channel.H5,
        account=session.subject_id,
        client_ip=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:512] or None,
    )


def in_china(value: datetime) -> datetime:
    """A stored (UTC) time as the user's wall clock in China."""
    return value.astimezone(CHINA)
