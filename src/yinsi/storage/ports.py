"""The ports the storage adapter implements: a ledger, a policy store, an audit log, a UoW.

The ports of rights requests live in :mod:`yinsi.storage.rights_ports`, those of the
lifecycle (provisions, incidents) in :mod:`yinsi.storage.lifecycle_ports`, those of the
staff console (staff, campaigns, reports) in :mod:`yinsi.storage.console_ports`.

Services take a :class:`UnitOfWork`; tests of services can plug in an in-memory one.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Protocol, Self

from yinsi.consent import ConsentEvent, ConsentState
from yinsi.declaration import Declaration
from yinsi.declaration.versions import PolicyVersion
from yinsi.security import AuditEntry, AuditHead, JsonValue
from yinsi.security.api_keys import ApiKey, Scope
from yinsi.storage.claims import RunClaimStore
from yinsi.storage.console_ports import CampaignStore, ConsoleReports, StaffStore
from yinsi.storage.deliveries import DeliveryStore
from yinsi.storage.export_ports import ExportStore
from yinsi.storage.lifecycle_ports import IncidentStore, ProvisionLedger
from yinsi.storage.limit_ports import LimitStore
from yinsi.storage.rights_ports import (
    ChallengeStore,
    LegalHoldStore,
    PlanStore,
    RightsRequestStore,
)
from yinsi.storage.service_end_ports import ServiceEndStore
from yinsi.storage.sources_ports import SourceStore


class ConsentLedger(abc.ABC):
    @abc.abstractmethod
    def append(self, event: ConsentEvent) -> ConsentEvent:
        """Store ``event`` as the subject's next entry; return it with its ``seq``.

        The subject's derived state is updated in the same transaction.
        """

    @abc.abstractmethod
    def events(
        self, app_id: str, subject_id: str, *, after: int = 0, limit: int | None = None
    ) -> builtins.list[ConsentEvent]:
        """The subject's events in ledger order (seq 1, 2, …)."""

    @abc.abstractmethod
    def state(self, app_id: str, subject_id: str) -> ConsentState:
        """The subject's current state; the empty state for a subject never seen."""


class PolicyStore(abc.ABC):
    @abc.abstractmethod
    def publish(
        self, app_id: str, declaration_text: str, declaration: Declaration
    ) -> PolicyVersion:
        """Publish ``declaration.policy.version``; the same content again is a no-op."""

    @abc.abstractmethod
    def get(self, app_id: str, version: str) -> PolicyVersion | None: ...

    @abc.abstractmethod
    def latest(self, app_id: str) -> PolicyVersion | None:
        """The version published last, or None when the app has none."""

    @abc.abstractmethod
    def list(self, app_id: str) -> builtins.list[PolicyVersion]:
        """Every version of the app, in publishing order (X01: none is ever dropped)."""


class AuditLog(abc.ABC):
    """Append-only and hash-chained (PIPL Art. 54): there is no update and no delete."""

    @abc.abstractmethod
    def append(
        self,
        actor: str,
        action: str,
        app_id: str,
        subject_id: str | None = None,
        details: Mapping[str, JsonValue] | None = None,
    ) -> AuditEntry:
        """Chain a new entry to the latest one, stamped now; return it with seq and hash.

        Raises :class:`~yinsi.security.AuditRecordRejected` for personal information in
        clear or details that are not JSON.
        """

    @abc.abstractmethod
    def entries(self, after_seq: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
        """Entries with seq above ``after_seq``, in seq order, at most ``limit`` of them."""

    @abc.abstractmethod
    def head(self) -> AuditHead:
        """The seq and hash of the last append (seq 0 and GENESIS when the log is empty)."""

    @abc.abstractmethod
    def last(self, action: str) -> AuditEntry | None:
        """The latest entry of ``action``, or None."""


class ApiKeyStore(abc.ABC):
    """API keys, stored hashed; creating and revoking one is audited in the same transaction."""

    @abc.abstractmethod
    def create(
        self, name: str, scopes: Iterable[Scope | str], *, actor: str = "cli"
    ) -> tuple[ApiKey, str]:
        """A new key and its secret (32 random bytes, URL-safe), which is not kept."""

    @abc.abstractmethod
    def verify(self, secret: str) -> ApiKey | None:
        """The key whose secret this is, unless unknown or revoked (then None)."""

    @abc.abstractmethod
    def revoke(self, key_id: str, *, actor: str = "cli") -> ApiKey | None:
        """Revoke the key (idempotent); None when there is no key ``key_id``."""

    @abc.abstractmethod
    def list(self) -> builtins.list[ApiKey]:
        """Every key, revoked ones too, oldest first."""


class UnitOfWork(abc.ABC):
    """One transaction: nothing is stored until :meth:`commit`; leaving rolls back the rest."""

    ledger: ConsentLedger
    policies: PolicyStore
    audit: AuditLog
    api_keys: ApiKeyStore
    requests: RightsRequestStore
    plans: PlanStore
    challenges: ChallengeStore
    holds: LegalHoldStore
    provisions: ProvisionLedger
    incidents: IncidentStore
    staff: StaffStore
    campaigns: CampaignStore
    reports: ConsoleReports
    deliveries: DeliveryStore
    limits: LimitStore
    exports: ExportStore
    service_end: ServiceEndStore
    sources: SourceStore
    claims: RunClaimStore

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class UnitsOfWork(Protocol):
    """Opens units of work on one database: ``with units() as uow: …; uow.commit()``.

    The composition root (:class:`yinsi.services.root.Services`) makes one per process and
    hands the same one to every service, so they share one connection pool."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...
