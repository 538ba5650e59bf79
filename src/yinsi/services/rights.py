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

import json
import os
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from yinsi.consent import Channel, Evidence
from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.rights import export as exporting
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.deadlines import request_deadline
from yinsi.rights.executor import Context, Effects, Journal, StepFailed, run
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import plan
from yinsi.rights.ports import Connector
from yinsi.rights.requests import (
    Due,
    InvalidRequest,
    Refusal,
    Requester,
    RightsRequest,
    Status,
    Transition,
    validate_new,
)
from yinsi.rights.verification import (
    LogSmsSender,
    Method,
    SmsSender,
    VerificationFailed,
    WrongAnswer,
    id_suffix_challenge,
    sms_challenge,
    sms_text,
)
from yinsi.rights.verification import (
    answer as answer_challenge,
)
from yinsi.rights.walk import Found, find
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork
from yinsi.taxonomy import DeletionTrigger, RightKind
from yinsi.taxonomy.formats import Format, InvalidValue, format_of, validate

CHINA = timezone(timedelta(hours=8))
E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: object, what: str) -> E:
    if isinstance(value, enum):
        return value
    found = enum._value2member_map_.get(str(value))
    if found is None:
        raise InvalidRequest(
            f"unknown {what} {value!r}; one of: " + ", ".join(m.value for m in enum)
        )
    return cast(E, found)


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Precondition(ABC):
    """A check an app provides before a kind of request may be approved (W16)."""

    id: str
    kind: RightKind
    text: str
    """Shown to the user when it fails, e.g. 您尚有未结清的借款，结清后方可注销账号。"""

    @abstractmethod
    def holds(self, found: Found) -> bool:
        """True when the request may go ahead, judged on the subject's records."""


