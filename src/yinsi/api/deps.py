"""Dependencies that hand a route the service it calls, from the process's composition root.

:func:`yinsi.api.include` puts the process's :class:`~yinsi.services.root.Services` on
``app.state.services``; a route names the one service it needs by its type alias
(``consent: Consent``, ``rights: Rights``, …) and FastAPI passes it in. The functions are
``async`` because they only read an attribute: no threadpool hop per request. Services
that act on the app's stores need a data map (``yinsi serve --map``); without one their
routes answer 503 saying so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from yinsi.api.errors import NOT_CONFIGURED
from yinsi.services.api_keys import ApiKeyService
from yinsi.services.audit import AuditService
from yinsi.services.consent import Engine
from yinsi.services.incidents import IncidentService
from yinsi.services.privacy_links import PrivacyLinkService
from yinsi.services.rights import RightsService
from yinsi.services.rights_jobs import RequestRuns
from yinsi.services.root import Services
from yinsi.services.sharing import SharingService

__all__ = [
    "NOT_CONFIGURED",
    "ApiKeys",
    "Audit",
    "Consent",
    "Incidents",
    "PrivacyLinks",
    "Rights",
    "Runs",
    "Sharing",
    "services_of",
]


def services_of(request: Request) -> Services:
    """The process's services (set by :func:`yinsi.api.include`)."""
    services: Services = request.app.state.services
    return services


async def _consent(request: Request) -> Engine:
    return services_of(request).consent


async def _rights(request: Request) -> RightsService:
    return services_of(request).rights  # NoDataMap without a map: 503 (yinsi.api.errors)


async def _runs(request: Request) -> RequestRuns:
    return services_of(request).runs  # NoDataMap without a map: 503


async def _sharing(request: Request) -> SharingService:
    return services_of(request).sharing


async def _incidents(request: Request) -> IncidentService:
    return services_of(request).incidents  # NoDataMap without a map: 503


async def _api_keys(request: Request) -> ApiKeyService:
    return services_of(request).api_keys


async def _audit(request: Request) -> AuditService:
    return services_of(request).audit


async def _privacy_links(request: Request) -> PrivacyLinkService:
    return services_of(request).privacy_links


Consent = Annotated[Engine, Depends(_consent)]
"""Policy versions, the consent ledger and decisions."""
Rights = Annotated[RightsService, Depends(_rights)]
"""Rights requests (503 without a data map)."""
Runs = Annotated[RequestRuns, Depends(_runs)]
"""Running rights requests here or on a worker (503 without a data map)."""
Sharing = Annotated[SharingService, Depends(_sharing)]
Incidents = Annotated[IncidentService, Depends(_incidents)]
"""Security incidents (503 without a data map)."""
ApiKeys = Annotated[ApiKeyService, Depends(_api_keys)]
Audit = Annotated[AuditService, Depends(_audit)]
PrivacyLinks = Annotated[PrivacyLinkService, Depends(_privacy_links)]
