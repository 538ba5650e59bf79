"""API keys: ``Authorization: Bearer <secret>``; 401 without a valid key, 403 without the scope.

Keys are checked through the :class:`~yinsi.services.api_keys.KeyCache` on
``app.state.keys`` (set by :func:`yinsi.api.include`) in front of
:meth:`~yinsi.services.api_keys.ApiKeyService.verify`: a verified key is trusted for a
second (see :mod:`yinsi.services.api_keys`), unknown secrets are read every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yinsi.api.ratelimit import enforce
from yinsi.security.api_keys import ApiKey, Scope
from yinsi.services.api_keys import KeyCache

__all__ = [
    "Admin",
    "Anyone",
    "Auditor",
    "Backend",
    "Reader",
    "authorize",
    "bearer_secret",
    "cached_key",
    "key_of",
    "requires",
]

_bearer = HTTPBearer(auto_error=False, description="An API key made by `yinsi keys create`.")


def key_of(request: Request, secret: str) -> ApiKey | None:
    """The live key with this secret, through the app's :class:`KeyCache`."""
    keys: KeyCache = request.app.state.keys
    return keys.get(secret)


def authorize(
    request: Request, secret: str | None, wanted: frozenset[Scope], *, key: ApiKey | None = None
) -> ApiKey:
    """The request's key if ``secret`` is a live key holding any of ``wanted``; else
    401/403, and 429 when the key is over its rate limit (:mod:`yinsi.api.ratelimit`).
    ``key``: the key already found for ``secret`` (:func:`cached_key`)."""
    if key is None:
        key = None if secret is None else key_of(request, secret)
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API key is required: Authorization: Bearer <secret>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not key.scopes & wanted:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"API key {key.id} lacks the scope {' or '.join(sorted(wanted))}",
        )
    enforce(request, key.id)  # 429 + Retry-After over the key's rate limit (issue 14)
    return key


def cached_key(request: Request, secret: str | None) -> ApiKey | None:
    """The key with this secret if the app's :class:`KeyCache` trusts it now (no database
    read: for the event loop), else None."""
    keys: KeyCache = request.app.state.keys
    return None if secret is None else keys.peek(secret)


def bearer_secret(request: Request) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header, or None."""
    header = _authorization(request.scope.get("headers", ()))
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


def _authorization(raw: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The first ``Authorization`` header of an ASGI scope's raw (lower-case) headers, as
    ``request.headers.get`` gives it, without building the ``Headers`` object: on the
    decision route nothing else reads a header, and building it was about 1 % of the
    route's CPU (py-spy, 2026-12-06)."""
    for name, value in raw:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


def requires(*scopes: Scope) -> Callable[..., ApiKey]:
    """A dependency giving the request's key if it holds any of ``scopes``."""
    wanted = frozenset(scopes)

    def dependency(  # def: a key check may read the database, so it runs in the threadpool
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        return authorize(request, None if credentials is None else credentials.credentials, wanted)

    return dependency


Admin = Annotated[ApiKey, Depends(requires(Scope.ADMIN))]
Backend = Annotated[ApiKey, Depends(requires(Scope.BACKEND))]
Reader = Annotated[ApiKey, Depends(requires(Scope.BACKEND, Scope.AUDITOR))]
Auditor = Annotated[ApiKey, Depends(requires(Scope.AUDITOR, Scope.ADMIN))]
Anyone = Annotated[ApiKey, Depends(requires(*Scope))]
