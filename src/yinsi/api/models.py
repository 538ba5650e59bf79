"""The request and response bodies of the API (pydantic), and their domain conversions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from functools import lru_cache

from pydantic import BaseModel, Field

from yinsi.api.fields import Account, Name, UserAgent
from yinsi.consent import Channel, ConsentEvent, ConsentState, Decision, EventKind, Evidence
from yinsi.declaration.versions import PolicyVersion
from yinsi.security.api_keys import ApiKey, Scope


class PublishBody(BaseModel):
    declaration: str = Field(
        description="The declaration, as YAML text (limits: docs/operations.md, inputs)."
    )


class EvidenceBody(BaseModel):
    """X41 evidence; the client IP is taken from the request, never from the body."""

    channel: Channel
    account: Account | None = None
    signature_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    user_agent: UserAgent | None = None

    def evidence(self, client_ip: str | None) -> Evidence:
        return Evidence(
            self.channel, self.account, self.signature_sha256, client_ip, self.user_agent
        )


class PolicyAnswerBody(BaseModel):
    evidence: EvidenceBody
    version: Name | None = Field(default=None, description="None: the latest published.")


class ConsentBody(BaseModel):
    evidence: EvidenceBody


class DecisionRequestBody(BaseModel):
    """The documented shape of one decision step; the route validates the body straight into
    :class:`~yinsi.services.consent.DecisionRequest` (a test keeps the two alike)."""

    element: str
    purpose: str
    scenario: str
    minor: bool = False
    restricted: bool = False
    under_14: bool = False


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


def decisions_json(decisions: Sequence[Decision]) -> bytes:
    """The JSON body of ``list[DecisionOut]`` for ``decisions``, written directly.

    The batch decision route is the service's hot path: building the models and letting
    FastAPI validate them again before serialising would cost more than the decisions.
    A decision is a small frozen value and the same few recur (one per rule, reason and
    policy version), so each one's JSON is kept once made.
    ``tests/test_api_service.py`` checks this gives the models' JSON.
    """
    return b"[" + b",".join([_decision_json(d) for d in decisions]) + b"]"


@lru_cache(maxsize=4096)
def _decision_json(d: Decision) -> bytes:
    return json.dumps(
        {
            "allowed": d.allowed,
            "reason": d.reason,
            "policy_version": d.policy_version,
            "consent_ids": list(d.consent_ids),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


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


class ChangeFlagOut(BaseModel):
    section: str
    key: str
    kind: str
    field: str | None
    material: bool
    reason: str


class PolicyVersionOut(BaseModel):
    app_id: str
    version: str
    content_sha256: str
    effective: date
    published_at: datetime
    previous_version: str | None
    material: bool
    changes: list[ChangeFlagOut] = Field(description="Changes against the previous version.")

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
            changes=[ChangeFlagOut(**asdict(c)) for c in p.changes],
        )


class AuditVerifyOut(BaseModel):
    intact: bool
    entries: int
    head: str
    breaks: list[str]


class Health(BaseModel):
    status: str = "ok"


class EvidenceOut(BaseModel):
    channel: Channel
    account: str | None
    signature_sha256: str | None
    client_ip: str | None
    user_agent: str | None


class EventOut(BaseModel):
    """One ledger event with its evidence (X41)."""

    app_id: str
    subject_id: str
    seq: int | None
    kind: EventKind
    policy_version: str
    at: datetime
    consent_id: str | None
    evidence: EvidenceOut

    @classmethod
    def of(cls, e: ConsentEvent) -> EventOut:
        ev = e.evidence
        return cls(
            app_id=e.app_id,
            subject_id=e.subject_id,
            seq=e.seq,
            kind=e.kind,
            policy_version=e.policy_version,
            at=e.at,
            consent_id=e.consent_id,
            evidence=EvidenceOut(
                channel=ev.channel,
                account=ev.account,
                signature_sha256=ev.signature_sha256,
                client_ip=ev.client_ip,
                user_agent=ev.user_agent,
            ),
        )


class RegistrationCheckBody(BaseModel):
    """X04. The ID number is checked and forgotten: never stored, logged or echoed."""

    id_number: str = Field(min_length=1, max_length=32)


class RegistrationCheckOut(BaseModel):
    allowed: bool
    reason: str | None = Field(description="``minor`` when refused, else null.")
    policy_version: str | None


class KeyBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)


class KeyOut(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> KeyOut:
        return cls(
            id=k.id,
            name=k.name,
            scopes=sorted(k.scopes),
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


class NewKeyOut(KeyOut):
    secret: str = Field(description="Shown once; only its SHA-256 is stored.")
