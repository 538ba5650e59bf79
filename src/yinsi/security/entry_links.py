"""Entry links: a signed, short-lived link that opens the privacy center as one user.

The privacy center has no login of its own. The app's back-end asks yinsi for an entry
link (``POST /v1/apps/{app}/subjects/{subject}/privacy-link`` or ``yinsi privacy link``)
and opens it in a WebView; ``GET /privacy/enter?t=TOKEN`` turns the token into a session
(:mod:`yinsi.web.privacy.session`). The token names the app and the subject, is signed
with the site secret (``YINSI_WEB_SECRET``) and is valid for :data:`ENTRY_SECONDS`.
Whoever holds a link acts as that user until it expires, so issuing one is audited and
its token never appears in an access log (:class:`RedactEntryLinks`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadData, URLSafeTimedSerializer

__all__ = ["ENTRY_PATH", "ENTRY_SECONDS", "RedactEntryLinks", "entry_link", "read_entry"]

ENTRY_PATH = "/privacy/enter"
ENTRY_SALT = "privacy-entry"
ENTRY_SECONDS = 10 * 60


def entry_link(secret: bytes, base_url: str, app_id: str, subject_id: str) -> str:
    """A link that opens the privacy center as ``subject_id`` of ``app_id``, for ten minutes."""
    token = _entries(secret).dumps({"a": app_id, "s": subject_id})
    return f"{base_url.rstrip('/')}{ENTRY_PATH}?{urlencode({'t': token})}"


def read_entry(secret: bytes, token: str) -> tuple[str, str] | None:
    """The ``(app_id, subject_id)`` an entry token names; None if forged or expired."""
    try:
        data: Any = _entries(secret).loads(token, max_age=ENTRY_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    app_id, subject_id = data.get("a"), data.get("s")
    if not (isinstance(app_id, str) and app_id and isinstance(subject_id, str) and subject_id):
        return None
    return app_id, subject_id


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
