"""``/v1/apps/{app_id}/subjects/{subject_id}``: the consent ledger of one user.

Back-ends (scope ``backend``) record the user's answers to the policy and to each consent
item, with the evidence of how they were given (the client's IP is added); back-ends and
auditors read the state and the events. Each write is one call of the
:class:`~yinsi.Engine`, audited under the API key's id. Also the X04 registration check.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from yinsi.api.auth import Backend, Reader
from yinsi.api.deps import Consent
from yinsi.api.models import (
    ConsentBody,
    EventOut,
    PolicyAnswerBody,
    RegistrationCheckBody,
    RegistrationCheckOut,
    StateOut,
)
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, decode, set_next

__all__ = [
    "accept",
    "decline",
    "events",
    "grant",
    "registration_check",
    "router",
    "state",
    "use",
    "withdraw",
]

SUBJECT = "/v1/apps/{app_id}/subjects/{subject_id}"
CONSENT = SUBJECT + "/consents/{consent_id}"

router = APIRouter()


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(SUBJECT + "/policy:accept", tags=["consents"])
def accept(
    app_id: str,
    subject_id: str,
    body: PolicyAnswerBody,
    request: Request,
    key: Backend,
    consent: Consent,
) -> StateOut:
    evidence = body.evidence.evidence(_client_ip(request))
    return StateOut.of(
        consent.accept_policy(
            app_id, subject_id, version=body.version, evidence=evidence, actor=key.id
        )
    )


@router.post(SUBJECT + "/policy:decline", tags=["consents"])
def decline(
    app_id: str,
    subject_id: str,
    body: PolicyAnswerBody,
    request: Request,
    key: Backend,
    consent: Consent,
) -> StateOut:
    evidence = body.evidence.evidence(_client_ip(request))
    return StateOut.of(
        consent.decline_policy(
            app_id, subject_id, version=body.version, evidence=evidence, actor=key.id
        )
    )


@router.post(CONSENT + ":grant", tags=["consents"])
def grant(
    app_id: str,
    subject_id: str,
    consent_id: str,
    body: ConsentBody,
    request: Request,
    key: Backend,
    consent: Consent,
) -> StateOut:
    evidence = body.evidence.evidence(_client_ip(request))
    return StateOut.of(
        consent.grant(app_id, subject_id, consent_id, evidence=evidence, actor=key.id)
    )


@router.post(CONSENT + ":withdraw", tags=["consents"])
def withdraw(
    app_id: str,
    subject_id: str,
    consent_id: str,
    body: ConsentBody,
    request: Request,
    key: Backend,
    consent: Consent,
) -> StateOut:
    evidence = body.evidence.evidence(_client_ip(request))
    return StateOut.of(
        consent.withdraw(app_id, subject_id, consent_id, evidence=evidence, actor=key.id)
    )


@router.post(CONSENT + ":use", tags=["consents"])
def use(
    app_id: str,
    subject_id: str,
    consent_id: str,
    body: ConsentBody,
    request: Request,
    key: Backend,
    consent: Consent,
) -> StateOut:
    """X15: a single-use consent (asked each time) was used up by the processing."""
    evidence = body.evidence.evidence(_client_ip(request))
    return StateOut.of(consent.use(app_id, subject_id, consent_id, evidence=evidence, actor=key.id))


@router.get(SUBJECT + "/events", tags=["consents"], responses=PAGED)
def events(
    app_id: str,
    subject_id: str,
    _: Reader,
    consent: Consent,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[EventOut]:
    """The subject's ledger in order, with the evidence of each event (X41), a page at a
    time (``X-Next-Cursor``)."""
    after = decode(cursor, "events")
    found = consent.events(app_id, subject_id, after=after, limit=limit + 1)
    if len(found) > limit:
        found = found[:limit]
        set_next(request, response, "events", found[-1].seq or 0)
    return [EventOut.of(e) for e in found]


@router.post("/v1/apps/{app_id}/registration:check", tags=["decisions"])
def registration_check(
    app_id: str, body: RegistrationCheckBody, _: Backend, consent: Consent
) -> RegistrationCheckOut:
    """X04: refuse registering a minor; the ID number is neither stored nor logged."""
    refusal = consent.register_check(app_id, body.id_number)
    if refusal is None:
        version = consent.current_version(app_id)
        return RegistrationCheckOut(allowed=True, reason=None, policy_version=version)
    return RegistrationCheckOut(
        allowed=False, reason=refusal.reason, policy_version=refusal.policy_version
    )


@router.get(SUBJECT, tags=["consents"])
def state(app_id: str, subject_id: str, _: Reader, consent: Consent) -> StateOut:
    return StateOut.of(consent.state(app_id, subject_id))