class NoRecordWhile(Precondition):
    """Refuse while any record of ``dataset`` meets the ``while`` condition of ``rule``'s
    hold (e.g. a loan with status outstanding): W16, no cancellation with debt."""

    def __init__(self, id: str, kind: RightKind, dataset: str, rule: str, text: str) -> None:
        self.id, self.kind, self.dataset, self.rule, self.text = id, kind, dataset, rule, text

    def holds(self, found: Found) -> bool:
        return not any(
            r.holds.get(self.rule) is not None and r.holds[self.rule].condition
            for r in found.records.get(self.dataset, [])
        )


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
        sms: SmsSender | None = None,
        calendar: WorkingCalendar | None = None,
        preconditions: Sequence[Precondition] = (),
        clock: Clock = _utc_now,
        actor: str = "rights",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.units = units
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        """Where the data map's ``${VAR}`` store URLs are expanded from."""
        self.data_map = data_map
        self.connectors = connectors
        self._hash_key = hash_key
        self.export_dir = export_dir
        self.sms = sms or LogSmsSender()
        self.calendar = calendar or WorkingCalendar.default()
        self.preconditions = list(preconditions)
        self._clock = clock
        self._actor = actor

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
        kind = _choice(RightKind, kind, "request kind")
        declaration = self.declaration
        if corrections:
            self._check_corrections(corrections)
        request = RightsRequest(
            id=f"req_{secrets.token_hex(8)}",
            app_id=self.data_map.app,
            subject_id=subject_id,
            kind=kind,
            status=Status.RECEIVED,
            received_at=self._clock(),
            requester=requester or Requester(),
            channel=channel,
            trigger=None if trigger is None else _choice(DeletionTrigger, trigger, "trigger"),
            consent_id=consent_id,
            corrections=dict(corrections or {}),
            text=text,
        )
        validate_new(request)
        received = Transition(request.received_at, Status.RECEIVED, actor or self._actor, channel)
        request = replace(request, due=self._due(request, declaration), history=(received,))
        with self.units() as uow:
            uow.requests.add(request, actor=actor or self._actor)
            uow.commit()
        return self.get(request.id)

    def send_code(self, request_id: str) -> None:
        """Send a one-time code to the phone on file (the SMS sender is pluggable)."""
        request = self.get(request_id)
        phone = self._on_file(request.subject_id, "mobile_number")
        challenge, code = sms_challenge(request_id, self._clock())
        with self.units() as uow:
            uow.challenges.put(challenge)
            uow.commit()
        self.sms.send(phone, sms_text(code, self.declaration.app.name))

    def verify(
        self, request_id: str, answer: str, *, method: Method | str = Method.SMS
    ) -> RightsRequest:
        """Check the code (or the last six characters of the ID number on file).

        Raises :class:`~yinsi.rights.verification.VerificationFailed` with the attempts
        left; after five wrong answers a new code must be sent.
        """
        method = Method(method)
        request = self.get(request_id)
        now = self._clock()
        with self.units() as uow:
            challenge = uow.challenges.get(request_id, method)
        if challenge is None and method is Method.ID_SUFFIX:
            id_number = self._on_file(request.subject_id, "id_number")
            challenge = id_suffix_challenge(request_id, id_number, now)
        if challenge is None:
            raise VerificationFailed("请先获取验证码", 0)
        try:
            done = answer_challenge(challenge, answer, now)
        except WrongAnswer as wrong:
            with self.units() as uow:
                uow.challenges.put(wrong.challenge)
                uow.commit()
            raise
        with self.units() as uow:
            uow.challenges.put(done)
            uow.commit()
        verified = replace(request, verified_at=now)
        verified = replace(verified, due=self._due(verified, self.declaration))
        return self._move(verified, Status.VERIFIED, actor="subject", note=method.value)

    def approve(self, request_id: str, *, actor: str) -> RightsRequest:
        """Approve a verified request; refuses it at once if a precondition fails (W16)."""
        request = self.get(request_id)
        checks = [p for p in self.preconditions if p.kind is request.kind]
        if checks and request.status is Status.VERIFIED:
            found = self._find(request)
            for check in checks:
                if not check.holds(found):
                    refusal = Refusal(f"precondition:{check.id}", check.text, self._remedy())
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
        refusal = Refusal(ground, grounds[ground].text, self._remedy())
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
            _Effects(self, actor),
            self._hash_key,
            self._clock,
        )
        try:
            ended = run(steps, _UowJournal(self.units, on_step), ctx)
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

    # ------------------------------------------------------------ internals

    def _check_corrections(self, corrections: Mapping[str, str]) -> None:
        """Each element must be held somewhere and each value fit its format (X27)."""
        held = {f.element: f for ds in self.data_map.datasets for f in ds.fields}
        for element, value in corrections.items():
            field = held.get(element)
            if field is None:
                raise InvalidRequest(
                    f"no dataset holds {element!r}; elements that can be corrected: "
                    + ", ".join(sorted(held))
                )
            fmt = Format(field.format) if field.format else format_of(element)
            try:
                validate(fmt, value)
            except InvalidValue as exc:
                raise InvalidRequest(f"{element}: {exc}") from exc

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

    def _due(self, request: RightsRequest, declaration: Declaration) -> Due | None:
        right = next((r for r in declaration.rights.items if r.kind is request.kind), None)
        if right is None or right.deadline is None:
            return None
        received = request.received_at.astimezone(CHINA).date()
        verified = (
            None if request.verified_at is None else request.verified_at.astimezone(CHINA).date()
        )
        deadline = request_deadline(
            right.deadline, received=received, verified=verified, calendar=self.calendar
        )
        if deadline is None:
            return None
        limit = deadline.limit
        return Due(
            date=limit.date,
            working_days=limit.working_days,
            counted_from=limit.start,
            provisional=limit.provisional,
            target=None if deadline.target is None else deadline.target.date,
            warning=limit.warning,
        )

    def _remedy(self) -> str:
        text = self.declaration.rights.complaint_escalation
        return (
            text
            or "如您对我们的答复不满意，可以向履行个人信息保护职责的部门投诉、举报，或者向人民法院提起诉讼（《个人信息保护法》第五十条）。"
        )

    def _move(
        self, request: RightsRequest, status: Status, *, actor: str, note: str = ""
    ) -> RightsRequest:
        moved = request.moved(status, self._clock(), actor, note)
        with self.units() as uow:
            uow.requests.save(moved, actor=actor)
            uow.commit()
        return moved

    def _finish(self, request: RightsRequest, steps: list[Step], actor: str) -> RightsRequest:
        kept = [k for s in steps if s.action is Action.RESTRICT for k in s.params.get("kept", [])]
        unconfirmed = [
            s.dataset
            for s in steps
            if s.action is Action.NOTIFY and "confirmation" not in s.outcome
        ]
        partial = bool(kept or unconfirmed)
        text = request.answer or _summary(request, steps, kept, self.data_map)
        done = replace(self.get(request.id), answer=text)
        if request.corrections:
            with self.units() as uow:
                uow.requests.clear_corrections(request.id)
                uow.commit()
            done = replace(done, corrections={})
        status = Status.PARTIALLY_COMPLETED if partial else Status.COMPLETED
        return self._move(done, status, actor=actor)


