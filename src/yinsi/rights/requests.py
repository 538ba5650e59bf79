"""A rights request and its life: received → verified → approved → executing → completed.

PIPL Chapter IV gives the rights; X35 says every request is verified first, answered within
15 working days and refused only on declared grounds; W16 lets cancellation be refused
while a debt is outstanding. The transitions allowed are written once here, in
:data:`TRANSITIONS`; the service layer applies them and the audit log records each.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar, cast

from yinsi.taxonomy import DeletionTrigger, RightKind


class Status(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    APPROVED = "approved"
    EXECUTING = "executing"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    """Done, except what a hold keeps (restricted) or a processor has not confirmed yet."""
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    """The requester gave up the request before it was executed."""

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        return self in _CLOSED


_STATUS_LABELS = {
    Status.RECEIVED: "已受理，待验证身份",
    Status.VERIFIED: "身份已验证，待审核",
    Status.APPROVED: "已审核通过，待执行",
    Status.EXECUTING: "正在执行",
    Status.COMPLETED: "已完成",
    Status.PARTIALLY_COMPLETED: "部分完成（部分信息依法保留或暂缓删除，详见答复）",
    Status.REFUSED: "已拒绝",
    Status.WITHDRAWN: "已撤回申请",
}
_CLOSED = frozenset(
    {Status.COMPLETED, Status.PARTIALLY_COMPLETED, Status.REFUSED, Status.WITHDRAWN}
)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VERIFIED, Status.REFUSED, Status.WITHDRAWN}),
    Status.VERIFIED: frozenset({Status.APPROVED, Status.REFUSED, Status.WITHDRAWN}),
    Status.APPROVED: frozenset({Status.EXECUTING, Status.REFUSED, Status.WITHDRAWN}),
    Status.EXECUTING: frozenset({Status.EXECUTING, Status.COMPLETED, Status.PARTIALLY_COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.PARTIALLY_COMPLETED: frozenset({Status.EXECUTING}),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}
"""Which status may follow which. ``executing → executing`` is a resumed run after a crash;
``partially_completed → executing`` re-runs a request once a hold ends or a processor
confirms."""

RELATIVE_KINDS = frozenset(
    {RightKind.ACCESS, RightKind.COPY, RightKind.CORRECTION, RightKind.DELETION}
)
"""PIPL Art. 49 (X34): what a deceased user's close relatives may do, for their own lawful
and legitimate interests, unless the deceased arranged otherwise."""

REQUEST_KINDS = frozenset(RightKind) - {RightKind.DECEASED_RELATIVES}
"""A relative files an access/copy/correction/deletion request with ``relation`` set."""

CLOSE_RELATIVES = frozenset({"spouse", "child", "parent", "sibling", "grandparent", "grandchild"})
"""近亲属 (民法典 Art. 1045): spouse, parents, children, siblings, grandparents, grandchildren."""


class RequestError(Exception):
    """Base of the rights package's errors; messages say what to do."""


class InvalidTransition(RequestError):
    def __init__(self, request_id: str, current: Status, wanted: Status) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is closed)"
        super().__init__(
            f"request {request_id} is {current.value}; it cannot become {wanted.value} "
            f"(next allowed: {allowed})"
        )
        self.request_id, self.current, self.wanted = request_id, current, wanted


class InvalidRequest(RequestError, ValueError):
    """A request that cannot be filed as given (kind, requester, missing details)."""


@dataclass(frozen=True, slots=True)
class Requester:
    """Who files the request: the user (``relation`` None) or a close relative (X34)."""

    relation: str | None = None
    name: str | None = None
    """A relative's name, kept for the record of the request."""

    @property
    def is_relative(self) -> bool:
        return self.relation is not None


@dataclass(frozen=True, slots=True)
class Transition:
    at: datetime
    status: Status
    actor: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was refused: a declared ground (X35) or a failed precondition (W16)."""

    ground: str
    """A refusal ground id of the declaration, or ``precondition:<id>``."""
    text: str
    """The ground's text, shown to the user."""
    remedy: str
    """How to complain or sue (PIPL Art. 50), shown with the refusal."""


