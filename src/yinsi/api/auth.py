"""API keys: ``Authorization: Bearer <secret>``; 401 without a valid key, 403 without the scope.

The keys are read through the unit-of-work factory :func:`~yinsi.api.create_app` keeps in
``app.state.units``.
"""

from __future__ import annotations

from collections.abc import Callable
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


def readers_of(request: Request) -> UnitsOfWork:
    """Read-only units of work: a key check never takes SQLite's write lock."""
    readers: UnitsOfWork = request.app.state.readers
    return readers


def requires(*scopes: Scope) -> Callable[..., ApiKey]:
    """A dependency giving the request's key if it holds any of ``scopes``."""
    wanted = frozenset(scopes)

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        key = None
        if credentials is not None:
            with readers_of(request)() as uow:
                key = uow.api_keys.verify(credentials.credentials)
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
