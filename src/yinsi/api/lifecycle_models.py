"""The bodies of the sharing and incident routes (pydantic), and their conversions.

A provision's record is PI: it goes in (``ProvideBody.record``) and comes out only as the
recipient may receive it (de-identified by its profile), never in an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from yinsi.api.fields import Id, Name
from yinsi.lifecycle.incidents import Incident, Notification
from yinsi.lifecycle.sharing import EntrustmentEndStatus, Provision, ProvisionDecision

Value = str | int | float | bool | None
"""A record value as JSON carries it (dates as ISO text)."""


class ProvideBody(BaseModel):
    """One provision the app's back-end is about to make (PIPL Art. 23)."""

    recipient: str = Field(min_length=1, max_length=64, description="A declared recipient id.")
    elements: list[Name] = Field(
        min_length=1, description="The PI elements provided (element ids of the declaration)."
    )
    purpose: str = Field(min_length=1, max_length=64, description="A declared purpose id.")
    record: dict[str, Value] | None = Field(
        None,
        description="Element id → value to provide. When allowed, the answer carries it as it "
        "may leave (de-identified by the recipient's profile); never echoed in an error.",
    )
    cross_border: bool = Field(False, description="The data leaves mainland China (PIPL Art. 38).")
    public: bool = Field(False, description="A public disclosure (PIPL Art. 25).")


class ProvisionDecisionOut(BaseModel):
    allowed: bool
    reason: str = Field(
        description="consent, entrusted, legal_basis:<basis>; refused: not_declared, "
        "public_disclosure_not_declared, cross_border_not_declared, restricted, "
        "separate_consent_required, consent_withdrawn."
    )
    message: str = Field(description="The reason in Chinese, for staff or the user.")
    recipient: str
    elements: list[str]
    purpose: str
    consent_id: str | None = Field(description="The consent relied on, or the one missing.")
    missing: list[str] = Field(description="recipient:<id>, purpose:<id>, element:<id>.")
    de_identified: str
    cross_border: bool
    public: bool

    @classmethod
    def of(cls, d: ProvisionDecision) -> ProvisionDecisionOut:
        return cls(
            allowed=d.allowed,
            reason=d.reason,
            message=d.message_zh,
            recipient=d.recipient,
            elements=list(d.elements),
            purpose=d.purpose,
            consent_id=d.consent_id,
            missing=list(d.missing),
            de_identified=d.de_identified,
            cross_border=d.cross_border,
            public=d.public,
        )


class ProvisionOut(BaseModel):
    id: int | None
    app_id: str
    subject_id: str
    recipient: str
    elements: list[str]
    purpose: str
    basis: str = Field(description="consent, entrusted or legal_basis:<basis>.")
    consent_id: str | None
    de_identified: str
    policy_version: str | None
    at: dt.datetime
    actor: str

    @classmethod
    def of(cls, p: Provision) -> ProvisionOut:
        return cls(
            id=p.id,
            app_id=p.app_id,
            subject_id=p.subject_id,
            recipient=p.recipient,
            elements=list(p.elements),
            purpose=p.purpose,
            basis=p.basis,
            consent_id=p.consent_id,
            de_identified=p.de_identified,
            policy_version=p.policy_version,
            at=p.at,
            actor=p.actor,
        )


class ProvidedOut(BaseModel):
    """201: the provision was allowed and recorded in the ledger."""

    decision: ProvisionDecisionOut
    provision: ProvisionOut
    record: dict[str, object] | None = Field(
        description="The record as it may leave (de-identified by the recipient's profile)."
    )


_END_STATUS_ZH = {
    "sent": "已发出删除通知，待确认",
    "confirmed": "受托方已确认删除",
    "failed": "发送失败",
}


