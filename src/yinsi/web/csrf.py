"""CSRF protection for every form of both sites.

The token is an HMAC of the session id under the site secret, so it needs no storage and
dies with the session. A form sends it as the hidden field ``csrf_token``; htmx sends it
in the ``X-CSRF-Token`` header (``base.html`` sets ``hx-headers`` on ``<body>``).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, status

FIELD = "csrf_token"
HEADER = "x-csrf-token"
REFUSED = "页面已过期或请求来源无法确认（CSRF 校验失败）。请返回上一页刷新后重试。"


def token(secret: bytes, session_id: str) -> str:
    """The token the pages of this session must send back."""
    return hmac.new(secret, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


async def check(request: Request, secret: bytes, session_id: str) -> None:
    """Raise 403 unless the request carries this session's token (header or form field)."""
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), token(secret, session_id).encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, REFUSED)
