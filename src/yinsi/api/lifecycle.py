"""Sharing and incidents over HTTP (issue 6): the sharing gate with its provision ledger,
the end of an entrustment, and security incidents (PIPL Arts. 21, 23, 57).

``POST /v1/apps/{app}/subjects/{s}/provisions`` (``backend``)
    the sharing gate: 201 with the decision, the ledger entry and the record as it may
    leave; refused: 422 when the declaration does not declare it (``not_declared``,
    ``public_disclosure_not_declared``, ``cross_border_not_declared``), 403 when the
    subject's consent or restriction forbids it — ``{"detail": decision}`` either way.
``GET  …/subjects/{s}/provisions`` (``backend``, ``auditor``): the subject's ledger.
``POST /v1/apps/{app}/recipients/{r}/entrustment:end`` (``admin``): the deletion
    instruction to an entrusted processor, sent through its data-map dataset (X21).
``POST …/entrustment:confirm`` (``admin``): a confirmation received another way.
``GET  …/entrustment`` (``auditor``, ``admin``): where the instruction stands.
``POST /v1/incidents`` (``admin``), ``GET /v1/incidents[/{id}]`` (``auditor``, ``admin``),
``GET /v1/incidents/{id}/documents``, ``POST /v1/incidents/{id}:notify`` (the user notice
and the regulator report), ``POST /v1/incidents/{id}:close`` (``admin``).

Each route calls one method of :class:`~yinsi.services.sharing.SharingService` or
:class:`~yinsi.services.incidents.IncidentService`, which audit every write under the API
key's id. Entrustments and incidents need the app's data map (``yinsi serve --map``);
without one they answer 503. A record's values are never echoed in a 422.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from yinsi.api.auth import Admin, Auditor, Backend, Reader
from yinsi.api.deps import Incidents, Rights, Sharing
from yinsi.api.lifecycle_models import (
    CloseBody,
    ConfirmBody,
    DocumentsOut,
    EntrustmentEndOut,
    Format,
    IncidentBody,
    IncidentOut,
    NotifiedOut,
    ProvideBody,
    ProvidedOut,
    ProvisionDecisionOut,
    ProvisionOut,
)
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.api.responses import BAD_GATEWAY, CONFLICT, NOT_CONFIGURED, NOT_FOUND
from yinsi.api.rights import NoEchoRoute
from yinsi.lifecycle.incidents import InvalidIncident
from yinsi.lifecycle.sharing import NotEntrusted, ProvisionReason, UnknownRecipient
from yinsi.services.errors import IncidentExists, IncidentNotFound
from yinsi.services.rights import RightsService
from yinsi.services.sharing import (
    EntrustmentEndConflict,
    NoEntrustmentEnd,
    NoProcessorDataset,
    RecordRefused,
)

__all__ = ["router"]

SUBJECT = "/v1/apps/{app_id}/subjects/{subject_id}"
ENTRUSTMENT = "/v1/apps/{app_id}/recipients/{recipient}/entrustment"
INCIDENT = "/v1/incidents/{incident_id}"

NOT_DECLARED = frozenset(
    {
        ProvisionReason.NOT_DECLARED,
        ProvisionReason.PUBLIC_DISCLOSURE_NOT_DECLARED,
        ProvisionReason.CROSS_BORDER_NOT_DECLARED,
    }
)
"""Refusals because the declaration does not cover the provision: 422, not 403."""


@contextmanager
def _answers(codes: Mapping[type[Exception], int]) -> Iterator[None]:
    """Errors of the services as HTTP answers with their message (what to do next)."""
    try:
        yield
    except tuple(codes) as exc:
        code = next(c for kind, c in codes.items() if isinstance(exc, kind))
        raise HTTPException(code, str(exc)) from None


_INCIDENT_ERRORS: dict[type[Exception], int] = {
    IncidentNotFound: status.HTTP_404_NOT_FOUND,
    IncidentExists: status.HTTP_409_CONFLICT,
}
_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused by the subject's consent or restriction: the decision."},
    422: {"description": "Refused: the declaration does not declare it (the decision)."},
}

_INCIDENT_STATE = NOT_FOUND | CONFLICT | NOT_CONFIGURED

router = APIRouter(tags=["sharing and incidents"], route_class=NoEchoRoute)


# ------------------------------------------------------------------ sharing


@router.post(SUBJECT + "/provisions", status_code=status.HTTP_201_CREATED, responses=_REFUSED)
def provide(
    app_id: str, subject_id: str, body: ProvideBody, key: Backend, sharing: Sharing
) -> ProvidedOut:
    """X19, X22, X24, X37, W11: provide only what is declared, on separate consent or a
    statutory basis; the record comes back as the recipient may receive it."""
    record = None if body.record is None else dict(body.record)
    with _answers({RecordRefused: status.HTTP_422_UNPROCESSABLE_CONTENT}):
        outcome = sharing.provide(
            app_id,
            subject_id,
            body.recipient,
            body.elements,
            body.purpose,
            record,
            cross_border=body.cross_border,
            public=body.public,
            actor=key.id,
        )
    decision = outcome.decision
    if outcome.provision is None:
        code = (
            status.HTTP_422_UNPROCESSABLE_CONTENT
            if decision.reason in NOT_DECLARED
            else status.HTTP_403_FORBIDDEN
        )
        raise HTTPException(code, ProvisionDecisionOut.of(decision).model_dump())
    return ProvidedOut(
        decision=ProvisionDecisionOut.of(decision),
        provision=ProvisionOut.of(outcome.provision),
        record=outcome.record,
    )


@router.get(SUBJECT + "/provisions", responses=PAGED)
def provisions(
    app_id: str,
    subject_id: str,
    _: Reader,
    sharing: Sharing,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[ProvisionOut]:
    """Who received the subject's PI, which elements, why, on which basis, when (X19)."""
    ledger = sharing.provisions(app_id, subject_id)
    found = page(ledger, request, response, route="provisions", cursor=cursor, limit=limit)
    return [ProvisionOut.of(p) for p in found]


