"""The demo tenant's rights requests, legal holds and incident, scripted back in time.

The scripts (:mod:`yinsi_demo.demo_scripts`) say which requests and holds the demo shows
and where each request stops; :class:`Desk` turns them into timed steps. Every step runs
through :class:`~yinsi.services.rights.RightsService` at its own time (the service's clock
is a :class:`DemoClock` that :func:`yinsi_demo.demo.seed_demo` sets before each step), so
the request histories, the audit log and the stores read as if it all happened then.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path

from yinsi.delivery import DeliveryResult, Outcome, SmsMessage
from yinsi.rights.requests import Requester, Status
from yinsi.rights.verification import Method
from yinsi.services.incidents import IncidentService
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi_demo import generators as gen
from yinsi_demo.demo_scripts import HOLDS, SCRIPTS, HoldScript, Script
from yinsi_demo.truth import Profile, Seeded

CHINA = timezone(timedelta(hours=8))
OPERATOR = "operator"
"""Who the audit log names for the privacy team's actions (the demo's operator login)."""


class DemoClock:
    """The clock every service of the seeding reads; set to each step's time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class CapturedSms:
    """Keeps the last code sent, so the script can type it in like the user would."""

    def __init__(self) -> None:
        self.last = ""

    def send(self, message: SmsMessage) -> DeliveryResult:
        self.last = message.params.get("code", "")
        return DeliveryResult(Outcome.DELIVERED, 1, provider_id="demo")


@dataclass(frozen=True, slots=True)
class Step:
    """One timed action of the seeding (a request's step, a hold, the incident)."""

    at: datetime
    label: str
    run: Callable[[], None] = field(compare=False)


@dataclass
class Filed:
    """A scripted request: its subject, and its id once submitted."""

    script: Script
    subject_id: str
    request_id: str = ""


