"""The declaration sections that say what the handler owes users afterwards: rights and
how to exercise them, storage and cross-border transfer, security, incident handling.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from yinsi.declaration.schema_types import Id, IdList, Model, Text
from yinsi.taxonomy import DeletionTrigger, RetentionAction, RightKind


class Deadline(Model):
    working_days: int = Field(gt=0)
    target_working_days: int | None = Field(None, gt=0)
    counted_from: Literal["receipt", "verification"] = "verification"

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
    id: Id
    text: Text


class Rights(Model):
    verification: str = Field("", description="How identity is verified first (X35).")
    items: list[Right] = Field(min_length=1)
    refusal_grounds: list[RefusalGround] = []
    complaint_escalation: str = Field("", description="PIPL Art. 50: where else to complain.")


class Storage(Model):
    location: Literal["mainland_china", "abroad"] = "mainland_china"
    cross_border: bool = False
    cross_border_conditions: str = ""
    service_end_notice: bool = Field(True, description="X39: users told in advance.")
    on_service_end: RetentionAction = RetentionAction.DELETE_OR_ANONYMISE


class Security(Model):
    measures: list[Text] = []


class Incident(Model):
    notify_via: list[Text] = ["推送通知"]
    public_notice_when_impractical: bool = True
    report_to_regulator: bool = True
    contacts: IdList = []
