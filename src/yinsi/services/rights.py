"""``RightsService``: rights requests end to end — the service layer beside the Engine.

It composes the domain (:mod:`yinsi.rights`) with yinsi's storage (requests, plans,
challenges, holds), the consent ledger (withdrawals, restrictions) and the connectors to
the app's stores. Entry points (CLI ``yinsi rights``, API ``/v1/requests``) parse input,
call one method here and map its errors.

    submit → send_code / verify_id_suffix → verify → approve | refuse → run → completed
                                                                         └ partially_completed
Complaints, contests of automated decisions and requests for explanation are closed by
:meth:`answer` after review.
"""

# long: a request's whole lifecycle (submit to finish) is one service the entry points
# call; the parts that grew (execution, codes, leases, batches) live in their own modules.
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.delivery import Channel, Purpose
from yinsi.rights.answers import due_of, remedy, summary
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.corrections import check_corrections, check_stores
from yinsi.rights.executor import Context, StepFailed, run
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import CONSENT_KINDS, ERASE_KINDS, plan
from yinsi.rights.ports import Connector
from yinsi.rights.preconditions import NoRecordWhile, Precondition
from yinsi.rights.requests import (
    InvalidRequest,
    Refusal,
    Requester,
    RightsRequest,
    Status,
    Transition,
    check_received_at,
    choice,
    validate_new,
)
from yinsi.rights.verification import (
    Method,
    NotOnFile,
    on_file,
    sms_challenge,
    sms_text,
)
from yinsi.rights.walk import Found, find
from yinsi.services.clock import Clock, utc_now
from yinsi.services.code_limits import CodeLimits
from yinsi.services.consent import Engine
from yinsi.services.datamap_check import MapCheckFailed
from yinsi.services.datamap_live import probe_errors
from yinsi.services.delivery import DeliveryService, Message
from yinsi.services.delivery_notices import ANSWERED, Contacts, answer_message, answer_notice
from yinsi.services.exports import ExportService
from yinsi.services.field_values import FieldValues, KeySource, clear_connectors
from yinsi.services.rights_deferred import DeferredRun, run_deferred
from yinsi.services.rights_execution import RequestEffects, StepJournal
from yinsi.services.run_leases import RunLeases, run_owner
from yinsi.settings.limits import LimitSettings
from yinsi.storage import PlanExists, RequestConflict, UnitOfWork, UnitsOfWork
from yinsi.taxonomy import DeletionTrigger, RightKind
from yinsi.taxonomy.timezone import CHINA

__all__ = ["NoRecordWhile", "Precondition", "RightsService"]

log = logging.getLogger("yinsi.rights")

PREDICATE_KINDS = ERASE_KINDS | CONSENT_KINDS
"""Requests whose erasures may be planned as predicates instead of keys."""


