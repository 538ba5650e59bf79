"""The port of service ends (X39): plans and each subject's progress."""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable

from yinsi.lifecycle.service_end import ServiceEndPlan, SubjectProgress, SubjectStatus

__all__ = ["ServiceEndStore"]


class ServiceEndStore(abc.ABC):
    """The port: plans and subject progress of service ends."""

    @abc.abstractmethod
    def announce(self, plan: ServiceEndPlan, subjects: Iterable[str]) -> None:
        """Store a new plan with its subjects (pending); raises :class:`ServiceEndError`
        when the app's end is already announced."""

    @abc.abstractmethod
    def get(self, app_id: str) -> ServiceEndPlan | None: ...

    @abc.abstractmethod
    def update(self, plan: ServiceEndPlan, *, actor: str) -> None: ...

    @abc.abstractmethod
    def add_subjects(self, app_id: str, subjects: Iterable[str]) -> int:
        """Add the subjects not known yet (pending); returns how many were new."""

    @abc.abstractmethod
    def progress(self, app_id: str) -> builtins.list[SubjectProgress]:
        """Every subject's progress, by subject id."""

    @abc.abstractmethod
    def mark(self, progress: SubjectProgress, *, actor: str) -> None:
        """Store a subject's new status (audited)."""

    @abc.abstractmethod
    def counts(self, app_id: str) -> dict[SubjectStatus, int]: ...

    @abc.abstractmethod
    def outcomes(self, app_id: str) -> dict[str, int]:
        """Subjects done, by the final status of their deletion request."""

    @abc.abstractmethod
    def unlinked_erased(self, app_id: str, erased: dict[str, int], *, actor: str) -> None:
        """Audit the erasure of records that lead to no user (counts per dataset)."""

    @abc.abstractmethod
    def ledger_subjects(self, app_id: str) -> builtins.list[str]:
        """The subjects the consent ledger knows for the app."""
