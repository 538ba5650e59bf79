"""PI obtained from third parties over HTTP (X18): the acquisition gate and its ledger.

``POST /v1/apps/{app}/subjects/{s}/acquisitions`` (``backend``)
    asked BEFORE the app queries a provider: 201 with the decision and the ledger entry;
    403 ``{"detail": decision}`` when the source is not vetted, revoked or expired, the
    elements or scenario are outside its vetting or the declaration, or the subject's
    consent does not cover them (the decision names the consents to ask for).
``GET  …/subjects/{s}/acquisitions`` (``backend``, ``auditor``): the subject's ledger.
``GET  /v1/apps/{app}/sources`` (``backend``, ``auditor``, ``admin``): the vetted sources
    (recorded with ``yinsi sources add``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from yinsi.api.auth import Backend, Reader, requires
from yinsi.api.deps import services_of
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.lifecycle.sourcing import Acquisition, AcquisitionDecision, Source
from yinsi.security.api_keys import ApiKey, Scope
from yinsi.services.sourcing import SourcingService

__all__ = ["router"]

SUBJECT = "/v1/apps/{app_id}/subjects/{subject_id}"
NAME = Field(min_length=1, max_length=255)


async def _sourcing(request: Request) -> SourcingService:
    return services_of(request).sourcing


Sourcing = Annotated[SourcingService, Depends(_sourcing)]
AnyStaff = Annotated[ApiKey, Depends(requires(Scope.BACKEND, Scope.AUDITOR, Scope.ADMIN))]


class AcquireBody(BaseModel):
    source: str = NAME
    elements: list[Annotated[str, NAME]] = Field(min_length=1, max_length=100)
    purpose: str = NAME
    scenario: str = NAME


class AcquisitionDecisionOut(BaseModel):
    allowed: bool
    reason: str
    message: str
    consent_ids: list[str]
    policy_version: str | None

    @classmethod
    def of(cls, d: AcquisitionDecision) -> AcquisitionDecisionOut:
        return cls(
            allowed=d.allowed,
            reason=d.reason,
            message=d.message,
            consent_ids=list(d.consent_ids),
            policy_version=d.policy_version,
        )


class AcquisitionOut(BaseModel):
    id: int | None
    source: str
    elements: list[str]
    scenario: str
    purpose: str
    consent_ids: list[str]
    policy_version: str | None
    at: datetime

    @classmethod
    def of(cls, a: Acquisition) -> AcquisitionOut:
        return cls(
            id=a.id,
            source=a.source_id,
            elements=list(a.elements),
            scenario=a.scenario,
            purpose=a.purpose,
            consent_ids=list(a.consent_ids),
            policy_version=a.policy_version,
            at=a.at,
        )


class AcquiredOut(BaseModel):
    decision: AcquisitionDecisionOut
    acquisition: AcquisitionOut


class SourceOut(BaseModel):
    source: str
    name: str
    party: str | None
    legal_ground: str
    elements: list[str]
    scenarios: list[str]
    authorised_by: str
    authorisation_ref: str
    vetted_by: str
    vetted_on: date
    valid_until: date
    revoked_at: datetime | None
    in_force: bool

    @classmethod
    def of(cls, s: Source, today: date) -> SourceOut:
        return cls(
            source=s.source_id,
            name=s.name,
            party=s.party,
            legal_ground=s.legal_ground,
            elements=list(s.elements),
            scenarios=list(s.scenarios),
            authorised_by=s.authorised_by.value,
            authorisation_ref=s.authorisation_ref,
            vetted_by=s.vetted_by,
            vetted_on=s.vetted_on,
            valid_until=s.valid_until,
            revoked_at=s.revoked_at,
            in_force=s.standing(today) is None,
        )


_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused: the source's vetting or the subject's consent (the decision)."}
}

router = APIRouter(tags=["third-party sources"])


@router.post(SUBJECT + "/acquisitions", status_code=status.HTTP_201_CREATED, responses=_REFUSED)
def acquire(
    app_id: str, subject_id: str, body: AcquireBody, key: Backend, sourcing: Sourcing
) -> AcquiredOut:
    """X18: obtain PI from a third party only from a vetted source, within its scope and
    the subject's consent; ask before querying the provider."""
    outcome = sourcing.acquire(
        app_id,
        subject_id,
        body.source,
        body.elements,
        body.purpose,
        body.scenario,
        actor=key.id,
    )
    decision = AcquisitionDecisionOut.of(outcome.decision)
    if outcome.acquisition is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, decision.model_dump())
    return AcquiredOut(decision=decision, acquisition=AcquisitionOut.of(outcome.acquisition))


@router.get(SUBJECT + "/acquisitions", responses=PAGED)
def acquisitions(
    app_id: str,
    subject_id: str,
    _: Reader,
    sourcing: Sourcing,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[AcquisitionOut]:
    """Which PI of the subject was obtained from which source, for what, on which consent."""
    ledger = sourcing.acquisitions(app_id, subject_id)
    found = page(ledger, request, response, route="acquisitions", cursor=cursor, limit=limit)
    return [AcquisitionOut.of(a) for a in found]


@router.get("/v1/apps/{app_id}/sources", responses=PAGED)
def sources(
    app_id: str,
    _: AnyStaff,
    sourcing: Sourcing,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[SourceOut]:
    """The vetted sources of the app (来源审查记录), each with whether it is in force today."""
    today = sourcing.today()
    register = sourcing.sources(app_id)
    found = page(register, request, response, route="sources", cursor=cursor, limit=limit)
    return [SourceOut.of(s, today) for s in found]
