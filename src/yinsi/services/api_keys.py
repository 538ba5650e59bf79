"""API keys of ``yinsi serve``: create, list, revoke, and the check of every request's key.

Only the SHA-256 of a secret is stored; the secret is returned once, at creation.
Creating and revoking a key is written to the audit log under ``actor``.

Every request checks its key, so :meth:`ApiKeyService.verify` reads it through a
compiled statement on a pooled connection (:func:`yinsi.storage.queries.api_key`), not a
unit of work, and :class:`KeyCache` remembers a verified key for ``ttl`` seconds (1 s by
default), which saves a database read on nearly every request of a busy back-end. A key
revoked through the service process that holds the cache is refused on its next request
(the process clears its cache); one revoked elsewhere (``yinsi keys revoke``, another
service process) at most ``ttl`` later. Unknown secrets are never remembered: a new key
works at once, and a wrong one is checked against the database every time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from yinsi.security.api_keys import ApiKey, Scope
from yinsi.storage import UnitsOfWork, queries

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine as SqlEngine

__all__ = ["KEY_CACHE_SECONDS", "ApiKeyService", "KeyCache"]

KEY_CACHE_SECONDS = 1.0
"""How long a verified API key is trusted without reading it again (see the module text)."""


class ApiKeyService:
    """The API keys of one database (built by :class:`~yinsi.services.root.Services`)."""

    def __init__(self, units: UnitsOfWork, database: SqlEngine, *, actor: str) -> None:
        self._units = units
        self._database = database
        self._actor = actor

    def create(
        self, name: str, scopes: Iterable[Scope], *, actor: str | None = None
    ) -> tuple[ApiKey, str]:
        """A new key and its secret (shown once: only its SHA-256 is stored); audited."""
        with self._units() as uow:
            made, secret = uow.api_keys.create(name, list(scopes), actor=actor or self._actor)
            uow.commit()
        return made, secret

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included (never a secret)."""
        with self._units(read_only=True) as uow:
            return uow.api_keys.list()

    def revoke(self, key_id: str, *, actor: str | None = None) -> ApiKey | None:
        """Revoke the key (requests with it are refused from now on); None if unknown."""
        with self._units() as uow:
            revoked = uow.api_keys.revoke(key_id, actor=actor or self._actor)
            uow.commit()
        return revoked

    def verify(self, secret: str) -> ApiKey | None:
        """The live key with this secret (None if unknown or revoked), read each time."""
        return queries.api_key(self._database, secret)


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

    def peek(self, secret: str) -> ApiKey | None:
        """The key with this secret if it is cached and still trusted, else None (never
        reads the database: an event loop may call it; then call :meth:`get` off it)."""
        hit = self._keys.get(hashlib.sha256(secret.encode()).digest())
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    def clear(self) -> None:
        """Forget every key (after a revocation: the next request reads its key again)."""
        with self._lock:
            self._keys.clear()
