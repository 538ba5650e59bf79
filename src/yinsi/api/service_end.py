"""Ending the service over HTTP (X39, PIPL Art. 47 (1)(2)).

``POST /v1/apps/{app_id}/service-end`` (``admin``)
    announce the end date: the plan is recorded (audited under the key's id) and every
    user is sent the advance notice; 201 with the plan. 409 when already announced or
    when no delivery channel can reach users, 422 when the declaration does not promise
    the notice or the notice period is too short, 503 without a data map.
``GET  /v1/apps/{app_id}/service-end`` (``auditor``, ``admin``)
    the plan, the users by progress and the notices by outcome; 404 if never announced.

The deletion itself is long-running and runs from the command line
(``yinsi service-end run``, resumable, with a progress bar), never in a request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from yinsi.api.auth import Admin, Auditor
from yinsi.api.deps import services_of
from yinsi.api.responses import BAD_GATEWAY, CONFLICT, NOT_CONFIGURED, NOT_FOUND
from yinsi.api.rights import NoEchoRoute
from yinsi.lifecycle.service_end import (
    MIN_NOTICE_DAYS,
    AlreadyAnnounced,
    NotAnnounced,
    ServiceEndError,
)
from yinsi.services.delivery import NotConfigured
from yinsi.services.service_end import ServiceEndService, ServiceEndStatus

__all__ = ["router"]

PATH = "/v1/apps/{app_id}/service-end"

router = APIRouter(tags=["service end"], route_class=NoEchoRoute)


async def _service_end(request: Request) -> ServiceEndService:
    return services_of(request).service_end  # NoDataMap without a map: 503


ServiceEnd = Annotated[ServiceEndService, Depends(_service_end)]

_ERRORS: dict[type[Exception], int] = {
    NotAnnounced: status.HTTP_404_NOT_FOUND,
    AlreadyAnnounced: status.HTTP_409_CONFLICT,
    ServiceEndError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    NotConfigured: status.HTTP_409_CONFLICT,  # no channel to reach users yet
}


@contextmanager
def _answers(codes: Mapping[type[Exception], int] = _ERRORS) -> Iterator[None]:
    """The service's errors as HTTP answers with their message (what to do next)."""
    try:
        yield
    except tuple(codes) as exc:
        code = next(c for kind, c in codes.items() if isinstance(exc, kind))
        raise HTTPException(code, str(exc)) from None


class AnnounceBody(BaseModel):
    """The announcement of the end of the service."""

    ends_on: dt.date = Field(description="The day the service stops (Beijing date).")
    min_notice_days: int = Field(
        MIN_NOTICE_DAYS, ge=0, le=3650, description="The shortest notice period accepted."
    )
    undeclared_notice: bool = Field(
        False,
        description="Announce although the published declaration does not promise the "
        "advance notice (storage.service_end_notice).",
    )


class ServiceEndOut(BaseModel):
    app_id: str
    status: str = Field(description="announced, running or completed.")
    status_label: str
    announced_at: dt.datetime
    announced_by: str
    ends_on: dt.date
    notice_days: int
    action: str = Field(description="What happens to the PI: delete, anonymise or either.")
    action_label: str
    notice_declared: bool = Field(description="The declaration promises advance notice.")
    subjects: dict[str, int] = Field(description="Users by progress: pending, running, done.")
    kept: int = Field(description="Users done with records kept under a hold (restricted).")
    notices: dict[str, int] = Field(description="Notices by outcome (delivered, failed, …).")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, s: ServiceEndStatus) -> ServiceEndOut:
        plan = s.plan
        return cls(
            app_id=plan.app_id,
            status=plan.status.value,
            status_label=plan.status.label,
            announced_at=plan.announced_at,
            announced_by=plan.announced_by,
            ends_on=plan.ends_on,
            notice_days=plan.notice_days,
            action=plan.action.value,
            action_label=plan.action.label,
            notice_declared=plan.notice_declared,
            subjects={k.value: n for k, n in s.counts.items()},
            kept=s.outcomes.get("partially_completed", 0),
            notices=dict(s.deliveries),
            started_at=plan.started_at,
            finished_at=plan.finished_at,
        )


@router.post(
    PATH,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT | NOT_FOUND | NOT_CONFIGURED | BAD_GATEWAY,
)
def announce(app_id: str, body: AnnounceBody, key: Admin, service_end: ServiceEnd) -> ServiceEndOut:
    """X39: record the end date and tell every user in advance (each notice recorded)."""
    with _answers():
        service_end.announce(
            app_id,
            body.ends_on,
            actor=key.id,
            min_notice_days=body.min_notice_days,
            undeclared_notice=body.undeclared_notice,
        )
        return ServiceEndOut.of(service_end.status(app_id))


@router.get(PATH, responses=NOT_FOUND | NOT_CONFIGURED)
def service_end_status(app_id: str, _: Auditor, service_end: ServiceEnd) -> ServiceEndOut:
    """The announced end, the users by progress and the notices by outcome."""
    with _answers():
        return ServiceEndOut.of(service_end.status(app_id))
