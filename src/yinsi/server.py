"""``create_app(services)``: the service ``yinsi serve`` runs — the REST API and the web pages.

One FastAPI app on one :class:`~yinsi.services.root.Services`: the REST API under ``/v1``
(:mod:`yinsi.api`, API keys) and the pages (:mod:`yinsi.web`: the privacy center under
``/privacy``, the staff console under ``/console``). Both entry points call the same
services; neither imports the other, and this module is the one place they meet, which
is also why it shares the site secret between them: the pages sign their sessions with
it and check entry links with it, and the API signs the entry links it issues.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI

from yinsi import __version__, api, web
from yinsi.services.api_keys import KEY_CACHE_SECONDS
from yinsi.services.root import Services

__all__ = ["create_app"]


def create_app(
    services: Services,
    *,
    web_secret: bytes | None = None,
    secure_cookies: bool = False,
    key_cache_seconds: float = KEY_CACHE_SECONDS,
) -> FastAPI:
    """The service on ``services`` (which the caller closes after the app is done).

    ``web_secret`` signs the pages' sessions, CSRF tokens and entry links (None: a random
    one, so nothing signed survives a restart; ``yinsi serve`` loads a lasting one).
    ``secure_cookies`` marks cookies ``Secure`` (set it behind HTTPS).
    ``key_cache_seconds``: how long a verified API key is trusted before it is read again
    (:class:`~yinsi.services.api_keys.KeyCache`; 0 reads it on every request).
    """
    secret = secrets.token_bytes(32) if web_secret is None else web_secret
    app = FastAPI(
        title="yinsi",
        version=__version__,
        description="PIPL consent service.",
        docs_url=None,  # served from vendored assets by yinsi.api.docs (works offline)
        redoc_url=None,
    )
    api.include(app, services, entry_secret=secret, key_cache_seconds=key_cache_seconds)
    web.mount(app, web.Site(services, secret=secret, secure_cookies=secure_cookies))
    return app
