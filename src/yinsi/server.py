"""``create_app(services)``: the service ``yinsi serve`` runs — the REST API and the web pages.

One FastAPI app on one :class:`~yinsi.services.root.Services`: the REST API under ``/v1``
(:mod:`yinsi.api`, API keys) and the pages (:mod:`yinsi.web`: the privacy center under
``/privacy``, the staff console under ``/console``). Both entry points call the same
services; neither imports the other, and this module is the one place they meet, which
is also why it shares the site secret between them: the pages sign their sessions with
it and check entry links with it, and the API signs the entry links it issues.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets

from fastapi import FastAPI

from yinsi import __version__, api, web
from yinsi.services.api_keys import KEY_CACHE_SECONDS
from yinsi.services.root import Services

__all__ = ["app_from_environment", "create_app", "freeze_heap_now"]


def create_app(
    services: Services,
    *,
    web_secret: bytes | None = None,
    secure_cookies: bool = False,
    key_cache_seconds: float = KEY_CACHE_SECONDS,
    freeze_heap: bool = False,
) -> FastAPI:
    """The service on ``services`` (which the caller closes after the app is done).

    ``web_secret`` signs the pages' sessions, CSRF tokens and entry links (None: a random
    one, so nothing signed survives a restart; ``yinsi serve`` loads a lasting one).
    ``secure_cookies`` marks cookies ``Secure`` (set it behind HTTPS).
    ``key_cache_seconds``: how long a verified API key is trusted before it is read again
    (:class:`~yinsi.services.api_keys.KeyCache`; 0 reads it on every request).
    ``freeze_heap``: at start-up, move everything built so far (modules, the app, the
    declarations) out of the garbage collector's sight (:func:`freeze_heap`); ``yinsi
    serve`` sets it, tests and embedders that build many apps in one process do not.
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
    cache = services.state_cache
    if cache is not None:  # PostgreSQL: the change listener runs on the serving loop
        app.router.on_startup.append(cache.serve_on_loop)
        app.router.on_shutdown.insert(0, cache.stop_serving_on_loop)
    web.mount(app, web.Site(services, secret=secret, secure_cookies=secure_cookies))
    if freeze_heap:
        app.router.on_startup.append(freeze_heap_now)
    return app


def freeze_heap_now() -> None:
    """Collect once, then freeze what is left (:func:`gc.freeze`): the objects a serving
    process keeps for its whole life are no longer traversed by every full collection
    (on the decision route those cost ~9 µs a request, amortised, measured 2026-12-06).
    Only for a process that serves one app until it exits: what is frozen is never
    collected."""
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """The factory each worker of ``yinsi serve --workers N`` calls (uvicorn spawns the
    workers, which need an import string): the service as ``yinsi serve`` builds it, from
    the environment the command set — ``YINSI_DATABASE_URL``, ``YINSI_DATA_MAP``,
    ``YINSI_SETTINGS_FILE``, ``YINSI_DEMO``, the web secret (``YINSI_WEB_SECRET`` or its
    file, shared by every worker so a session works on any of them). Each worker opens its
    own pool and closes it at shutdown."""
    from yinsi.security.entry_links import RedactEntryLinks
    from yinsi.services.root import Services
    from yinsi.settings import load_settings
    from yinsi.web.secret import load_secret

    settings = load_settings()
    web_secret = load_secret(os.environ)
    data_map = os.environ.get("YINSI_DATA_MAP") or None
    services = Services.open(None, data_map=data_map, actor="api", settings=settings)
    try:
        app = create_app(
            services, web_secret=web_secret, secure_cookies=not settings.demo, freeze_heap=True
        )
    except BaseException:
        services.close()
        raise
    app.router.on_shutdown.append(services.close)
    logging.getLogger("uvicorn.access").addFilter(RedactEntryLinks())
    return app
