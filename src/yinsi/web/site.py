"""``Site``: what the pages need from the rest of yinsi, set once on the FastAPI app."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from yinsi.engine import Engine
from yinsi.rights_service import RightsService
from yinsi.storage import UnitOfWork

UnitsOfWork = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Site:
    """The service's engine and database, and the secret that signs sessions and CSRF tokens.

    ``rights`` is None when the service runs without a data map: the pages then say that
    rights requests are handled by customer service instead of failing.
    ``secure_cookies`` marks cookies ``Secure`` (set it behind HTTPS).
    """

    engine: Engine
    units: UnitsOfWork
    rights: RightsService | None = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    secure_cookies: bool = False


def site_of(connection: HTTPConnection) -> Site:
    site: Site = connection.app.state.site
    return site
