"""The ports of the lifecycle (issue 6): the provision ledger and incidents.

Reached from a unit of work (``uow.provisions``, ``uow.incidents``); nothing is stored
until ``uow.commit()``. Every write is audited in the same transaction, by ids only.
:class:`ProvisionUnit` is the narrow unit of work of the sharing gate's hot path: one
provision decided on the state it reads and recorded, in one transaction.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Self

from yinsi.consent import ConsentState
from yinsi.lifecycle.incidents import Incident, IncidentStatus
from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision
from yinsi.security import JsonValue


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


class ProvisionUnit(abc.ABC):
    """One transaction of the sharing gate: read the subject's consent state, decide, and
    store the outcome (the provision, or the audited refusal) before anything else changes
    that state.

    The state is read under a lock a consent write must wait for (SQLite: the transaction
    holds the write lock from its start; PostgreSQL and MariaDB: the subject's state row
    is read ``FOR SHARE``), so a withdrawal committed before :meth:`state` returns is seen,
    and one that comes after it is ordered after the provision — the ledger never records
    a provision the state it was stored under did not allow. Leaving without
    :meth:`commit` rolls everything back.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def state(self, app_id: str, subject_id: str) -> ConsentState:
        """The subject's current state, locked against consent writes until the end."""

    @abc.abstractmethod
    def refuse(
        self, actor: str, app_id: str, subject_id: str, details: Mapping[str, JsonValue]
    ) -> None:
        """Audit a refused provision (``provision.refused``); nothing enters the ledger."""

    @abc.abstractmethod
    def record(self, provision: Provision) -> Provision:
        """Append ``provision`` and its audit entry; return it with its ledger id."""

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Roll back what is not committed and give the connection back."""


ProvisionUnits = Callable[[], ProvisionUnit]
"""Opens a :class:`ProvisionUnit` on the shared pool (made by the composition root)."""

JoinedProvisionUnits = Callable[[object], ProvisionUnit]
"""Opens a :class:`ProvisionUnit` inside the caller's transaction on the connection given
(made by the composition root; raises :class:`JoinRefused` for one that cannot carry it)."""


class JoinRefused(ValueError):
    """The connection given to join a provision to the caller's transaction cannot carry it:
    another database or backend, or a weaker sync level than yinsi's own. The message says
    which and what to change."""
