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

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta, timezone
from pathlib import Path

from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.delivery import Channel
from yinsi.rights.answers import check_corrections, due_of, remedy, summary
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.executor import Context, StepFailed, run
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import plan
from yinsi.rights.ports import Connector
from yinsi.rights.preconditions import NoRecordWhile, Precondition
from yinsi.rights.requests import (
    InvalidRequest,
    Refusal,
    Requester,
    RightsRequest,
    Status,
    Transition,
    choice,
    validate_new,
)
from yinsi.rights.verification import (
    Method,
    VerificationFailed,
    sms_challenge,
    sms_text,
)
from yinsi.rights.walk import Found, find
from yinsi.services.clock import Clock, utc_now
from yinsi.services.code_limits import CodeLimits
from yinsi.services.consent import Engine
from yinsi.services.delivery import DeliveryService
from yinsi.services.delivery_notices import ANSWERED, Contacts, answer_notice
from yinsi.services.exports import ExportService
from yinsi.services.field_values import FieldValues, KeySource, clear_connectors
from yinsi.services.rights_execution import RequestEffects, StepJournal
from yinsi.settings.limits import LimitSettings
from yinsi.storage import UnitsOfWork
from yinsi.taxonomy import DeletionTrigger, RightKind

__all__ = ["NoRecordWhile", "Precondition", "RightsService"]

CHINA = timezone(timedelta(hours=8))


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
    ) -> RightsRequest:
        """File a request; it waits for identity verification (X35)."""
        kind = choice(RightKind, kind, "request kind")
        declaration = self.declaration
        if corrections:
            check_corrections(self.data_map, corrections)
        request = RightsRequest(
            id=f"req_{secrets.token_hex(8)}",
            app_id=self.data_map.app,
            subject_id=subject_id,
            kind=kind,
            status=Status.RECEIVED,
            received_at=self._clock(),
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
        phone = self._on_file(request.subject_id, "mobile_number")
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
            request_id, answer, method, lambda: self._on_file(request.subject_id, "id_number")
        )
        verified = replace(request, verified_at=now)
        verified = replace(verified, due=due_of(verified, self.declaration, self.calendar))
        return self._move(verified, Status.VERIFIED, actor="subject", note=method.value)

    def approve(self, request_id: str, *, actor: str) -> RightsRequest:
        """Approve a verified request; refuses it at once if a precondition fails (W16)."""
        request = self.get(request_id)
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
        e.g. to show progress.
        """
        actor = actor or self._actor
        request = self.get(request_id)
        if request.status is Status.APPROVED or request.status is Status.PARTIALLY_COMPLETED:
            request = self._move(request, Status.EXECUTING, actor=actor)
        elif request.status is not Status.EXECUTING:
            raise InvalidRequest(
                f"request {request_id} is {request.status.value}: only an approved request "
                "runs (verify and approve it first)"
            )
        with self.units() as uow:
            steps = uow.plans.steps(request_id)
        if not steps:
            found = self._find(request)
            steps = plan(request, self.data_map, self.declaration, found)
            with self.units() as uow:
                uow.plans.save(steps)
                uow.commit()
        ctx = Context(
            request,
            self.data_map,
            self.connectors,
            RequestEffects(self, actor),
            self._hash_key,
            self._clock,
        )
        try:
            ended = run(steps, StepJournal(self.units, on_step), ctx)
        except StepFailed:
            return self.get(request_id)
        if any(s.status is not StepStatus.DONE for s in ended):
            return self.get(request_id)  # waits for a person's answer (review)
        return self._finish(request, ended, actor)

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

    def _find(self, request: RightsRequest) -> Found:
        with self.units() as uow:
            holds = uow.holds.active(request.app_id, request.subject_id, self.today())
        rules = {r.id: r for r in self.declaration.retention}
        return find(
            self.data_map,
            self.connectors,
            request.subject_id,
            rules=rules,
            legal_holds=holds,
            today=self.today(),
        )

    def _on_file(self, subject_id: str, element: str) -> str:
        """The value of ``element`` held for the subject in a dataset found by user_id."""
        for ds in self.data_map.datasets:
            field = next((f for f in ds.fields if f.element == element), None)
            if field is None or ds.subject is None or ds.subject.identity != "user_id":
                continue
            records = self.connectors[ds.store].find(ds, {ds.subject.column: [subject_id]})
            for record in records:
                value = record.values.get(field.name)
                if value:
                    return str(value)
        raise VerificationFailed("未找到可用于验证身份的信息，请联系客服" if element else "", 0)

    def _move(
        self, request: RightsRequest, status: Status, *, actor: str, note: str = ""
    ) -> RightsRequest:
        moved = request.moved(status, self._clock(), actor, note)
        with self.units() as uow:
            uow.requests.save(moved, actor=actor)
            uow.commit()
        if status in ANSWERED and not moved.filed_by_handler:
            # tell the subject through the channel on file (recorded)
            contacts = Contacts(self.data_map, self.connectors)
            answer_notice(self.delivery, contacts, moved, self.declaration.app.name)
        return moved

    def _finish(self, request: RightsRequest, steps: list[Step], actor: str) -> RightsRequest:
        kept = [k for s in steps if s.action is Action.RESTRICT for k in s.params.get("kept", [])]
        unconfirmed = [
            s.dataset
            for s in steps
            if s.action is Action.NOTIFY and "confirmation" not in s.outcome
        ]
        partial = bool(kept or unconfirmed)
        text = request.answer or summary(request, steps, kept, self.data_map)
        done = replace(self.get(request.id), answer=text)
        if request.corrections:
            with self.units() as uow:
                uow.requests.clear_corrections(request.id)
                uow.commit()
            done = replace(done, corrections={})
        status = Status.PARTIALLY_COMPLETED if partial else Status.COMPLETED
        return self._move(done, status, actor=actor)
