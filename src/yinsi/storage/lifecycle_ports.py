"""The ports of the lifecycle (issue 6): the provision ledger and incidents.

Reached from a unit of work (``uow.provisions``, ``uow.incidents``); nothing is stored
until ``uow.commit()``. Every write is audited in the same transaction, by ids only.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable

from yinsi.lifecycle.incidents import Incident, IncidentStatus
from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision


class ProvisionLedger(abc.ABC):
    """Who received which PI, when, on which basis (append-only), and entrustment ends."""

    @abc.abstractmethod
    def record(self, provision: Provision) -> Provision:
        """Append ``provision``; return it with its ledger id."""

    @abc.abstractmethod
    def of_subject(self, app_id: str, subject_id: str) -> builtins.list[Provision]:
        """The subject's provisions, oldest first (what an access request shows, X27/X31)."""

    @abc.abstractmethod
    def subjects_of(self, app_id: str, recipient: str) -> builtins.list[str]:
        """Every subject whose PI went to ``recipient``, sorted."""

    @abc.abstractmethod
    def save_entrustment_end(self, end: EntrustmentEndStatus) -> None:
        """Store where the entrustment end of ``end.recipient`` stands (one row per recipient)."""

    @abc.abstractmethod
    def entrustment_end(self, app_id: str, recipient: str) -> EntrustmentEndStatus | None: ...


class IncidentStore(abc.ABC):
    """Security incidents and the subjects they affect."""

    @abc.abstractmethod
    def open(self, incident: Incident) -> None:
        """Store a new incident (status ``open``).

        Raises :class:`~yinsi.storage.errors.IncidentExists` for an id already stored.
        """

    @abc.abstractmethod
    def get(self, incident_id: str) -> Incident:
        """Raises :class:`~yinsi.storage.errors.IncidentNotFound`."""

    @abc.abstractmethod
    def update(
        self, incident: Incident, *, actor: str, subjects: Iterable[str] | None = None
    ) -> None:
        """Store the incident's progress (status, counts, notifications, closing); with
        ``subjects``, replace its affected subjects.

        Raises :class:`~yinsi.storage.errors.IncidentNotFound`.
        """

    @abc.abstractmethod
    def subjects(self, incident_id: str) -> builtins.list[str]:
        """The affected subject ids, sorted."""

    @abc.abstractmethod
    def list(
        self, app_id: str, *, statuses: Iterable[IncidentStatus] | None = None
    ) -> builtins.list[Incident]:
        """The app's incidents, newest opened first."""
