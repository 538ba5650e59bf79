"""The ports the storage adapter implements: a ledger, a policy store, a unit of work.

Services take a :class:`UnitOfWork`; tests of services can plug in an in-memory one.
"""

from __future__ import annotations

import abc
import builtins
from types import TracebackType
from typing import Self

from yinsi.consent import ConsentEvent, ConsentState
from yinsi.declaration import Declaration
from yinsi.storage.records import PolicyVersion


class ConsentLedger(abc.ABC):
    @abc.abstractmethod
    def append(self, event: ConsentEvent) -> ConsentEvent:
        """Store ``event`` as the subject's next entry; return it with its ``seq``.

        The subject's derived state is updated in the same transaction.
        """

    @abc.abstractmethod
    def events(self, app_id: str, subject_id: str) -> builtins.list[ConsentEvent]:
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


class UnitOfWork(abc.ABC):
    """One transaction: nothing is stored until :meth:`commit`; leaving rolls back the rest."""

    ledger: ConsentLedger
    policies: PolicyStore

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
