"""Entry links: a signed, short-lived link that opens the privacy center as one user.

The privacy center has no login of its own. The app's back-end asks yinsi for an entry
link (``POST /v1/apps/{app}/subjects/{subject}/privacy-link`` or ``yinsi privacy link``)
and opens it in a WebView; ``GET /privacy/enter?t=TOKEN`` turns the token into a session
(:mod:`yinsi.web.privacy.session`). The token names the app and the subject, is signed
with the site secret (``YINSI_WEB_SECRET``) and is valid for :data:`ENTRY_SECONDS`.
Whoever holds a link acts as that user, so issuing one is audited, its token never
appears in an access log (:class:`RedactEntryLinks`), and a link opens one session only:
each token carries a random link id, which the privacy center records when the link is
first opened (:meth:`yinsi.services.privacy_links.PrivacyLinkService.redeem`); a second
opening is refused with a page saying how to get a new link.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadData, URLSafeTimedSerializer

__all__ = [
    "ENTRY_PATH",
    "ENTRY_SECONDS",
    "EntryToken",
    "RedactEntryLinks",
    "entry_link",
    "read_entry",
    "read_entry_token",
]

ENTRY_PATH = "/privacy/enter"
ENTRY_SALT = "privacy-entry"
ENTRY_SECONDS = 10 * 60


def entry_link(secret: bytes, base_url: str, app_id: str, subject_id: str) -> str:
    """A link that opens the privacy center as ``subject_id`` of ``app_id``, for ten minutes."""
    token = _entries(secret).dumps({"a": app_id, "s": subject_id, "j": secrets.token_hex(16)})
    return f"{base_url.rstrip('/')}{ENTRY_PATH}?{urlencode({'t': token})}"


@dataclass(frozen=True, slots=True)
class EntryToken:
    """What a genuine, unexpired entry token names."""

    app_id: str
    subject_id: str
    link_id: str
    """Random per link (32 hex digits): what the single-use record keeps."""
    expires_at: datetime


def read_entry(secret: bytes, token: str) -> tuple[str, str] | None:
    """The ``(app_id, subject_id)`` an entry token names; None if forged or expired."""
    found = read_entry_token(secret, token)
    return None if found is None else (found.app_id, found.subject_id)


def read_entry_token(secret: bytes, token: str) -> EntryToken | None:
    """The entry token's contents; None if forged, expired or without a link id."""
    try:
        data: Any
        data, signed_at = _entries(secret).loads(
            token, max_age=ENTRY_SECONDS, return_timestamp=True
        )
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    app_id, subject_id, link_id = data.get("a"), data.get("s"), data.get("j")
    if not all(isinstance(v, str) and v for v in (app_id, subject_id, link_id)):
        return None
    assert isinstance(app_id, str) and isinstance(subject_id, str) and isinstance(link_id, str)
    if len(link_id) != 32:
        return None
    expires_at = signed_at.replace(tzinfo=signed_at.tzinfo or UTC) + timedelta(
        seconds=ENTRY_SECONDS
    )
    return EntryToken(app_id, subject_id, link_id, expires_at)


class RedactEntryLinks(logging.Filter):
    """Hides the token of ``/privacy/enter?t=…`` in uvicorn's access log lines.

    An entry link opens a user's privacy center for ten minutes; an access log is read by
    more people than that user. ``yinsi serve`` installs this on ``uvicorn.access``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if path.startswith(ENTRY_PATH + "?"):
                record.args = (*args[:2], ENTRY_PATH + "?t=[redacted]", *args[3:])
        return True


def _entries(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=ENTRY_SALT)