def _served(rights: RightsService, app_id: str) -> None:
    if app_id != rights.data_map.app:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"this service holds the data map of app {rights.data_map.app!r}, not {app_id!r}",
        )


@router.post(ENTRUSTMENT + ":end", responses=NOT_FOUND | CONFLICT | NOT_CONFIGURED | BAD_GATEWAY)
def end_entrustment(
    app_id: str, recipient: str, key: Admin, sharing: Sharing, rights: Rights
) -> EntrustmentEndOut:
    """X21: tell an entrusted processor to delete what it holds; ``confirmed`` with its
    reference, or ``failed`` with the error (call again: it is idempotent)."""
    _served(rights, app_id)
    codes = {
        UnknownRecipient: status.HTTP_404_NOT_FOUND,
        NotEntrusted: status.HTTP_409_CONFLICT,
        NoProcessorDataset: status.HTTP_409_CONFLICT,
    }
    with _answers(codes):
        ended = sharing.end_entrustment(
            app_id, recipient, rights.connectors, data_map=rights.data_map, actor=key.id
        )
    return EntrustmentEndOut.of(ended)


@router.post(ENTRUSTMENT + ":confirm", responses=NOT_FOUND | CONFLICT)
def confirm_entrustment_end(
    app_id: str, recipient: str, body: ConfirmBody, key: Admin, sharing: Sharing
) -> EntrustmentEndOut:
    """Record the processor's confirmation received outside the webhook (X21)."""
    codes = {
        NoEntrustmentEnd: status.HTTP_404_NOT_FOUND,
        EntrustmentEndConflict: status.HTTP_409_CONFLICT,
        ValueError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    }
    with _answers(codes):
        confirmed = sharing.confirm_entrustment_end(
            app_id, recipient, body.confirmation, affected=body.affected, actor=key.id
        )
    return EntrustmentEndOut.of(confirmed)


