"""SDK gate and permission telemetry over HTTP (W10, W12); scope ``backend``.

``GET /v1/apps/{app_id}/subjects/{subject_id}/sdk-manifest``
    per SDK: may the app initialise it now, why, and which elements it may receive.
    Computed from the consent ledger on every call, so it changes with the next grant or
    withdrawal.
``POST /v1/apps/{app_id}/permission-events:check``
    a list of permission use events; answers the violations, each with its events.

Both read the consent ledger through the process's :class:`~yinsi.Engine`. An unknown app
answers 422 through :mod:`yinsi.api.errors` (``UnknownName``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from yinsi.api.auth import Backend
from yinsi.api.deps import Consent
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.lifecycle.permissions import UseEventIn, Violation
from yinsi.services.sdk_gate import ElementGate, SdkEntry, check_permission_events, sdk_manifest

__all__ = ["ElementGateOut", "SdkEntryOut", "ViolationOut", "router"]


class ElementGateOut(BaseModel):
    element: str
    consent_ids: list[str]
    may_receive: bool
    gated_apart: bool

    @classmethod
    def of(cls, gate: ElementGate) -> ElementGateOut:
        return cls(
            element=gate.element,
            consent_ids=list(gate.consent_ids),
            may_receive=gate.may_receive,
            gated_apart=gate.gated_apart,
        )


class SdkEntryOut(BaseModel):
    id: str
    name: str
    provider: str
    function: str
    may_initialise: bool
    reason: str
    explanation: str
    consent_ids: list[str]
    elements: list[ElementGateOut]
    policy_version: str | None

    @classmethod
    def of(cls, entry: SdkEntry) -> SdkEntryOut:
        return cls(
            id=entry.id,
            name=entry.name,
            provider=entry.provider,
            function=entry.function,
            may_initialise=entry.may_initialise,
            reason=entry.reason,
            explanation=entry.explanation,
            consent_ids=list(entry.consent_ids),
            elements=[ElementGateOut.of(g) for g in entry.elements],
            policy_version=entry.policy_version,
        )


class ViolationOut(BaseModel):
    kind: str
    label: str
    subject_id: str
    scenario: str
    permission: str
    message: str
    reason: str | None
    consent_ids: list[str]
    events: list[UseEventIn]

    @classmethod
    def of(cls, violation: Violation) -> ViolationOut:
        return cls(
            kind=violation.kind.value,
            label=violation.kind.label,
            subject_id=violation.subject_id,
            scenario=violation.scenario,
            permission=violation.permission,
            message=violation.message,
            reason=violation.reason,
            consent_ids=list(violation.consent_ids),
            events=[UseEventIn.of(e) for e in violation.events],
        )


router = APIRouter(tags=["SDKs and permissions"])


@router.get("/v1/apps/{app_id}/subjects/{subject_id}/sdk-manifest", responses=PAGED)
def manifest(
    app_id: str,
    subject_id: str,
    _: Backend,
    consent: Consent,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[SdkEntryOut]:
    """W12: initialise only the SDKs with ``may_initialise``; pass an element only
    where its gate says ``may_receive``. Ask again after every consent change. Paginated
    like every list (one page holds every SDK of a declaration under 100 SDKs)."""
    entries = sdk_manifest(consent, app_id, subject_id)
    found = page(entries, request, response, route="sdk", cursor=cursor, limit=limit)
    return [SdkEntryOut.of(e) for e in found]


@router.post("/v1/apps/{app_id}/permission-events:check")
def check_events(
    app_id: str,
    body: list[UseEventIn],
    _: Backend,
    consent: Consent,
    version: Annotated[
        str | None, Query(description="Policy version to check against; default: latest.")
    ] = None,
) -> list[ViolationOut]:
    """W10, W12: undeclared permissions, use before consent, over the declared limits,
    SDKs not allowed. An empty list: no violation."""
    events = [e.event() for e in body]
    found = check_permission_events(consent, app_id, events, version=version)
    return [ViolationOut.of(v) for v in found]
