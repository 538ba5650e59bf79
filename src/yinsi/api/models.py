"""The request and response bodies of the API (pydantic), and their domain conversions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from yinsi.consent import Channel, ConsentState, Decision, Evidence
from yinsi.engine import DecisionRequest
from yinsi.storage import PolicyVersion


class PublishBody(BaseModel):
    declaration: str = Field(description="The declaration, as YAML text.")


class EvidenceBody(BaseModel):
    """X41 evidence; the client IP is taken from the request, never from the body."""

    channel: Channel
    account: str | None = None
    signature_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    user_agent: str | None = None

    def evidence(self, client_ip: str | None) -> Evidence:
        return Evidence(
            self.channel, self.account, self.signature_sha256, client_ip, self.user_agent
        )


class PolicyAnswerBody(BaseModel):
    evidence: EvidenceBody
    version: str | None = Field(default=None, description="None: the latest published.")


class ConsentBody(BaseModel):
    evidence: EvidenceBody


class DecisionRequestBody(BaseModel):
    element: str
    purpose: str
    scenario: str
    minor: bool = False
    restricted: bool = False
    under_14: bool = False

    def request(self) -> DecisionRequest:
        return DecisionRequest(
            self.element, self.purpose, self.scenario, self.minor, self.restricted, self.under_14
        )


class DecisionOut(BaseModel):
    allowed: bool
    reason: str
    policy_version: str | None
    consent_ids: list[str]

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        return cls(
            allowed=d.allowed,
            reason=d.reason,
            policy_version=d.policy_version,
            consent_ids=list(d.consent_ids),
        )


class StateOut(BaseModel):
    app_id: str
    subject_id: str
    accepted_version: str | None
    declined_version: str | None
    granted: list[str]
    withdrawn: list[str]
    last_seq: int
    updated_at: datetime | None

    @classmethod
    def of(cls, s: ConsentState) -> StateOut:
        return cls(
            app_id=s.app_id,
            subject_id=s.subject_id,
            accepted_version=s.accepted_version,
            declined_version=s.declined_version,
            granted=sorted(s.granted),
            withdrawn=sorted(s.withdrawn),
            last_seq=s.last_seq,
            updated_at=s.updated_at,
        )


class PolicyVersionOut(BaseModel):
    app_id: str
    version: str
    content_sha256: str
    effective: date
    published_at: datetime
    previous_version: str | None
    material: bool

    @classmethod
    def of(cls, p: PolicyVersion) -> PolicyVersionOut:
        return cls(
            app_id=p.app_id,
            version=p.version,
            content_sha256=p.content_sha256,
            effective=p.effective,
            published_at=p.published_at,
            previous_version=p.previous_version,
            material=p.material,
        )


class AuditVerifyOut(BaseModel):
    intact: bool
    entries: int
    head: str
    breaks: list[str]


class Health(BaseModel):
    status: str = "ok"
