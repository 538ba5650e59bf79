"""``ServiceEndService``: ending the service (PIPL Art. 47 (1)(2); X39).

    announce ──► every subject of the app told in advance (the date, what happens to
                 their PI, in the declaration's words), each delivery recorded
    (ends_on) ──► run: per subject, a deletion request with trigger ``service_ended``
                 executed like any other (the data map's stores, children first; what a
                 retention rule or legal hold keeps is restricted, X28), then the
                 subject's consents ended ──► records that lead to no user erased
                 (:mod:`.service_end_unlinked`) ──► completed

The rules live in :mod:`yinsi.lifecycle.service_end`. The subjects are those the consent
ledger knows and those with a record in the data map's stores (traced to their user id
as for incidents). Each subject's progress is stored before and after its request runs,
so a run stopped by a crash is resumed by running again: a subject done is skipped, a
subject whose request was filed resumes that request (never a second one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from yinsi.consent import Channel as ConsentChannel
from yinsi.consent import Evidence
from yinsi.declaration import Declaration
from yinsi.delivery import Channel, EmailMessage, NotConfigured, Purpose, PushMessage, SmsMessage
from yinsi.lifecycle.incidents import affected_subjects
from yinsi.lifecycle.service_end import (
    MIN_NOTICE_DAYS,
    AlreadyAnnounced,
    NotAnnounced,
    PlanStatus,
    ServiceEndPlan,
    SubjectProgress,
    SubjectStatus,
    notice_texts,
    plan_announcement,
)
from yinsi.rights.requests import SERVICE_END_CHANNEL, RightsRequest, Status
from yinsi.services.clock import Clock, utc_now
from yinsi.services.delivery import DeliveryService, Message
from yinsi.services.delivery_notices import Contacts, incident_channels, reach
from yinsi.services.rights import RightsService
from yinsi.services.service_end_unlinked import erase_unlinked
from yinsi.storage import UnitsOfWork
from yinsi.storage.deliveries import DeliveryRecord
from yinsi.taxonomy import DeletionTrigger, RightKind

__all__ = ["ServiceEndService", "ServiceEndStatus"]

CHANNEL = SERVICE_END_CHANNEL
"""The channel of the deletion requests a service end files."""
DONE = frozenset({Status.COMPLETED, Status.PARTIALLY_COMPLETED})


@dataclass(frozen=True, slots=True)
class ServiceEndStatus:
    """Where an app's end of service stands: the plan and its subjects by status."""

    plan: ServiceEndPlan
    counts: dict[SubjectStatus, int]
    deliveries: dict[str, int]
    """Notices by outcome (delivered, failed, no_channel)."""
    outcomes: dict[str, int]
    """Subjects done by their request's status: ``partially_completed`` ones have
    records kept under a retention rule or legal hold (restricted)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ServiceEndService:
    def __init__(
        self,
        rights: RightsService,
        *,
        units: UnitsOfWork,
        delivery: DeliveryService,
        hash_key: bytes,
        clock: Clock = utc_now,
        actor: str = "service_end",
    ) -> None:
        self._hash_key = hash_key
        """Keys the ``keyed_hash`` erasure of records that lead to no user."""
        self._clock = clock
        self.rights = rights
        """Files and runs the deletions, on the data map's stores (clear values)."""
        self.units = units
        self.delivery = delivery
        self._actor = actor

    # ------------------------------------------------------------ announcing

    def announce(
        self,
        app_id: str,
        ends_on: date,
        *,
        actor: str | None = None,
        min_notice_days: int = MIN_NOTICE_DAYS,
        undeclared_notice: bool = False,
    ) -> ServiceEndPlan:
        """Record that the service of ``app_id`` ends on ``ends_on`` (a date; audited) and
        send every subject the notice through the declared channels (each recorded under
        the reference ``service_end:<app>``).

        Raises :class:`~yinsi.lifecycle.service_end.NoticeNotDeclared` when the
        declaration does not promise advance notice (unless ``undeclared_notice``),
        :class:`~yinsi.lifecycle.service_end.ServiceEndError` for a notice period too
        short or an end already announced, and :class:`~yinsi.delivery.NotConfigured`
        when no channel can reach users — before anything is stored or sent.
        """
        who = actor or self._actor
        self._require_app(app_id)
        declaration = self.rights.declaration
        plan = plan_announcement(
            declaration,
            announced_at=self._clock(),
            today=self.rights.today(),
            ends_on=ends_on,
            actor=who,
            min_notice_days=min_notice_days,
            undeclared_notice=undeclared_notice,
        )
        with self.units(read_only=True) as uow:
            existing = uow.service_end.get(app_id)
        if existing is not None:
            raise AlreadyAnnounced(existing)
        subjects = sorted(self.subjects())
        channels = incident_channels(declaration)
        if subjects and not any(self.delivery.configured(c) for c in channels):
            raise NotConfigured(channels[0])
        plan = replace(plan, subjects=len(subjects))
        with self.units() as uow:
            uow.service_end.announce(plan, subjects)
            uow.commit()
        self._notify(plan, declaration, subjects)
        return plan

    def notice(self, app_id: str) -> tuple[str, str, str]:
        """``(sms, title, body)`` of the announced notice."""
        return notice_texts(self.rights.declaration, self.status(app_id).plan)

    def deliveries(self, app_id: str) -> list[DeliveryRecord]:
        """The notices sent, to whom (masked), with their outcome."""
        return self.delivery.records(_reference(app_id))

    def _notify(
        self, plan: ServiceEndPlan, declaration: Declaration, subjects: Sequence[str]
    ) -> list[DeliveryRecord]:
        sms, title, body = notice_texts(declaration, plan)
        day = plan.ends_on.isoformat()
        build: dict[Channel, Callable[[str], Message]] = {
            Channel.SMS: lambda phone: SmsMessage(
                phone,
                Purpose.SERVICE_END_NOTICE,
                sms,
                {"app": declaration.app.name, "date": day, "action": plan.action.label},
            ),
            Channel.EMAIL: lambda to: EmailMessage(to, Purpose.SERVICE_END_NOTICE, title, body),
            Channel.PUSH: lambda user: PushMessage(user, Purpose.SERVICE_END_NOTICE, title, body),
        }
        channels = incident_channels(declaration)
        contacts = Contacts(self.rights.data_map, self.rights.connectors)
        reference = _reference(plan.app_id)
        records = []
        for subject in subjects:
            found = reach(self.delivery, contacts, subject, channels, build)
            if isinstance(found, str):
                records.append(
                    self.delivery.no_channel(
                        plan.app_id,
                        reference,
                        Purpose.SERVICE_END_NOTICE,
                        subject,
                        found,
                        channels[0],
                    )
                )
            else:
                records.append(
                    self.delivery.send(plan.app_id, reference, found, subject_id=subject)
                )
        return records

    # ------------------------------------------------------------ reading

    def status(self, app_id: str) -> ServiceEndStatus:
        """The plan and its progress; :class:`NotAnnounced` if never announced."""
        with self.units(read_only=True) as uow:
            plan = uow.service_end.get(app_id)
            if plan is None:
                raise NotAnnounced(
                    f"the end of {app_id} was never announced: "
                    "`yinsi service-end announce APP --ends-on YYYY-MM-DD` first"
                )
            counts = uow.service_end.counts(app_id)
            done = uow.service_end.outcomes(app_id)
        outcomes: dict[str, int] = {}
        for record in self.deliveries(app_id):
            outcomes[record.outcome] = outcomes.get(record.outcome, 0) + 1
        return ServiceEndStatus(plan, counts, outcomes, done)

    def progress(self, app_id: str) -> list[SubjectProgress]:
        with self.units(read_only=True) as uow:
            return uow.service_end.progress(app_id)

    def subjects(self) -> set[str]:
        """Every subject of the app: in the consent ledger or with a record in a store."""
        data_map = self.rights.data_map
        connectors = self.rights.connectors
        datasets = [ds.id for ds in data_map.datasets if data_map.store(ds.store).kind != "webhook"]
        found = affected_subjects(
            data_map, datasets, connectors, lambda ds: connectors[ds.store].scan(ds)
        )
        with self.units(read_only=True) as uow:
            ledger = uow.service_end.ledger_subjects(data_map.app)
        return set(found.subjects) | set(ledger)

    # ------------------------------------------------------------ running

    def run(
        self,
        app_id: str,
        *,
        actor: str | None = None,
        on_subject: Callable[[SubjectProgress], None] | None = None,
    ) -> ServiceEndStatus:
        """On or after ``ends_on``: delete every subject's PI and end their consents.

        Raises :class:`~yinsi.lifecycle.service_end.NotYetEnded` before the date. Resumes
        an interrupted run; subjects found since the announcement are included.
        ``on_subject`` is called with each subject once it is done (progress bars).
        """
        who = actor or self._actor
        self._require_app(app_id)
        plan = self.status(app_id).plan
        plan.require_ended(self.rights.today())
        subjects = self.subjects()
        with self.units() as uow:
            uow.service_end.add_subjects(app_id, subjects)
            uow.service_end.update(plan.started(self._clock()), actor=who)
            uow.commit()
        for progress in self.progress(app_id):
            if progress.status is SubjectStatus.DONE:
                continue
            done = self._end_subject(progress, who)
            if on_subject is not None:
                on_subject(done)
        status = self.status(app_id)
        if status.plan.status is PlanStatus.COMPLETED:
            return status
        if status.counts[SubjectStatus.DONE] == status.total:
            erased = erase_unlinked(
                self.rights.data_map,
                self.rights.connectors,
                rules={r.id: r for r in self.rights.declaration.retention},
                today=self.rights.today(),
                hash_key=self._hash_key,
            )
            with self.units() as uow:
                uow.service_end.unlinked_erased(app_id, erased, actor=who)
                uow.service_end.update(status.plan.completed(self._clock()), actor=who)
                uow.commit()
            status = self.status(app_id)
        return status

    def _end_subject(self, progress: SubjectProgress, actor: str) -> SubjectProgress:
        """File (once), approve and run the subject's deletion; then end its consents."""
        if progress.request_id is None:
            request = self.rights.submit(
                progress.subject_id,
                RightKind.DELETION,
                channel=CHANNEL,
                trigger=DeletionTrigger.SERVICE_ENDED,
                text="停止提供产品或者服务（《个人信息保护法》第四十七条第一款第二项）",
                actor=actor,
            )
            progress = replace(progress, status=SubjectStatus.RUNNING, request_id=request.id)
            with self.units() as uow:
                uow.service_end.mark(progress, actor=actor)
                uow.commit()
        else:
            request = self.rights.get(progress.request_id)
        request = self._approve(request, actor)
        if request.status not in DONE:
            request = self.rights.run(request.id, actor=actor)
        if request.status not in DONE:
            return progress  # a step failed or waits: the next run resumes it
        self._end_consents(request, actor)
        done = replace(
            progress,
            status=SubjectStatus.DONE,
            outcome=request.status.value,
            finished_at=self._clock(),
        )
        with self.units() as uow:
            uow.service_end.mark(done, actor=actor)
            uow.commit()
        return done

    def _approve(self, request: RightsRequest, actor: str) -> RightsRequest:
        """The handler's own deletion needs no identity check nor review: verified and
        approved at once, each transition recorded and audited."""
        if request.status not in (Status.RECEIVED, Status.VERIFIED):
            return request
        now = self._clock()
        moved = request
        if moved.status is Status.RECEIVED:
            note = "停止提供产品或者服务：由个人信息处理者主动删除，无需验证身份"
            moved = replace(moved, verified_at=now).moved(Status.VERIFIED, now, actor, note)
        moved = moved.moved(Status.APPROVED, now, actor, "service_ended")
        with self.units() as uow:
            uow.requests.save(moved, actor=actor)
            uow.commit()
        return self.rights.get(request.id)

    def _end_consents(self, request: RightsRequest, actor: str) -> None:
        engine = self.rights.engine
        state = engine.state(request.app_id, request.subject_id)
        evidence = Evidence(ConsentChannel.CUSTOMER_SERVICE, account=request.id)
        for consent_id in sorted(state.granted):
            engine.withdraw(
                request.app_id, request.subject_id, consent_id, evidence=evidence, actor=actor
            )

    def _require_app(self, app_id: str) -> None:
        if app_id != self.rights.data_map.app:
            raise NotAnnounced(
                f"the data map describes {self.rights.data_map.app}, not {app_id}: pass the "
                f"data map of {app_id} (--map)"
            )


def _reference(app_id: str) -> str:
    return f"service_end:{app_id}"
