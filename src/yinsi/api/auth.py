"""API keys: ``Authorization: Bearer <secret>``; 401 without a valid key, 403 without the scope.

Keys are checked through a :class:`KeyCache` on ``app.state.keys`` in front of
:meth:`yinsi.Engine.api_key`. A verified key is remembered for ``ttl`` seconds (1 s by
default), which saves a database read on nearly every request of a busy back-end. A key
revoked through this service (``POST /v1/keys/{id}:revoke``) is refused on its next
request; one revoked elsewhere (``yinsi keys revoke``, another service process) at most
``ttl`` later. Unknown secrets are never remembered: a new key works at once, and a wrong
one is checked against the database every time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yinsi.security.api_keys import ApiKey, Scope
from yinsi.storage import UnitOfWork

UnitsOfWork = Callable[[], UnitOfWork]
"""Opens a unit of work on the service's database (keys, policy list, audit)."""

_bearer = HTTPBearer(auto_error=False, description="An API key made by `yinsi keys create`.")


def units_of(request: Request) -> UnitsOfWork:
    units: UnitsOfWork = request.app.state.units
    return units


KEY_CACHE_SECONDS = 1.0
"""How long a verified API key is trusted without reading it again (see the module text)."""


class KeyCache:
    """Verified keys by the SHA-256 of their secret, each trusted for ``ttl`` seconds."""

    MAX_KEYS = 10_000  # a bound on memory; past it the cache starts over

    def __init__(
        self,
        lookup: Callable[[str], ApiKey | None],
        ttl: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._clock = clock
        self._keys: dict[bytes, tuple[ApiKey, float]] = {}
        self._lock = threading.Lock()

    def get(self, secret: str) -> ApiKey | None:
        """The live key with this secret, or None."""
        digest = hashlib.sha256(secret.encode()).digest()
        now = self._clock()
        hit = self._keys.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        key = self._lookup(secret)
        with self._lock:
            if key is None:
                self._keys.pop(digest, None)
            elif self._ttl > 0:
                if len(self._keys) >= self.MAX_KEYS:
                    self._keys.clear()
                self._keys[digest] = (key, now + self._ttl)
        return key

    def clear(self) -> None:
        """Forget every key (after a revocation: the next request reads its key again)."""
        with self._lock:
            self._keys.clear()


def key_of(request: Request, secret: str) -> ApiKey | None:
    """The live key with this secret, through the app's :class:`KeyCache`."""
    keys: KeyCache = request.app.state.keys
    return keys.get(secret)


def authorize(request: Request, secret: str | None, wanted: frozenset[Scope]) -> ApiKey:
    """The request's key if ``secret`` is a live key holding any of ``wanted``; else 401/403."""
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
    return key


def bearer_secret(request: Request) -> str | None:
    """The secret of an ``Authorization: Bearer <secret>`` header, or None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


def requires(*scopes: Scope) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency giving the request's key if it holds any of ``scopes``."""
    wanted = frozenset(scopes)

    async def dependency(  # async: a key check is one fast read, no threadpool hop
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
