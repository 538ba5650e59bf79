"""``include(app, services)``: the REST API under ``/v1`` on a FastAPI app.

Each route module holds a plain ``router`` whose routes parse the request, call one
service method and let :mod:`yinsi.api.errors` map what is raised; the services come from
the process's composition root on ``app.state.services`` (:mod:`yinsi.api.deps`). The
combined service ``yinsi serve`` runs (these routes and the web pages) is assembled in
:func:`yinsi.server.create_app`.
"""

from __future__ import annotations

from fastapi import FastAPI

from yinsi.api import (
    audit,
    consents,
    decisions,
    docs,
    errors,
    health,
    keys,
    lifecycle,
    limits,
    metrics,
    policies,
    privacy_link,
    responses,
    rights,
    sdk,
    service_end,
    sources,
)
from yinsi.services.api_keys import KEY_CACHE_SECONDS, KeyCache
from yinsi.services.root import Services

__all__ = ["ROUTERS", "include"]

ROUTERS = (
    decisions.router,  # first: the hot path is matched first
    rights.router,
    sdk.router,
    lifecycle.router,
    service_end.router,
    sources.router,
    privacy_link.router,
    health.router,
    policies.router,
    consents.router,
    keys.router,
    audit.router,
    metrics.router,
    docs.router,
)
"""Every router of the REST API, in the order they are matched."""


def include(
    app: FastAPI,
    services: Services,
    *,
    entry_secret: bytes | None = None,
    key_cache_seconds: float = KEY_CACHE_SECONDS,
) -> None:
    """Serve the REST API on ``app`` with ``services`` (the process's, closed by its owner).

    ``entry_secret`` signs privacy-center entry links (the secret the pages check them
    with; None: the privacy-link route answers 503). ``key_cache_seconds``: how long a
    verified API key is trusted before it is read again
    (:class:`~yinsi.services.api_keys.KeyCache`; 0 reads it on every request).

    The consent engine, and the rights service when there is a data map, are built here,
    so that a database or data map they cannot use fails at start-up, not on a request.
    """
    services.consent  # noqa: B018 -- built now (see above)
    if services.data_map is not None:
        services.rights  # noqa: B018
    app.state.services = services
    app.state.keys = KeyCache(services.api_keys.verify, ttl=key_cache_seconds)
    app.state.entry_secret = entry_secret
    errors.install(app)
    limits.install(app, max_body_bytes=services.settings.inputs.max_body_bytes)
    app.add_middleware(metrics.HttpMetrics)
    for router in ROUTERS:
        keyed = router not in (health.router, metrics.router, docs.router)
        app.include_router(router, responses=responses.KEYED if keyed else None)
    app.router.routes.insert(0, decisions.route)  # the hot path, served without FastAPI's wrapper
