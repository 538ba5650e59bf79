"""Who is looking: the signed entry link from the app, and the session cookie it opens.

The privacy center has no login of its own. The app's back-end asks yinsi for an entry
link (:func:`entry_link`; ``POST /v1/apps/{app}/subjects/{subject}/privacy-link`` or
``yinsi privacy link``) and opens it in a WebView. The link carries the app and subject,
signed with the site secret and valid for :data:`ENTRY_SECONDS`
(:mod:`yinsi.security.entry_links` makes and reads it). ``GET /privacy/enter``
turns it into a session cookie: signed, HttpOnly, SameSite=Lax, scoped to ``/privacy``,
with a random session id (which the CSRF tokens are bound to). The cookie is re-issued on
every page, so a session ends after :data:`IDLE_SECONDS` without use, and after
:data:`LIFETIME_SECONDS` in any case (settable: ``YINSI_WEB__PRIVACY_IDLE_MINUTES``,
``YINSI_WEB__PRIVACY_LIFETIME_HOURS``; :func:`lifetimes`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from yinsi.security.entry_links import ENTRY_SECONDS, RedactEntryLinks, entry_link, read_entry

__all__ = [
    "COOKIE",
    "ENTRY_SECONDS",
    "IDLE_SECONDS",
    "LIFETIME_SECONDS",
    "PrivacySession",
    "RedactEntryLinks",
    "current",
    "entry_link",
    "lifetimes",
    "open_entry",
    "store",
]

COOKIE = "yinsi_privacy"
SESSION_SALT = "privacy-session"
IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 8 * 60 * 60
_STATE = "privacy_session"


@dataclass(frozen=True, slots=True)
class PrivacySession:
    """A user of one app in the privacy center; ``id`` is random per session (CSRF binds to it)."""

    app_id: str
    subject_id: str
    id: str
    born: int
    """When the entry link was opened (epoch seconds): the session's absolute lifetime."""


def open_entry(secret: bytes, token: str) -> PrivacySession | None:
    """The new session an entry token opens; None if forged or older than ten minutes."""
    named = read_entry(secret, token)
    if named is None:
        return None
    app_id, subject_id = named
    return PrivacySession(app_id, subject_id, secrets.token_urlsafe(18), int(time.time()))


def current(request: Request, secret: bytes) -> PrivacySession | None:
    """The request's session, if its cookie is genuine, used recently and not too old."""
    if hasattr(request.state, _STATE):
        found: PrivacySession | None = getattr(request.state, _STATE)
        return found
    session = _read(request.cookies.get(COOKIE), secret, *lifetimes(request))
    setattr(request.state, _STATE, session)
    return session


def lifetimes(request: Request) -> tuple[int, int]:
    """The idle and absolute lifetimes of a session, in seconds, from the process's
    settings (``settings.web``), else :data:`IDLE_SECONDS` and :data:`LIFETIME_SECONDS`."""
    site = getattr(request.app.state, "site", None)
    if site is None:
        return IDLE_SECONDS, LIFETIME_SECONDS
    web = site.services.settings.web
    return web.privacy_idle_minutes * 60, web.privacy_lifetime_hours * 3600


def _read(
    cookie: str | None, secret: bytes, idle: int = IDLE_SECONDS, lifetime: int = LIFETIME_SECONDS
) -> PrivacySession | None:
    if not cookie:
        return None
    try:
        data = _sessions(secret).loads(cookie, max_age=idle)
    except BadData:
        return None
    if not _valid(data, ("a", "s", "i")) or not isinstance(data.get("b"), int):
        return None
    if time.time() - data["b"] > lifetime:
        return None
    return PrivacySession(data["a"], data["s"], data["i"], data["b"])


def store(
    response: Response,
    session: PrivacySession,
    secret: bytes,
    *,
    secure: bool,
    idle: int = IDLE_SECONDS,
) -> None:
    """Set (or renew: the idle clock starts again) the session cookie on ``response``."""
    value = _sessions(secret).dumps(
        {"a": session.app_id, "s": session.subject_id, "i": session.id, "b": session.born}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=idle,
        path="/privacy",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def remember(request: Request, session: PrivacySession) -> None:
    """Make ``session`` the request's session (set by the entry page for the redirect)."""
    setattr(request.state, _STATE, session)


def _valid(data: Any, keys: tuple[str, ...]) -> bool:
    return isinstance(data, dict) and all(isinstance(data.get(k), str) and data[k] for k in keys)


def _sessions(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SESSION_SALT)
