"""``Site``: what the pages need from the rest of yinsi, set once on the FastAPI app."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from yinsi.services.consent import Engine
from yinsi.services.rights import RightsService
from yinsi.services.root import Services


@dataclass(frozen=True)
class Site:
    """The process's services, and the secret that signs sessions and CSRF tokens.

    Without a data map (``services.data_map`` is None) :attr:`rights` is None: the pages
    then say that rights requests are handled by customer service instead of failing.
    ``secure_cookies`` marks cookies ``Secure`` (set it behind HTTPS).
    """

    services: Services
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    secure_cookies: bool = False

    @property
    def engine(self) -> Engine:
        return self.services.consent

    @property
    def rights(self) -> RightsService | None:
        return None if self.services.data_map is None else self.services.rights


def site_of(connection: HTTPConnection) -> Site:
    site: Site = connection.app.state.site
    return site
