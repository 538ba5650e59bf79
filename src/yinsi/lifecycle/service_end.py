"""Ending the service (PIPL Art. 47 (1)(2); X39): tell users in advance, then delete.

"If the service ends, users are told in advance, then PI is deleted or anonymised." The
declaration says whether the policy promises the advance notice
(``storage.service_end_notice``), what happens to the PI afterwards
(``storage.on_service_end``) and anything else in its own words (``service_end_note``).

A :class:`ServiceEndPlan` is the announcement: the app, when it was announced, the day
the service ends (Beijing date) and the notice period between them. The rules:

- announcing needs the declaration to promise advance notice; otherwise the refusal
  says what the declaration says (the operator may still announce, knowingly);
- the notice period is at least :data:`MIN_NOTICE_DAYS` days unless the operator says
  otherwise;
- running the deletion before ``ends_on`` is refused, naming the date;
- what is done to each subject's PI is the declaration's ``on_service_end``.

Each subject's progress (:class:`SubjectProgress`) is kept so that a run interrupted by
a crash resumes: a subject done is not redone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from yinsi.declaration import Declaration
from yinsi.policy.text import clean
from yinsi.taxonomy import RetentionAction
from yinsi.taxonomy.timezone import CHINA

__all__ = [
    "MIN_NOTICE_DAYS",
    "AlreadyAnnounced",
    "NotAnnounced",
    "NotYetEnded",
    "NoticeNotDeclared",
    "PlanStatus",
    "ServiceEndError",
    "ServiceEndPlan",
    "SubjectProgress",
    "SubjectStatus",
    "notice_texts",
    "plan_announcement",
]

MIN_NOTICE_DAYS = 30
"""The shortest notice period accepted by default (days between announcement and end)."""


class ServiceEndError(ValueError):
    """A service end that cannot be announced or run as asked; the message says why."""


class NoticeNotDeclared(ServiceEndError):
    """The published declaration does not promise users advance notice of a service end."""


class NotAnnounced(ServiceEndError, LookupError):
    """No end of service was announced for the app (or the app is not served here)."""


class AlreadyAnnounced(ServiceEndError):
    """The app's end of service is already announced (one announcement per app)."""

    def __init__(self, plan: ServiceEndPlan) -> None:
        super().__init__(
            f"the end of {plan.app_id} was already announced on "
            f"{plan.announced_on.isoformat()} for {plan.ends_on.isoformat()} "
            f"({plan.status.value}); see `yinsi service-end status {plan.app_id}`"
        )
        self.plan = plan


class NotYetEnded(ServiceEndError):
    """The deletion was asked for before the announced end date."""

    def __init__(self, app_id: str, ends_on: date, today: date) -> None:
        super().__init__(
            f"{app_id} 的服务将于 {ends_on.isoformat()} 停止：在此之前不得删除用户的个人信息"
            f"（今天是 {today.isoformat()}）; service end of {app_id} is announced for "
            f"{ends_on.isoformat()}: run it on or after that date"
        )
        self.app_id, self.ends_on, self.today = app_id, ends_on, today


class PlanStatus(StrEnum):
    ANNOUNCED = "announced"
    """Users are being or have been told; the service still runs."""
    RUNNING = "running"
    """The end date has passed and the deletion has started (resumable)."""
    COMPLETED = "completed"
    """Every subject's PI was deleted or anonymised (held records kept and restricted)."""

    @property
    def label(self) -> str:
        return {"announced": "已通知，待停止", "running": "删除中", "completed": "已完成"}[
            self.value
        ]


class SubjectStatus(StrEnum):
    PENDING = "pending"
    """Known, not yet processed (told, or found at run time)."""
    RUNNING = "running"
    """Its deletion request is filed (``request_id``) and may be half done."""
    DONE = "done"
    """Deleted (or kept under a hold and restricted) and its consents ended."""


