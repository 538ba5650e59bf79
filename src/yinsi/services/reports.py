"""``ReportsService``: what the console's pages read — the apps, the dashboard's figures,
the legal holds and the incidents of an app.

Read-only, and none of it needs the data map: the console shows these pages for the
first published app even when ``yinsi serve`` runs without ``--map`` (acting on the
app's stores — rights requests, opening an incident — does need it). The dashboard's
aggregates are computed in the database where possible (``uow.reports``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yinsi.consent import UnknownName
from yinsi.declaration import Declaration
from yinsi.declaration.versions import PolicyVersion
from yinsi.lifecycle.incidents import Incident
from yinsi.rights.holds import LegalHold
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork
from yinsi.storage.console_ports import RequestTimes

__all__ = ["Dashboard", "ReportsService", "RequestTimes"]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The raw figures of an app's dashboard, read in one transaction."""

    times: list[RequestTimes]
    """Rights requests received since the start of the period, with when they closed."""
    granted_sets: list[tuple[frozenset[str], int]]
    """How many subjects hold each distinct set of granted consent items."""
    versions: list[PolicyVersion]
    """The published policy versions, oldest first."""
    accepted: dict[str | None, int]
    """Subjects by the version they accepted last (None: none accepted)."""
    declaration: Declaration | None
    """The app's current declaration (None if it cannot be compiled any more)."""


class ReportsService:
    def __init__(self, units: UnitsOfWork, consent: Engine) -> None:
        self._units = units
        self._consent = consent

    def apps(self) -> list[str]:
        """The ids of the apps with a published policy version, sorted."""
        with self._units(read_only=True) as uow:
            return uow.reports.apps()

    def dashboard(self, app_id: str, since: datetime) -> Dashboard:
        """The figures of the dashboard of ``app_id`` for requests received since ``since``."""
        with self._units(read_only=True) as uow:
            times = uow.reports.request_times(app_id, since)
            sets = uow.reports.granted_sets(app_id)
            versions = uow.policies.list(app_id)
            accepted = uow.reports.accepted_versions(app_id)
        try:
            declaration: Declaration | None = self._consent.declaration(app_id)
        except UnknownName:
            declaration = None
        return Dashboard(times, sets, versions, accepted, declaration)

    def holds(self, app_id: str, *, released: bool = False) -> list[LegalHold]:
        """The app's legal holds not released (with ``released``, all), newest first."""
        with self._units(read_only=True) as uow:
            return uow.reports.holds(app_id, released=released)

    def incidents(self, app_id: str) -> list[Incident]:
        """The app's security incidents, newest opened first."""
        with self._units(read_only=True) as uow:
            return uow.incidents.list(app_id)

    def incident(self, incident_id: str) -> Incident:
        """One incident; raises ``IncidentNotFound``."""
        with self._units(read_only=True) as uow:
            return uow.incidents.get(incident_id)