@router.get(ENTRUSTMENT, responses=NOT_FOUND)
def entrustment(app_id: str, recipient: str, _: Auditor, sharing: Sharing) -> EntrustmentEndOut:
    """Where the deletion instruction to the processor stands."""
    found = sharing.entrustment_end(app_id, recipient)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"the entrustment of recipient {recipient!r} of app {app_id!r} was never ended",
        )
    return EntrustmentEndOut.of(found)


# ------------------------------------------------------------------ incidents


@router.post(
    "/v1/incidents", status_code=status.HTTP_201_CREATED, responses=CONFLICT | NOT_CONFIGURED
)
def open_incident(body: IncidentBody, key: Admin, incidents: Incidents) -> IncidentOut:
    """X26: record an incident; its affected subjects are computed from the data map."""
    with _answers({**_INCIDENT_ERRORS, InvalidIncident: status.HTTP_422_UNPROCESSABLE_CONTENT}):
        incident = incidents.open(
            title=body.title,
            what_happened=body.what_happened,
            occurred_at=body.occurred_at,
            discovered_at=body.discovered_at or datetime.now(UTC),
            datasets=body.datasets,
            possible_harm=body.possible_harm,
            measures=body.measures,
            user_advice=body.user_advice,
            elements=body.elements,
            incident_id=body.id,
            actor=key.id,
        )
    return IncidentOut.of(incident)


@router.get("/v1/incidents", responses=PAGED | NOT_CONFIGURED)
def list_incidents(
    _: Auditor,
    incidents: Incidents,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[IncidentOut]:
    found = page(incidents.list(), request, response, route="incidents", cursor=cursor, limit=limit)
    return [IncidentOut.of(i) for i in found]


@router.get(INCIDENT, responses=NOT_FOUND | NOT_CONFIGURED)
def get_incident(incident_id: str, _: Auditor, incidents: Incidents) -> IncidentOut:
    with _answers(_INCIDENT_ERRORS):
        return IncidentOut.of(incidents.get(incident_id))


FormatQuery = Annotated[Format, Query(alias="format", description="md or html.")]


@router.get(INCIDENT + "/documents", responses=NOT_FOUND | NOT_CONFIGURED)
def documents(
    incident_id: str, _: Auditor, incidents: Incidents, fmt: FormatQuery = "md"
) -> DocumentsOut:
    """The user notice and the regulator report as they stand now."""
    with _answers(_INCIDENT_ERRORS):
        notice, report = incidents.documents(incidents.get(incident_id), fmt)
    return DocumentsOut(format=fmt, notice=notice, report=report)


@router.post(INCIDENT + ":notify", responses=_INCIDENT_STATE)
def notify(
    incident_id: str, key: Admin, incidents: Incidents, fmt: FormatQuery = "md"
) -> NotifiedOut:
    """Record that the users (or the public) and the regulator were told, and give the
    user notice and the regulator report (PIPL Art. 57 contents) to send."""
    with _answers({**_INCIDENT_ERRORS, InvalidIncident: status.HTTP_409_CONFLICT}):
        incident = incidents.record_notifications(incident_id, actor=key.id)
    notice, report = incidents.documents(incident, fmt)
    return NotifiedOut(
        incident=IncidentOut.of(incident),
        documents=DocumentsOut(format=fmt, notice=notice, report=report),
    )


@router.post(INCIDENT + ":close", responses=_INCIDENT_STATE)
def close_incident(
    incident_id: str, key: Admin, incidents: Incidents, body: CloseBody | None = None
) -> IncidentOut:
    """Close a notified incident (refused, 409, before anyone was told)."""
    with _answers({**_INCIDENT_ERRORS, InvalidIncident: status.HTTP_409_CONFLICT}):
        closed = incidents.close_incident(
            incident_id, "" if body is None else body.note, actor=key.id
        )
    return IncidentOut.of(closed)
