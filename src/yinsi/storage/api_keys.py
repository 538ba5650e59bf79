"""API keys on SQL: the secret is hashed (SHA-256) before it reaches the database.

A secret is 32 random bytes, URL-safe base64; it has full entropy, so one SHA-256 is
enough (no slow password hash). A key is found by its hash, then the hashes are compared
with :func:`hmac.compare_digest`. Every create and revoke is appended to the audit log in
the caller's transaction, under the deployment-wide app id ``*``.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from yinsi.security.api_keys import ApiKey, Scope
from yinsi.storage.ports import ApiKeyStore, AuditLog
from yinsi.storage.statements import Clock
from yinsi.storage.tables import ApiKeyRow

DEPLOYMENT = "*"
"""The audit log's app id for writes that concern no one app."""


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SqlApiKeyStore(ApiKeyStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def create(
        self, name: str, scopes: Iterable[Scope | str], *, actor: str = "cli"
    ) -> tuple[ApiKey, str]:
        granted = sorted({Scope(s) for s in scopes})  # ValueError names an unknown scope
        if not granted:
            raise ValueError("an API key needs at least one scope: admin, backend or auditor")
        # "yk_" first: a key never starts with "-" (safe as a command-line value) and secret
        # scanners can recognise it; the 32 random bytes after it are the secret.
        secret = "yk_" + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=f"key_{secrets.token_hex(8)}",
            name=name,
            scopes=[s.value for s in granted],
            secret_sha256=secret_sha256(secret),
            created_at=self._clock(),
            revoked_at=None,
        )
        self._session.add(row)
        self._session.flush()
        self._audit.append(
            actor, "api_key.created", DEPLOYMENT, details={"key_id": row.id, "scopes": row.scopes}
        )
        return _key(row), secret

    def verify(self, secret: str) -> ApiKey | None:
        digest = secret_sha256(secret)
        row = self._session.scalars(
            select(ApiKeyRow).where(ApiKeyRow.secret_sha256 == digest)
        ).one_or_none()
        return live_key(row, digest)

    def revoke(self, key_id: str, *, actor: str = "cli") -> ApiKey | None:
        row = self._session.get(ApiKeyRow, key_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = self._clock()
            self._session.flush()
            self._audit.append(actor, "api_key.revoked", DEPLOYMENT, details={"key_id": key_id})
        return _key(row)

    def list(self) -> builtins.list[ApiKey]:
        rows = self._session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
        return [_key(r) for r in rows]


class KeyFields(Protocol):
    """A stored key's columns: an ORM row, or a Core row of the same table."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def scopes(self) -> list[str]: ...
    @property
    def secret_sha256(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...


def live_key(row: KeyFields | None, digest: str) -> ApiKey | None:
    """The key of ``row`` if its digest matches and it is not revoked, else None."""
    if row is None or not hmac.compare_digest(row.secret_sha256, digest):
        return None
    return None if row.revoked_at is not None else _key(row)


def _key(row: KeyFields) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        scopes=frozenset(Scope(s) for s in row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
