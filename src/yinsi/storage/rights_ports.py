"""The ports of rights requests: requests, execution plans, identity challenges, legal holds.

Reached from a unit of work (``uow.requests``, ``uow.plans``, ``uow.challenges``,
``uow.holds``); nothing is stored until ``uow.commit()``.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Step
from yinsi.rights.requests import RightsRequest, Status
from yinsi.rights.verification import Challenge, Method
from yinsi.storage.errors import RequestNotFound


class RightsRequestStore(abc.ABC):
    """Rights requests and their history; every filing and transition is audited."""

    @abc.abstractmethod
    def add(self, request: RightsRequest, *, actor: str = "subject") -> None:
        """Store a new request (status ``received``) with its history so far; ``actor``
        (who filed it: the subject, or a staff member's or API key's id) is audited.

        Raises :class:`~yinsi.storage.errors.RequestExists` for an id already stored.
        """

    @abc.abstractmethod
    def get(self, request_id: str) -> RightsRequest:
        """The request with its whole history; raises
        :class:`~yinsi.storage.errors.RequestNotFound`."""

    @abc.abstractmethod
    def save(self, request: RightsRequest, *, actor: str) -> None:
        """Store the request's progress: status, verification, due date, refusal, answer,
        and the transitions of its history not stored yet.

        The filing (kind, requester, corrections, text, …) was fixed by :meth:`add` and is
        not rewritten. Optimistic concurrency: raises
        :class:`~yinsi.storage.errors.RequestConflict` when the stored history is not
        the start of ``request.history`` (someone else moved the request since it was
        read); reload with :meth:`get` and retry.
        """

    def move(
        self,
        request: RightsRequest,
        *,
        actor: str,
        read: RightsRequest,
        release: str | None = None,
    ) -> None:
        """:meth:`save` for ``request`` changed from ``read`` (the request as stored when it
        was read), without reading it again: the write is guarded by ``read``'s status and
        history (:class:`~yinsi.storage.errors.RequestConflict` as :meth:`save`).
        ``release``: a run's owner id whose claim on the request (see
        :mod:`yinsi.storage.claims`, kept on the request) is given up in the same write;
        another owner's claim is kept. See :meth:`move_many`."""
        self.move_many([(read, request)], actor=actor, release=release)

    @abc.abstractmethod
    def move_many(
        self,
        moves: Sequence[tuple[RightsRequest, RightsRequest]],
        *,
        actor: str,
        release: str | None = None,
    ) -> None:
        """:meth:`move` for many ``(read, moved)`` pairs (a batch run's chunk)."""

    def get_many(self, request_ids: Sequence[str]) -> dict[str, RightsRequest]:
        """The requests of these ids that exist (a missing id is left out, not raised); by
        default one :meth:`get` each."""
        found: dict[str, RightsRequest] = {}
        for request_id in dict.fromkeys(request_ids):
            try:
                found[request_id] = self.get(request_id)
            except RequestNotFound:
                continue
        return found

    @abc.abstractmethod
    def list(
        self,
        app_id: str,
        *,
        statuses: Iterable[Status] | None = None,
        subject_id: str | None = None,
    ) -> builtins.list[RightsRequest]:
        """The app's requests, by due date (none last), then by the time received."""

    @abc.abstractmethod
    def clear_corrections(self, request_id: str, *, actor: str = "yinsi") -> None:
        """Erase the request's new values (personal information) once they are executed."""


class PlanStore(abc.ABC):
    """Execution plans: saved whole, once, before the first effect; steps updated as run."""

    @abc.abstractmethod
    def save(self, steps: Sequence[Step]) -> None:
        """Store every step of one request's plan (numbered 1, 2, … in order).

        Raises :class:`~yinsi.storage.errors.PlanExists` if the request has a plan.
        """

    def insert(self, steps: Sequence[Step]) -> None:
        """:meth:`save` for a caller that moved the request in this unit of work and read
        no plan: a store may skip its checks (a plan stored since still raises
        :class:`~yinsi.storage.errors.PlanExists`). By default: :meth:`save`."""
        self.save(steps)

    def insert_many(self, plans: Sequence[Sequence[Step]]) -> None:
        """:meth:`insert` for the plans of many requests (a batch run's chunk, each request
        claimed and moved by the caller); by default one by one."""
        for steps in plans:
            self.insert(steps)

    @abc.abstractmethod
    def steps(self, request_id: str) -> builtins.list[Step]:
        """The plan's steps in order; empty when the request has no plan."""

    def steps_many(self, request_ids: Sequence[str]) -> dict[str, builtins.list[Step]]:
        """:meth:`steps` of many requests (empty list: no plan); by default one by one."""
        return {r: self.steps(r) for r in dict.fromkeys(request_ids)}

    @abc.abstractmethod
    def update(self, step: Step) -> None:
        """Store a step's status, attempts, outcome and times.

        Raises :class:`~yinsi.storage.errors.StepNotFound` for a step never saved.
        """

    def update_many(self, steps: Sequence[Step]) -> None:
        """:meth:`update` for many steps (of one or many requests) at once."""
        for step in steps:
            self.update(step)


class ChallengeStore(abc.ABC):
    """Identity challenges, one current challenge per request and method."""

    @abc.abstractmethod
    def put(self, challenge: Challenge) -> None:
        """Store the challenge, replacing the request's challenge of the same method."""

    @abc.abstractmethod
    def get(self, request_id: str, method: Method) -> Challenge | None:
        """The current challenge (a snapshot: attempts are counted by :meth:`count_wrong`
        and :meth:`mark_verified`, which cannot be raced)."""

    @abc.abstractmethod
    def renew(self, challenge: Challenge) -> None:
        """Store a new code for the request, keeping the attempts already counted (a
        resend never resets the budget of wrong answers)."""

    @abc.abstractmethod
    def add_if_absent(self, challenge: Challenge) -> None:
        """Store the challenge unless the request has one of this method (no error)."""

    @abc.abstractmethod
    def count_wrong(self, request_id: str, method: Method, limit: int) -> int | None:
        """Count one wrong answer, atomically: the attempts now, or None when ``limit``
        were already counted (the challenge is locked; nothing changes)."""

    @abc.abstractmethod
    def mark_verified(
        self, request_id: str, method: Method, secret_sha256: str, at: datetime, limit: int
    ) -> bool:
        """Mark the challenge whose secret is ``secret_sha256`` verified, atomically, unless
        it is locked (``limit`` attempts counted) or was replaced; whether it was."""


class LegalHoldStore(abc.ABC):
    """Legal holds on subjects' data; adding and releasing one is audited."""

    @abc.abstractmethod
    def add(self, hold: LegalHold, *, actor: str) -> None: ...

    @abc.abstractmethod
    def active(self, app_id: str, subject_id: str, today: date) -> builtins.list[LegalHold]:
        """The holds in force on ``today`` (not released, ``until`` not past), oldest first."""

    @abc.abstractmethod
    def in_force(self, app_id: str, today: date) -> builtins.list[LegalHold]:
        """Every subject's holds in force on ``today``, by subject then oldest first."""

    @abc.abstractmethod
    def release(self, hold_id: str, *, actor: str, at: datetime) -> LegalHold:
        """Release the hold (a second release changes nothing) and return it.

        Raises :class:`~yinsi.storage.errors.HoldNotFound`.
        """
