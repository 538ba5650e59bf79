"""The declaration sections that say what the handler owes users afterwards: rights and
how to exercise them, storage and cross-border transfer, security, incident handling.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from yinsi.declaration.schema_types import Id, IdList, Model, Text
from yinsi.taxonomy import (
    DeadlineQualifier,
    DeadlineVerb,
    DeletionTrigger,
    Likelihood,
    RetentionAction,
    RightKind,
)


class Deadline(Model):
    """A promised time limit for a rights request, in the policy's own modality.

    ``verb`` says what is promised within it: an answer (作出答复), completion (处理完成),
    processing (进行处理) or "进行处理或反馈". Left out, the policy states only the time
    limit and ``validate`` warns. ``counted_from`` is what the policy counts from; left
    out, the policy names no start (for scheduling, yinsi then counts from verification,
    as it always has). ``target_working_days`` is the usual time ("一般情况下3个工作日内
    处理完成", with ``target_verb``) under the maximum ``working_days``.
    """

    working_days: int = Field(gt=0)
    verb: DeadlineVerb | None = Field(
        None, description="answer (作出答复), complete (处理完成), process (进行处理) …"
    )
    qualifier: DeadlineQualifier | None = Field(
        None, description="A hedge the policy puts on it: in_principle (原则上), generally."
    )
    counted_from: Literal["receipt", "verification", "receipt_and_verification"] | None = Field(
        None, description="What the period counts from; omit when the policy does not say."
    )
    target_working_days: int | None = Field(None, gt=0)
    target_verb: DeadlineVerb | None = Field(
        None, description="What is usually done within target_working_days."
    )

    @model_validator(mode="after")
    def _target_within(self) -> Deadline:
        if self.target_working_days and self.target_working_days > self.working_days:
            raise ValueError("target_working_days must not exceed working_days")
        return self


class Right(Model):
    id: Id
    kind: RightKind
    channels: IdList = []
    self_service: str = Field("", description="Where in the app the user can do it alone.")
    deadline: Deadline | None = None
    free: bool = True
    preconditions: list[Text] = []
    triggers: list[DeletionTrigger] = []
    restrict_when_retention_required: bool = False
    effect: str = ""


class RefusalGround(Model):
    """A ground on which a rights request is refused, with the policy's modality.

    ``likelihood`` is how the policy says it: ``will`` (将无法响应, 小赢卡贷 4.8) or ``may``
    (可能无法响应). Left out, the policy says neither (无法响应).
    """

    id: Id
    text: Text
    likelihood: Likelihood | None = Field(
        None,
        description="will (将无法响应) or may (可能无法响应); omit when the policy says neither.",
    )


class Rights(Model):
    verification: str = Field("", description="How identity is verified first (X35).")
    items: list[Right] = Field(min_length=1)
    refusal_grounds: list[RefusalGround] = []
    complaint_escalation: str = Field("", description="PIPL Art. 50: where else to complain.")


class Storage(Model):
    location: Literal["mainland_china", "abroad"] = "mainland_china"
    cross_border: bool = False
    cross_border_conditions: str = ""
    service_end_notice: bool | None = Field(
        None, description="X39: users told in advance; omit when the policy does not say."
    )
    on_service_end: RetentionAction = RetentionAction.DELETE_OR_ANONYMISE
    service_end_note: str = Field(
        "",
        description="What else the policy says about ending the service, in its words (e.g. "
        "affiliates that go on processing on their own consent).",
    )


class Security(Model):
    lead: str = Field(
        "",
        description="The chapter's lead-in in the policy's own words (我来数科 （六）1 "
        '"我们努力采取…"); written, it replaces "我们采取的安全保护措施如下：".',
    )
    measures: list[Text] = []


class Incident(Model):
    notify_via: list[Text] = ["推送通知"]
    public_notice_when_impractical: bool = True
    report_to_regulator: bool = True
    contacts: IdList = []