def _summary(
    request: RightsRequest, steps: list[Step], kept: list[dict[str, Any]], data_map: DataMap
) -> str:
    labels = {d.id: d.label for d in data_map.datasets}
    kind = request.kind
    parts: list[str] = []
    if kind in (RightKind.ACCESS, RightKind.COPY, RightKind.TRANSFER):
        count = sum(int(s.outcome.get("records", 0)) for s in steps)
        parts.append(f"已为您生成个人信息副本（共{count}条记录），可在隐私中心下载。")
    elif kind is RightKind.CORRECTION:
        parts.append("已按您的申请更正个人信息。")
    elif kind is RightKind.CANCEL_ACCOUNT:
        parts.append(
            "您的账号已注销，此操作不可恢复；我们已停止提供服务并删除或匿名化处理您的个人信息。"
        )
    elif kind in (RightKind.WITHDRAW_CONSENT, RightKind.OPT_OUT_PERSONALISATION):
        parts.append("已撤回您的同意并停止相关处理；撤回前基于同意已进行的处理活动效力不受影响。")
    else:
        erased = sum(int(s.outcome.get("affected", 0)) for s in steps if s.action is Action.ERASE)
        parts.append(f"已删除或匿名化处理您的个人信息（{erased}条记录）。")
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for item in kept:
        by_dataset.setdefault(str(item["dataset"]), []).append(item)
    for dataset, items in by_dataset.items():
        reasons = "；".join(dict.fromkeys(str(i["reason"]) for i in items))
        dates = [str(i["until"]) for i in items if i.get("until")]
        until = (
            "在相关业务结束并届满保存期限前保存"
            if len(dates) < len(items)
            else f"最晚保存至{max(dates)}"
        )
        parts.append(
            f"依法保留：{labels.get(dataset, dataset)}（{reasons}），{until}；"
            "保存期间除存储和采取必要的安全保护措施外不作其他处理，期满后删除或匿名化处理。"
        )
    return "".join(parts)


class _UowJournal(Journal):
    def __init__(self, units: UnitsOfWork, on_step: Callable[[Step], None] | None) -> None:
        self._units = units
        self._on_step = on_step

    def update(self, step: Step) -> None:
        with self._units() as uow:
            uow.plans.update(step)
            uow.commit()
        if self._on_step is not None:
            self._on_step(step)


class _Effects(Effects):
    def __init__(self, service: RightsService, actor: str) -> None:
        self._s = service
        self._actor = actor

    def _evidence(self, request: RightsRequest) -> Evidence:
        known = {c.value: c for c in Channel}  # a request from the privacy center says h5
        return Evidence(known.get(request.channel, Channel.CUSTOMER_SERVICE), account=request.id)

    def withdraw(self, request: RightsRequest, consent_id: str) -> bool:
        engine = self._s.engine
        state = engine.state(request.app_id, request.subject_id)
        if consent_id not in state.granted:
            return False
        engine.withdraw(
            request.app_id,
            request.subject_id,
            consent_id,
            evidence=self._evidence(request),
            actor=self._actor,
        )
        return True

    def restrict(self, request: RightsRequest, elements: list[str]) -> list[str]:
        _, done = self._s.engine.restrict(
            request.app_id,
            request.subject_id,
            elements,
            evidence=self._evidence(request),
            actor=self._actor,
        )
        return done

    def _parts(self, request: RightsRequest) -> Path:
        return self._s.export_dir / request.id

    def export_part(self, request: RightsRequest, dataset: str, rows: list[dict[str, Any]]) -> None:
        folder = self._parts(request)
        folder.mkdir(parents=True, exist_ok=True)
        clean = [{k: exporting.plain(v) for k, v in row.items()} for row in rows]
        tmp = folder / f"{dataset}.json.tmp"
        tmp.write_text(json.dumps(clean, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / f"{dataset}.json")  # atomic: a crash leaves the old or the new

    def export_package(self, request: RightsRequest) -> str:
        folder = self._parts(request)
        parts = (
            {
                p.stem: json.loads(p.read_text(encoding="utf-8"))
                for p in sorted(folder.glob("*.json"))
            }
            if folder.exists()
            else {}
        )
        with self._s.units() as uow:
            provisions = uow.provisions.of_subject(request.app_id, request.subject_id)
        data = exporting.archive(self._s.declaration, self._s.data_map, parts, provisions)
        target = self._s.archive_path(request.id)
        tmp = target.with_suffix(".zip.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return str(target)