@dataclass(frozen=True, slots=True)
class ServiceEndPlan:
    """One app's announced end of service. Holds no PI."""

    app_id: str
    announced_at: datetime
    announced_by: str
    ends_on: date
    """The day the service stops (Beijing date); the deletion runs on or after it."""
    action: RetentionAction
    """What happens to the PI: the declaration's ``storage.on_service_end``."""
    notice_declared: bool
    """Whether the declaration promises advance notice (an undeclared one was forced)."""
    status: PlanStatus = PlanStatus.ANNOUNCED
    subjects: int = 0
    """Subjects told at the announcement."""
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def notice_days(self) -> int:
        """Days of notice users were given."""
        return (self.ends_on - self.announced_on).days

    @property
    def announced_on(self) -> date:
        """The Beijing date of the announcement."""
        return self.announced_at.astimezone(CHINA).date()

    def require_ended(self, today: date) -> None:
        """Raise :class:`NotYetEnded` before ``ends_on``."""
        if today < self.ends_on:
            raise NotYetEnded(self.app_id, self.ends_on, today)

    def started(self, at: datetime) -> ServiceEndPlan:
        if self.status is PlanStatus.COMPLETED:
            return self
        return replace(self, status=PlanStatus.RUNNING, started_at=self.started_at or at)

    def completed(self, at: datetime) -> ServiceEndPlan:
        return replace(self, status=PlanStatus.COMPLETED, finished_at=at)


@dataclass(frozen=True, slots=True)
class SubjectProgress:
    """Where one subject is in the run: pending, running (its request filed), done."""

    app_id: str
    subject_id: str
    status: SubjectStatus = SubjectStatus.PENDING
    request_id: str | None = None
    outcome: str | None = None
    """The deletion request's final status (``completed``, ``partially_completed``)."""
    finished_at: datetime | None = None


def plan_announcement(
    declaration: Declaration,
    *,
    announced_at: datetime,
    today: date,
    ends_on: date,
    actor: str,
    min_notice_days: int = MIN_NOTICE_DAYS,
    undeclared_notice: bool = False,
) -> ServiceEndPlan:
    """The plan of announcing the end of ``declaration``'s app on ``ends_on``.

    Raises :class:`NoticeNotDeclared` (saying what the declaration says) unless the
    declaration promises advance notice or ``undeclared_notice`` is set, and
    :class:`ServiceEndError` when ``ends_on`` leaves less than ``min_notice_days`` days.
    """
    storage = declaration.storage
    promised = storage.service_end_notice is True
    if not promised and not undeclared_notice:
        said = (
            "says it will not tell users in advance (storage.service_end_notice: false)"
            if storage.service_end_notice is False
            else "does not say whether users are told in advance (storage.service_end_notice "
            "is not set)"
        )
        raise NoticeNotDeclared(
            f"the published declaration of {declaration.app.id} {said}; publish a version "
            "that promises the notice (service_end_notice: true), or announce anyway with "
            "--undeclared-notice"
        )
    days = (ends_on - today).days
    if days < min_notice_days:
        raise ServiceEndError(
            f"ends on {ends_on.isoformat()} leaves {days} day(s) of notice from "
            f"{today.isoformat()}; at least {min_notice_days} are required (choose a later "
            "date, or lower --min-notice-days knowingly)"
        )
    return ServiceEndPlan(
        app_id=declaration.app.id,
        announced_at=announced_at,
        announced_by=actor,
        ends_on=ends_on,
        action=storage.on_service_end,
        notice_declared=promised,
    )


def notice_texts(declaration: Declaration, plan: ServiceEndPlan) -> tuple[str, str, str]:
    """``(sms, title, body)`` of the notice to users, in Chinese: the date the service
    stops and what will happen to their PI, in the declaration's words where it has them."""
    name = declaration.app.name
    day = f"{plan.ends_on.year}年{plan.ends_on.month}月{plan.ends_on.day}日"
    action = plan.action.label
    sms = (
        f"【{name}】服务停止通知：{name}将于{day}停止提供产品和服务，"
        f"此后我们将对您的个人信息进行{action}。详情请查看App内公告。"
    )
    title = f"{name}停止提供产品和服务的通知"
    lines = [
        "尊敬的用户：",
        "",
        f"{name}将于{day}停止提供产品和服务。届时我们将停止收集您的个人信息，"
        f"并对我们持有的您的个人信息进行{action}。",
    ]
    if declaration.storage.service_end_note:
        lines.append(clean(declaration.storage.service_end_note))
    lines += [
        "法律、行政法规规定的保存期限未届满，或者删除个人信息从技术上难以实现的，我们将停止除存储和"
        "采取必要的安全保护措施之外的处理。",
        "",
        f"在此之前，您可以在App“个人信息权利”中查阅、复制您的个人信息。（通知日期："
        f"{plan.announced_on.isoformat()}）",
    ]
    return sms, title, "\n".join(lines)