class Desk:
    """The privacy team's side of the demo: turns the scripts into timed steps.

    ``pick(profile, at, needs)`` chooses a subject of the profile no script has used yet,
    holding the consent item ``needs`` at ``at``, the time the subject files a request
    (None: a legal hold, no request); each subject gets at most one script.
    """

    def __init__(
        self,
        services: Services,
        seeded: Seeded,
        env: Mapping[str, str],
        clock: DemoClock,
        rng: random.Random,
        pick: Callable[[Profile, datetime | None, str | None], str],
    ) -> None:
        self.services = services
        self.service: RightsService = services.rights
        self.seeded, self.env, self.clock, self.rng = seeded, env, clock, rng
        self.pick = pick
        self.now = clock.now
        self.today = clock.now.astimezone(CHINA).date()
        self.filed: list[Filed] = []
        self.holds: dict[str, str] = {}
        """The legal hold id by subject (one hold each)."""
        self.released: list[str] = []
        self.incidents: list[str] = []

    def steps(self, incident_dir: Path) -> list[Step]:
        steps: list[Step] = []
        for script in SCRIPTS:
            filed_at = at_work(self.today - timedelta(days=script.filed_days_ago), self.rng)
            filed = Filed(script, self.pick(script.profile, filed_at, script.needs))
            self.filed.append(filed)
            if script.legal_hold is not None:
                add = partial(self._add_hold, filed.subject_id, script.legal_hold, None, None)
                steps.append(Step(filed_at - timedelta(days=10), "法律保全", add))
            steps += self._request(filed, filed_at)
        for hold in HOLDS:
            steps += self._hold(hold)
        steps += self._incident(incident_dir)
        return steps

    def check(self) -> None:
        """Raise RuntimeError if a request did not end where its script says."""
        for filed in self.filed:
            status = self.service.get(filed.request_id).status
            if status is not filed.script.until:
                raise RuntimeError(
                    f"demo request {filed.script.kind} of {filed.subject_id} ended "
                    f"{status.value}, scripted {filed.script.until.value}"
                )

    # ------------------------------------------------------------ requests

    def _request(self, filed: Filed, filed_at: datetime) -> list[Step]:
        script, rng, until = filed.script, self.rng, filed.script.until
        verify_at = filed_at + timedelta(minutes=rng.randrange(2, 20))
        decide_at = at_work(filed_at.date() + timedelta(days=1), rng)
        run_at = decide_at + timedelta(minutes=rng.randrange(30, 180))
        answer_at = at_work(run_at.date() + timedelta(days=1), rng)
        times = schedule([filed_at, verify_at, decide_at, run_at, answer_at], self.now)
        actions: list[Callable[[], None]] = [partial(self._submit, filed)]
        if until is not Status.RECEIVED:
            actions.append(partial(self._verify, filed))
        if until is Status.WITHDRAWN:
            actions.append(partial(self._decide, filed, "withdraw"))
        elif until is Status.REFUSED and script.ground is not None:
            actions.append(partial(self._decide, filed, "refuse"))
        elif until not in (Status.RECEIVED, Status.VERIFIED):
            actions.append(partial(self._decide, filed, "approve"))
            if until not in (Status.APPROVED, Status.REFUSED):
                actions.append(partial(self._decide, filed, "run"))
                if script.answer:
                    actions.append(partial(self._decide, filed, "answer"))
        label = f"权利请求（{script.kind}）"
        return [Step(at, label, act) for at, act in zip(times, actions, strict=False)]

    def _submit(self, filed: Filed) -> None:
        script = filed.script
        corrections = None
        if script.correct == "mobile_number":
            corrections = {"mobile_number": gen.mobile(self.rng)}
        relative = None
        if script.relative is not None:  # a child shares the surname
            surname = self.seeded.subject(filed.subject_id).name[0]
            relative = Requester(relation=script.relative, name=surname + gen.name(self.rng)[1:])
        request = self.service.submit(
            filed.subject_id,
            script.kind,
            requester=relative,
            channel=script.channel,
            trigger=script.trigger,
            consent_id=script.consent_id,
            corrections=corrections,
            text=script.text,
            actor="subject" if script.channel == "app" else OPERATOR,
        )
        filed.request_id = request.id

    def _verify(self, filed: Filed) -> None:
        if filed.script.channel == "app":  # the code the user received by SMS
            self.service.send_code(filed.request_id)
            sms = self.service.delivery.sms
            assert isinstance(sms, CapturedSms)
            self.service.verify(filed.request_id, sms.last, method=Method.SMS)
        else:  # customer service asks for the ID number's last six characters (X13)
            suffix = self.seeded.subject(filed.subject_id).id_number[-6:]
            self.service.verify(filed.request_id, suffix, method=Method.ID_SUFFIX)

    def _decide(self, filed: Filed, action: str) -> None:
        """The privacy team's (or, for ``withdraw``, the user's) next step on the request;
        where it leaves the request is read back by :meth:`check`."""
        s, rid, script = self.service, filed.request_id, filed.script
        if action == "withdraw":
            s.withdraw_request(rid, actor="subject")
        elif action == "refuse":
            assert script.ground is not None
            s.refuse(rid, script.ground, actor=OPERATOR)
        elif action == "approve":
            s.approve(rid, actor=OPERATOR)  # refused at once if a precondition fails (W16)
        elif action == "run":
            s.run(rid, actor=OPERATOR)
        else:
            s.answer(rid, script.answer, actor=OPERATOR)

    # ------------------------------------------------------------ holds, incident

    def _hold(self, hold: HoldScript) -> list[Step]:
        added = at_work(self.today - timedelta(days=hold.added_days_ago), self.rng)
        subject = self.pick(hold.profile, None, None)
        until = None if hold.until_days is None else self.today + timedelta(days=hold.until_days)
        steps = [
            Step(
                added,
                "法律保全",
                partial(self._add_hold, subject, hold.reason, hold.dataset, until),
            )
        ]
        if hold.released_days_ago is not None:
            released = at_work(self.today - timedelta(days=hold.released_days_ago), self.rng)
            steps.append(Step(released, "解除法律保全", partial(self._release, subject)))
        return steps

    def _add_hold(self, subject: str, reason: str, dataset: str | None, until: date | None) -> None:
        hold = self.service.add_hold(subject, reason, actor=OPERATOR, dataset=dataset, until=until)
        self.holds[subject] = hold.id

    def _release(self, subject: str) -> None:
        self.service.release_hold(self.holds[subject], actor=OPERATOR)
        self.released.append(self.holds[subject])

    def _incident(self, out_dir: Path) -> list[Step]:
        opened = at_work(self.today - timedelta(days=6), self.rng)
        notified = at_work(self.today - timedelta(days=5), self.rng)
        return [
            Step(opened, "安全事件", partial(self._open_incident, opened)),
            Step(notified, "安全事件告知", partial(self._notify, out_dir)),
        ]

    def _open_incident(self, opened: datetime) -> None:
        with self._incident_service() as incidents:
            incident = incidents.open(
                title="营销线索库访问凭证泄露",
                what_happened=(
                    "外包营销团队成员将营销线索库的只读账号凭证上传至公共代码仓库，"
                    "该库在此期间可被未经授权访问。"
                ),
                occurred_at=opened - timedelta(days=2),
                discovered_at=opened - timedelta(hours=20),
                datasets=["marketing_leads"],
                possible_harm="涉及姓名和手机号码，可能被用于营销骚扰或电信诈骗。",
                measures="已吊销泄露的凭证、更换数据库密码，并逐条排查该库的访问日志。",
                user_advice="请警惕冒充我司工作人员的来电和短信，不要向任何人透露验证码。",
                actor=OPERATOR,
            )
        self.incidents.append(incident.id)

    def _notify(self, out_dir: Path) -> None:
        with self._incident_service() as incidents:
            incidents.notify(self.incidents[0], out_dir, actor=OPERATOR)

    @contextmanager
    def _incident_service(self) -> Iterator[IncidentService]:
        """The incident service beside the rights service (same pool and connectors)."""
        yield self.services.incidents


def at_work(day: date, rng: random.Random) -> datetime:
    """A time during office hours on ``day``, China time."""
    minutes = rng.randrange(9 * 60, 17 * 60)
    return datetime.combine(day, time(minutes // 60, minutes % 60), CHINA)


def schedule(times: list[datetime], now: datetime) -> list[datetime]:
    """``times`` made strictly increasing and not later than a minute before ``now``."""
    latest = now - timedelta(minutes=1)
    out: list[datetime] = []
    for t in times:
        t = min(t, latest)
        if out and t <= out[-1]:
            t = out[-1] + timedelta(seconds=1)
        out.append(t)
    return out