@dataclass(frozen=True, slots=True)
class Due:
    """When the request must be answered, on the Chinese working-day calendar."""

    date: _dt.date
    working_days: int
    counted_from: _dt.date
    provisional: bool = False
    """Counted over a year the holiday calendar does not know yet: weekdays only."""
    target: _dt.date | None = None
    """An earlier target (complaints: 3 working days as a rule, X36)."""
    warning: str = ""


SERVICE_END_CHANNEL = "service_end"
"""The channel of the deletions the handler files itself when the service ends (X39): the
subject filed nothing and was told by the service-end notice, not by a request answer."""


@dataclass(frozen=True, slots=True)
class RightsRequest:
    id: str
    app_id: str
    subject_id: str
    kind: RightKind
    status: Status
    received_at: datetime
    requester: Requester = field(default_factory=Requester)
    channel: str = "app"
    trigger: DeletionTrigger | None = None
    """Deletion: which of PIPL Art. 47's five triggers (X28)."""
    consent_id: str | None = None
    """Withdrawal: the consent item withdrawn."""
    corrections: dict[str, str] = field(default_factory=dict)
    """Correction: new values by element id; erased from the record once executed."""
    text: str = ""
    """The requester's words (complaint, contest of an automated decision)."""
    verified_at: datetime | None = None
    due: Due | None = None
    refusal: Refusal | None = None
    answer: str = ""
    """What the user is told when the request closes (what was done, kept, why, until when)."""
    history: tuple[Transition, ...] = ()

    @property
    def filed_by_handler(self) -> bool:
        """Filed by the handler itself (service end), not by the subject or a relative."""
        return self.channel == SERVICE_END_CHANNEL

    def moved(self, status: Status, at: datetime, actor: str, note: str = "") -> RightsRequest:
        """The request in ``status``; raises :class:`InvalidTransition` if not allowed."""
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(self.id, self.status, status)
        return replace(
            self, status=status, history=(*self.history, Transition(at, status, actor, note))
        )


MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a stated receipt time may be (clocks of other systems differ)."""


def check_received_at(received_at: datetime, now: datetime) -> datetime:
    """A stated receipt time (a call or letter entered later), as UTC; raises
    :class:`InvalidRequest` for a naive or future time. The deadline counts from it, so
    an earlier receipt shortens what is left (it may already be overdue)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise InvalidRequest(
            f"received_at {received_at.isoformat()} has no time zone: give it with its "
            "offset, e.g. 2026-12-01T09:30:00+08:00"
        )
    if received_at > now + MAX_CLOCK_SKEW:
        raise InvalidRequest(
            f"received_at {received_at.isoformat()} is in the future (now "
            f"{now.isoformat(timespec='seconds')}): a request is entered after it is received"
        )
    return min(received_at, now).astimezone(UTC)


def validate_new(request: RightsRequest) -> None:
    """Raise :class:`InvalidRequest` naming what is missing or not allowed."""
    if request.kind not in REQUEST_KINDS:
        raise InvalidRequest(
            f"{request.kind.value} is not a request kind: a relative files access, copy, "
            "correction or deletion with `relation` set (PIPL Art. 49)"
        )
    if request.requester.is_relative:
        if request.requester.relation not in CLOSE_RELATIVES:
            raise InvalidRequest(
                f"relation {request.requester.relation!r} is not a close relative; one of: "
                + ", ".join(sorted(CLOSE_RELATIVES))
            )
        if request.kind not in RELATIVE_KINDS:
            raise InvalidRequest(
                f"a relative may request access, copy, correction or deletion, not "
                f"{request.kind.value} (PIPL Art. 49)"
            )
    if request.kind is RightKind.WITHDRAW_CONSENT and not request.consent_id:
        raise InvalidRequest("a withdrawal names the consent item withdrawn (consent_id)")
    if request.kind is RightKind.CORRECTION and not request.corrections:
        raise InvalidRequest("a correction gives the new values: corrections {element: value}")
    if request.kind is RightKind.DELETION and request.trigger is None:
        raise InvalidRequest(
            "a deletion names its trigger (PIPL Art. 47): "
            + ", ".join(t.value for t in DeletionTrigger)
        )


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``enum``; :class:`InvalidRequest` naming the choices if not."""
    if isinstance(value, enum):
        return value
    found = enum._value2member_map_.get(str(value))
    if found is None:
        raise InvalidRequest(
            f"unknown {what} {value!r}; one of: " + ", ".join(m.value for m in enum)
        )
    return cast(E, found)