class RightsService:
    def __init__(
        self,
        engine: Engine,
        data_map: DataMap,
        connectors: Mapping[str, Connector],
        *,
        units: UnitsOfWork,
        hash_key: bytes,
        export_dir: Path,
        delivery: DeliveryService,
        calendar: WorkingCalendar | None = None,
        preconditions: Sequence[Precondition] | None = None,
        clock: Clock = utc_now,
        actor: str = "rights",
        environ: Mapping[str, str] | None = None,
        limits: LimitSettings | None = None,
        exports: ExportService | None = None,
        field_keys: KeySource | None = None,
        leases: RunLeases | None = None,
    ) -> None:
        self.engine = engine
        self.units = units
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        """Where the data map's ``${VAR}`` store URLs are expanded from."""
        self.data_map = data_map
        self.connectors = clear_connectors(
            data_map, connectors, FieldValues(self.environ, field_keys)
        )
        """Clear values of ``encrypted: true`` fields; corrections encrypt (issue 15)."""
        self._hash_key = hash_key
        self.export_dir = export_dir
        self.exports = exports or ExportService(units, export_dir, clock=clock, actor=actor)
        """Export archives at rest: 0600 files, expiry, encryption (issue 14)."""
        self.delivery = delivery
        """Sends the codes and tells the subject the answer (recorded, issue 14)."""
        self.calendar = calendar or WorkingCalendar.default()
        self.preconditions: list[Precondition] = (
            [NoRecordWhile(p.id, p.kind, p.dataset, p.rule, p.text) for p in data_map.preconditions]
            if preconditions is None
            else list(preconditions)
        )
        """Checked before approval (W16); None: the data map's."""
        self._clock = clock
        self._actor = actor
        self.codes = CodeLimits(units, limits or LimitSettings(), hash_key, clock)
        """Send limits of codes and the atomic attempt counter (issue 14)."""
        self.leases = leases or RunLeases(units)
        """One run of a request at a time, in any process (issue 16)."""

    # ------------------------------------------------------------ lifecycle

    def submit(
        self,
        subject_id: str,
        kind: RightKind | str,
        *,
        requester: Requester | None = None,
        channel: str = "app",
        trigger: DeletionTrigger | str | None = None,
        consent_id: str | None = None,
        corrections: Mapping[str, str] | None = None,
        text: str = "",
        actor: str | None = None,
        received_at: datetime | None = None,
    ) -> RightsRequest:
        """File a request; it waits for identity verification (X35).

        ``received_at``: when a request received on another channel (a call, a letter)
        reached the handler, if earlier than now: the deadline counts from it, and the
        audit entry keeps both times (X36)."""
        kind = choice(RightKind, kind, "request kind")
        now = self._clock()
        received_at = now if received_at is None else check_received_at(received_at, now)
        declaration = self.declaration
        if corrections:
            check_corrections(self.data_map, corrections)
            check_stores(self.data_map, self.connectors, corrections)
        request = RightsRequest(
            id=f"req_{secrets.token_hex(8)}",
            app_id=self.data_map.app,
            subject_id=subject_id,
            kind=kind,
            status=Status.RECEIVED,
            received_at=received_at,
            requester=requester or Requester(),
            channel=channel,
            trigger=None if trigger is None else choice(DeletionTrigger, trigger, "trigger"),
            consent_id=consent_id,
            corrections=dict(corrections or {}),
            text=text,
        )
        validate_new(request)
        received = Transition(request.received_at, Status.RECEIVED, actor or self._actor, channel)
        request = replace(
            request, due=due_of(request, declaration, self.calendar), history=(received,)
        )
        with self.units() as uow:
            uow.requests.add(request, actor=actor or self._actor)
            uow.commit()
        return self.get(request.id)

    def send_code(self, request_id: str) -> None:
        """Send a one-time code by SMS to the phone on file (``settings.delivery.sms``)."""
        request = self.get(request_id)
        self.delivery.require(Channel.SMS)  # NotConfigured: says what to set
        phone = self._on_file(request, "mobile_number")
        challenge, code = sms_challenge(request_id, self._clock())
        self.codes.store_new(challenge, phone)  # CodeLimited: cooldown, caps (429)
        self.delivery.send_code(request, phone, sms_text(code, self.declaration.app.name), code)

    def verify(
        self, request_id: str, answer: str, *, method: Method | str = Method.SMS
    ) -> RightsRequest:
        """Check the code (or the last six characters of the ID number on file).

        Raises :class:`~yinsi.rights.verification.VerificationFailed` with the attempts
        left; after five wrong answers the method is locked for the request (a new code
        keeps the count: file a new request).
        """
        method = Method(method)
        request = self.get(request_id)
        now = self.codes.verify(
            request_id, answer, method, lambda: self._on_file(request, "id_number")
        )
        verified = replace(request, verified_at=now)
        verified = replace(verified, due=due_of(verified, self.declaration, self.calendar))
        return self._move(verified, Status.VERIFIED, actor="subject", note=method.value)

    def approve(self, request_id: str, *, actor: str) -> RightsRequest:
        """Approve a verified request; refuses it at once if a precondition fails (W16).

        The data map is first checked against the live stores: with a wrong table or
        column, :class:`MapCheckFailed` lists every finding and the request stays verified.
        """
        request = self.get(request_id)
        if request.status is Status.VERIFIED:
            problems = probe_errors(self.data_map, self.connectors)
            if problems:
                raise MapCheckFailed(problems)
        checks = [p for p in self.preconditions if p.kind is request.kind]
        if checks and request.status is Status.VERIFIED:
            found = self._find(request)
            for check in checks:
                if not check.holds(found):
                    refusal = Refusal(
                        f"precondition:{check.id}", check.text, remedy(self.declaration)
                    )
                    return self._move(
                        replace(request, refusal=refusal, answer=check.text),
                        Status.REFUSED,
                        actor=actor,
                        note=refusal.ground,
                    )
        return self._move(request, Status.APPROVED, actor=actor)

    def refuse(self, request_id: str, ground: str, *, actor: str, note: str = "") -> RightsRequest:
        """Refuse on one of the declared grounds (X35); the user is told how to complain."""
        declaration = self.declaration
        grounds = {g.id: g for g in declaration.rights.refusal_grounds}
        if ground not in grounds:
            raise InvalidRequest(
                f"unknown refusal ground {ground!r}: a request may be refused only on a "
                f"declared ground ({', '.join(grounds) or 'none declared'})"
            )
        refusal = Refusal(ground, grounds[ground].text, remedy(self.declaration))
        text = f"经核实，您的请求因以下原因无法办理：{refusal.text}。{refusal.remedy}"
        request = replace(self.get(request_id), refusal=refusal, answer=text)
        return self._move(request, Status.REFUSED, actor=actor, note=note or ground)

    def withdraw_request(self, request_id: str, *, actor: str = "subject") -> RightsRequest:
        return self._move(self.get(request_id), Status.WITHDRAWN, actor=actor)

    def run(
        self,
        request_id: str,
        *,
        actor: str | None = None,
        on_step: Callable[[Step], None] | None = None,
    ) -> RightsRequest:
        """Plan (once) and execute an approved request; resume it after a crash.

        ``on_step`` is called with each step as it is stored (running, done, failed),
        e.g. to show progress. The run holds the request's lease throughout
        (:mod:`.run_leases`): raises :class:`~.run_leases.RunBusy` while another run holds it.

        Two commits of yinsi's database for a plain deletion: one before the first effect
        (the lease, the move to ``executing``, the plan, its first steps ``running``) and
        one after the last (the steps ``done``, the final status and answer, the lease
        released); see :class:`~.rights_execution.StepJournal`. A request moved by another
        run between this run's read and its first commit is read again (once).
        """
        actor = actor or self._actor
        try:
            return self._run(request_id, actor, on_step)
        except (_Moved, RequestConflict, PlanExists):
            return self._run(request_id, actor, on_step)

    def start(self, request_id: str, *, actor: str | None = None) -> RightsRequest:
        """Move an approved (or partially completed) request to ``executing``; an
        executing one is returned as it is. Raises InvalidRequest for any other status."""
        request = self.get(request_id)
        _runnable(request)
        if request.status is not Status.EXECUTING:
            return self._move(request, Status.EXECUTING, actor=actor or self._actor)
        return request

    def _run(
        self, request_id: str, actor: str, on_step: Callable[[Step], None] | None
    ) -> RightsRequest:
        with self.units(read_only=True) as uow:
            request = uow.requests.get(request_id)
            stored = uow.plans.steps(request_id)
            holds = (
                [] if stored else uow.holds.active(request.app_id, request.subject_id, self.today())
            )
        _runnable(request)
        steps = stored
        if not steps:
            predicates = request.kind in PREDICATE_KINDS
            found = self._find(request, predicates=predicates, holds=holds)
            steps = plan(request, self.data_map, self.declaration, found)
        resumed = request.status is Status.EXECUTING
        started = request if resumed else request.moved(Status.EXECUTING, self._clock(), actor)
        owner = run_owner()

        def begin(uow: UnitOfWork) -> None:
            """The lease and the move to executing: in the first commit, with the plan
            (the journal inserts it, its first steps ``running``)."""
            if not self.leases.claim(uow, request_id, owner):
                raise self.leases.busy(uow, request_id)
            if resumed:  # no move to guard the read: check nothing changed since
                again = uow.requests.get(request_id)
                if again.history != request.history or uow.plans.steps(request_id) != stored:
                    raise _Moved(request_id)
            else:  # RequestConflict if moved since
                uow.requests.move(started, actor=actor, read=request)

        with self.leases.kept(request_id, owner) as lease:
            journal = StepJournal(
                self.units,
                lease.checked(on_step),
                before=begin,
                defer_done=True,
                plan=None if stored else steps,  # PlanExists if another run stored one
            )
            ctx = self.context(started, actor)
            contacts = self.contacts_before(started, steps)
            try:
                ended = run(steps, journal, ctx)
            except StepFailed:
                journal.flush()
                return self.get(request_id)
            except BaseException:
                journal.keep_held()  # what is done is stored done
                raise
            if any(s.status is not StepStatus.DONE for s in ended):
                journal.flush()
                return self.get(request_id)  # waits for a person's answer (review)
            text, status = self.closing(started, ended)
            corrected = bool(started.corrections)
            final = replace(started, answer=text, corrections={})
            moved = final.moved(status, self._clock(), actor)
            notice = self.answer_notice(moved, contacts)

            def finish(uow: UnitOfWork) -> None:
                """The final status, its answer, the lease's release (one ``UPDATE``) and,
                when nobody can be told the answer, its ``no_channel`` record: the last
                commit."""
                if corrected:
                    uow.requests.clear_corrections(request_id)
                read = replace(started, corrections={})
                uow.requests.move(moved, actor=actor, read=read, release=owner)
                if isinstance(notice, str):  # one Core INSERT, no ORM flush
                    untold = [(moved.id, moved.subject_id, notice)]
                    self.delivery.no_channel_many(moved.app_id, Purpose.REQUEST_ANSWER, untold, uow)

            journal.flush(finish)
            lease.released = True
        if notice is not None and not isinstance(notice, str):  # sent once stored
            self.delivery.send(moved.app_id, moved.id, notice, subject_id=moved.subject_id)
        return moved

    def contacts_before(self, request: RightsRequest, steps: Sequence[Step]) -> Contacts:
        """Where the answer will go, read before the steps erase it when they will (a
        deletion erases the phone it would be told on); in memory for this run only."""
        contacts = Contacts(self.data_map, self.connectors)
        erasing = any(s.action is Action.ERASE and s.status is not StepStatus.DONE for s in steps)
        by_address = any(self.delivery.configured(c) for c in (Channel.SMS, Channel.EMAIL))
        if not erasing or request.filed_by_handler or not by_address:
            return contacts  # nothing to keep: no address would be used
        return contacts.before_erasure([request.subject_id])

    def run_deferred(
        self, today: date | None = None, *, actor: str | None = None
    ) -> list[DeferredRun]:
        """Erase (or, if a retention period now runs, restrict) the rows deletions deferred
        while their contract ran, for every contract that has ended by ``today`` (default:
        today in China); the subjects are told (:mod:`.rights_deferred`)."""
        when = self.today() if today is None else today
        return run_deferred(self, self._hash_key, when, actor or self._actor)

    def answer(self, request_id: str, text: str, *, actor: str) -> RightsRequest:
        """Answer a complaint, a contest of an automated decision or an explanation request."""
        request = replace(self.get(request_id), answer=text)
        with self.units() as uow:
            uow.requests.save(request, actor=actor)
            uow.commit()
        return self.run(request_id, actor=actor)

    # ------------------------------------------------------------ reading

    def get(self, request_id: str) -> RightsRequest:
        with self.units() as uow:
            return uow.requests.get(request_id)

    def steps(self, request_id: str) -> list[Step]:
        with self.units() as uow:
            return uow.plans.steps(request_id)

    def requests(
        self, *, statuses: Sequence[Status] | None = None, subject_id: str | None = None
    ) -> list[RightsRequest]:
        with self.units() as uow:
            return uow.requests.list(self.data_map.app, statuses=statuses, subject_id=subject_id)

    def archive_path(self, request_id: str) -> Path:
        return self.export_dir / f"{request_id}.zip"

    # ------------------------------------------------------------ holds

    def add_hold(
        self,
        subject_id: str,
        reason: str,
        *,
        actor: str,
        dataset: str | None = None,
        until: date | None = None,
    ) -> LegalHold:
        hold = LegalHold(
            id=f"hold_{secrets.token_hex(6)}",
            app_id=self.data_map.app,
            subject_id=subject_id,
            reason=reason,
            created_at=self._clock(),
            created_by=actor,
            dataset=dataset,
            until=until,
        )
        with self.units() as uow:
            uow.holds.add(hold, actor=actor)
            uow.commit()
        return hold

    def release_hold(self, hold_id: str, *, actor: str) -> None:
        with self.units() as uow:
            uow.holds.release(hold_id, actor=actor, at=self._clock())
            uow.commit()

    def holds_on(self, request: RightsRequest) -> list[LegalHold]:
        """The legal holds in force today on the request's subject, oldest first."""
        with self.units(read_only=True) as uow:
            return uow.holds.active(request.app_id, request.subject_id, self.today())

    # ------------------------------------------------------------ internals

    @property
    def declaration(self) -> Declaration:
        return self.engine.declaration(self.data_map.app)

    def today(self) -> date:
        return self._clock().astimezone(CHINA).date()

    def now(self) -> datetime:
        return self._clock()

    def context(self, request: RightsRequest, actor: str) -> Context:
        """What the runner needs to execute ``request``'s steps."""
        effects = RequestEffects(self, actor)
        return Context(
            request, self.data_map, self.connectors, effects, self._hash_key, self._clock
        )

    def _find(
        self,
        request: RightsRequest,
        *,
        predicates: bool = False,
        holds: Sequence[LegalHold] | None = None,
    ) -> Found:
        """The subject's records; ``predicates``: an erasure's (see :func:`find`);
        ``holds``: the subject's legal holds in force, if already read."""
        if holds is None:
            holds = self.holds_on(request)
        rules = {r.id: r for r in self.declaration.retention}
        return find(
            self.data_map,
            self.connectors,
            request.subject_id,
            rules=rules,
            legal_holds=holds,
            today=self.today(),
            predicates=predicates,
        )

    def _on_file(self, request: RightsRequest, element: str) -> str:
        """The value of ``element`` held for the subject, through ``subject`` and
        ``parent`` links; a failed lookup logs why for the engineer (no PI: dataset and
        column names only) and raises :class:`NotOnFile` (the user's message)."""
        try:
            return on_file(self.data_map, self.connectors, request.subject_id, element)
        except NotOnFile as exc:
            log.warning("request %s: cannot verify identity: %s", request.id, exc.detail)
            raise

    def _move(
        self,
        request: RightsRequest,
        status: Status,
        *,
        actor: str,
        note: str = "",
        contacts: Contacts | None = None,
    ) -> RightsRequest:
        moved = request.moved(status, self._clock(), actor, note)
        with self.units() as uow:
            uow.requests.save(moved, actor=actor)
            uow.commit()
        self.notify_moved(moved, contacts)
        return moved

    def notify_moved(self, moved: RightsRequest, contacts: Contacts | None = None) -> None:
        """Tell the subject an answered request's answer through the channel on file (or
        read before a deletion erased it: ``contacts``)."""
        if moved.status in ANSWERED and not moved.filed_by_handler:
            contacts = contacts or Contacts(self.data_map, self.connectors)
            answer_notice(self.delivery, contacts, moved, self.declaration.app.name)

    def answer_notice(self, moved: RightsRequest, contacts: Contacts) -> Message | str | None:
        """What :meth:`notify_moved` would send for ``moved`` (None: nothing to tell),
        or why nobody can be reached, for a caller storing that in its own commit."""
        if moved.status not in ANSWERED or moved.filed_by_handler:
            return None
        return answer_message(self.delivery, contacts, moved, self.declaration.app.name)

    def closing(self, request: RightsRequest, steps: list[Step]) -> tuple[str, Status]:
        """The answer and the final status of a request whose steps are all done."""
        kept = [k for s in steps if s.action is Action.RESTRICT for k in s.params.get("kept", [])]
        unconfirmed = [
            s.dataset
            for s in steps
            if s.action is Action.NOTIFY and "confirmation" not in s.outcome
        ]
        partial = bool(kept or unconfirmed)
        text = request.answer or summary(request, steps, kept, self.data_map)
        return text, Status.PARTIALLY_COMPLETED if partial else Status.COMPLETED


class _Moved(Exception):
    """The request changed between a run's read and its first commit: read it again."""


def _runnable(request: RightsRequest) -> None:
    """Raises InvalidRequest unless the request may run (approved, executing, partial)."""
    if request.status not in (Status.APPROVED, Status.PARTIALLY_COMPLETED, Status.EXECUTING):
        raise InvalidRequest(
            f"request {request.id} is {request.status.value}: only an approved request "
            "runs (verify and approve it first)"
        )
