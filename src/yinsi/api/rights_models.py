"""The bodies of ``/v1/requests`` (pydantic), and their conversions from the rights domain.

What goes out never carries a correction's new values (only the elements corrected) nor
a verification answer; a relative's name stays in the record, not in the answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field

from yinsi.api.fields import Id, Name, SubjectId
from yinsi.consent import Channel
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import MATCH
from yinsi.rights.requests import Due, Refusal, RightsRequest, Status, Transition
from yinsi.rights.verification import Method
from yinsi.taxonomy import DeletionTrigger, RightKind


class SubmitBody(BaseModel):
    """A request filed by the app's back-end on the user's behalf."""

    subject_id: SubjectId = Field(description="The app's pseudonymous id of the user.")
    kind: RightKind
    channel: Channel = Field(Channel.APP, description="Where the user asked.")
    trigger: DeletionTrigger | None = Field(None, description="Deletion: PIPL Art. 47 trigger.")
    consent_id: Name | None = Field(None, description="Withdrawal: the consent item withdrawn.")
    corrections: dict[Name, Annotated[str, Field(max_length=4000)]] = Field(
        default_factory=dict,
        description="Correction: new values by element id; never echoed back or logged.",
    )
    text: str = Field("", max_length=4000, description="Complaint or contest: the user's words.")
    relation: Id | None = Field(None, description="Filed by a close relative (PIPL Art. 49).")
    relative_name: str | None = Field(None, max_length=64)
    received_at: dt.datetime | None = Field(
        None,
        description="When the request reached the handler, if before now (a call or letter "
        "entered later), with its offset; the deadline counts from it. Default: now.",
    )


class VerifyBody(BaseModel):
    answer: str = Field(
        max_length=64, description="The SMS code, or the ID number's last 6 characters."
    )
    method: Method = Method.SMS


class RefuseBody(BaseModel):
    ground: Name = Field(description="A refusal ground id of the declaration (X35).")
    note: str = Field("", max_length=2000, description="An internal note for the record.")


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="What the user is told.")


class DueOut(BaseModel):
    date: dt.date
    working_days: int
    counted_from: dt.date = Field(description="The day after it is the first counted.")
    provisional: bool = Field(description="Counted over a year whose holidays are unknown.")
    target: dt.date | None
    warning: str

    @classmethod
    def of(cls, d: Due) -> DueOut:
        return cls(
            date=d.date,
            working_days=d.working_days,
            counted_from=d.counted_from,
            provisional=d.provisional,
            target=d.target,
            warning=d.warning,
        )


class RefusalOut(BaseModel):
    ground: str
    text: str
    remedy: str = Field(description="How to complain or sue (PIPL Art. 50).")

    @classmethod
    def of(cls, r: Refusal) -> RefusalOut:
        return cls(ground=r.ground, text=r.text, remedy=r.remedy)


class TransitionOut(BaseModel):
    at: dt.datetime
    status: Status
    label: str
    actor: str
    note: str

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        return cls(at=t.at, status=t.status, label=t.status.label, actor=t.actor, note=t.note)


class RequestOut(BaseModel):
    id: str
    app_id: str
    subject_id: str
    kind: RightKind
    kind_label: str
    status: Status
    status_label: str
    received_at: dt.datetime
    channel: str
    relation: str | None
    trigger: DeletionTrigger | None
    consent_id: str | None
    corrected_elements: list[str] = Field(description="The elements corrected, never values.")
    text: str
    verified_at: dt.datetime | None
    due: DueOut | None = Field(description="null until the clock starts (verification).")
    refusal: RefusalOut | None
    answer: str
    history: list[TransitionOut]

    @classmethod
    def of(cls, r: RightsRequest) -> RequestOut:
        return cls(
            id=r.id,
            app_id=r.app_id,
            subject_id=r.subject_id,
            kind=r.kind,
            kind_label=r.kind.label,
            status=r.status,
            status_label=r.status.label,
            received_at=r.received_at,
            channel=r.channel,
            relation=r.requester.relation,
            trigger=r.trigger,
            consent_id=r.consent_id,
            corrected_elements=sorted(r.corrections),
            text=r.text,
            verified_at=r.verified_at,
            due=None if r.due is None else DueOut.of(r.due),
            refusal=None if r.refusal is None else RefusalOut.of(r.refusal),
            answer=r.answer,
            history=[TransitionOut.of(t) for t in r.history],
        )


class StepOut(BaseModel):
    n: int
    action: Action
    dataset: str | None
    records: int = Field(
        description="How many records the step acts on: its keys; for a step matched by a "
        "predicate on the person (`by_predicate`), the records it acted on once done (0 "
        "before)."
    )
    by_predicate: bool = Field(
        False,
        description="The step matches the person's records by a predicate when it runs "
        "(no keys listed): a table nothing can hold the rows of, or one without a primary key.",
    )
    status: StepStatus
    attempts: int
    outcome: dict[str, Any]
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, s: Step) -> StepOut:
        return cls(
            n=s.n,
            action=s.action,
            dataset=s.dataset,
            records=len(s.keys) if s.keys or MATCH not in s.params else _acted_on(s),
            by_predicate=MATCH in s.params,
            status=s.status,
            attempts=s.attempts,
            outcome=dict(s.outcome),
            started_at=s.started_at,
            finished_at=s.finished_at,
        )


def _acted_on(step: Step) -> int:
    """What a step matched by predicate did, from its outcome (0 until it is done)."""
    counts = [step.outcome.get(k) for k in ("affected", "records", "changed")]
    return next((int(c) for c in counts if isinstance(c, int)), 0)


class CodeSentOut(BaseModel):
    request_id: str
    sent: bool = True
    expires_in_s: int