class EntrustmentEndOut(BaseModel):
    app_id: str
    recipient: str
    status: str = Field(description="sent, confirmed or failed.")
    status_label: str
    instructed_at: dt.datetime
    actor: str
    dataset: str | None
    subjects: int = Field(description="Subjects whose records the instruction named.")
    affected: int = Field(description="Records the processor deleted.")
    confirmation: str | None = Field(description="The processor's confirmation reference.")
    confirmed_at: dt.datetime | None
    error: str | None

    @classmethod
    def of(cls, s: EntrustmentEndStatus) -> EntrustmentEndOut:
        return cls(
            app_id=s.app_id,
            recipient=s.recipient,
            status=s.status,
            status_label=_END_STATUS_ZH.get(s.status, s.status),
            instructed_at=s.instructed_at,
            actor=s.actor,
            dataset=s.dataset,
            subjects=s.subjects,
            affected=s.affected,
            confirmation=s.confirmation,
            confirmed_at=s.confirmed_at,
            error=s.error,
        )


class ConfirmBody(BaseModel):
    """A confirmation the processor gave outside the webhook (a letter, a signed statement)."""

    confirmation: str = Field(min_length=1, max_length=200, description="Its reference.")
    affected: int | None = Field(None, ge=0, description="Records it says it deleted.")


class IncidentBody(BaseModel):
    """A security incident as staff first record it (PIPL Art. 57 contents, in Chinese)."""

    title: str = Field(min_length=1, max_length=200)
    what_happened: str = Field(min_length=1, max_length=8000, description="What and why.")
    occurred_at: AwareDatetime
    discovered_at: AwareDatetime | None = Field(None, description="Default: now.")
    datasets: list[Name] = Field(
        default_factory=list, description="Affected datasets of the data map."
    )
    elements: list[Name] = Field(
        default_factory=list, description="PI elements involved beyond those datasets."
    )
    possible_harm: str = Field("", max_length=8000)
    measures: str = Field("", max_length=8000, description="Remedial measures taken.")
    user_advice: str = Field("", max_length=8000, description="What users can do.")
    id: Id | None = Field(None, max_length=64, description="Default: inc_<hex>.")


class CloseBody(BaseModel):
    note: str = Field("", max_length=8000, description="How the incident was resolved.")


class NotificationOut(BaseModel):
    audience: str = Field(description="users, public or regulator.")
    channel: str
    at: dt.datetime
    actor: str
    count: int

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(audience=n.audience, channel=n.channel, at=n.at, actor=n.actor, count=n.count)


_INCIDENT_STATUS_ZH = {"open": "处置中", "notified": "已告知", "closed": "已结束"}


class IncidentOut(BaseModel):
    id: str
    app_id: str
    title: str
    what_happened: str
    occurred_at: dt.datetime
    discovered_at: dt.datetime
    datasets: list[str]
    elements: list[str]
    possible_harm: str
    measures: str
    user_advice: str
    status: str
    status_label: str
    opened_at: dt.datetime | None
    opened_by: str
    affected_count: int | None = Field(description="Subjects affected; null until computed.")
    unlinked_records: int = Field(description="Records of the datasets that name no subject.")
    notifications: list[NotificationOut]
    closed_at: dt.datetime | None
    closing_note: str

    @classmethod
    def of(cls, i: Incident) -> IncidentOut:
        return cls(
            id=i.id,
            app_id=i.app_id,
            title=i.title,
            what_happened=i.what_happened,
            occurred_at=i.occurred_at,
            discovered_at=i.discovered_at,
            datasets=list(i.datasets),
            elements=list(i.elements),
            possible_harm=i.possible_harm,
            measures=i.measures,
            user_advice=i.user_advice,
            status=i.status.value,
            status_label=_INCIDENT_STATUS_ZH.get(i.status.value, i.status.value),
            opened_at=i.opened_at,
            opened_by=i.opened_by,
            affected_count=i.affected_count,
            unlinked_records=i.unlinked_records,
            notifications=[NotificationOut.of(n) for n in i.notifications],
            closed_at=i.closed_at,
            closing_note=i.closing_note,
        )


Format = Literal["md", "html"]


class DocumentsOut(BaseModel):
    """The user notice and the regulator report (PIPL Art. 57), Markdown or HTML."""

    format: Format
    notice: str
    report: str


class NotifiedOut(BaseModel):
    incident: IncidentOut
    documents: DocumentsOut
