"""API keys: ``Authorization: Bearer <secret>``; 401 without a valid key, 403 without the scope.

Keys are checked through ``app.state.engine`` (:meth:`yinsi.Engine.api_key`, a read-only
Core query on every request, so a revoked key is refused on its next request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yinsi.storage import ApiKey, Scope, UnitOfWork

UnitsOfWork = Callable[[], UnitOfWork]
"""Opens a unit of work on the service's database (keys, policy list, audit)."""

_bearer = HTTPBearer(auto_error=False, description="An API key made by `yinsi keys create`.")


def units_of(request: Request) -> UnitsOfWork:
    units: UnitsOfWork = request.app.state.units
    return units


def key_of(request: Request, secret: str) -> ApiKey | None:
    """The live key with this secret, read through the engine's fast read path."""
    key: ApiKey | None = request.app.state.engine.api_key(secret)
    return key


def requires(*scopes: Scope) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency giving the request's key if it holds any of ``scopes``."""
    wanted = frozenset(scopes)

    async def dependency(  # async: a key check is one fast read, no threadpool hop
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        key = None
        if credentials is not None:
            key = key_of(request, credentials.credentials)
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

    return dependency


Admin = Annotated[ApiKey, Depends(requires(Scope.ADMIN))]
Backend = Annotated[ApiKey, Depends(requires(Scope.BACKEND))]
Reader = Annotated[ApiKey, Depends(requires(Scope.BACKEND, Scope.AUDITOR))]
Auditor = Annotated[ApiKey, Depends(requires(Scope.AUDITOR, Scope.ADMIN))]
Anyone = Annotated[ApiKey, Depends(requires(*Scope))]
