"""``/v1/requests``: rights requests over HTTP (PIPL Chapter IV).

The app's back-end files a request on the user's behalf, sends the SMS code and passes
the user's answer (scope ``backend``); staff approve, refuse, run and answer (``admin``);
auditors read. Each route calls one method of the process's
:class:`~yinsi.services.rights.RightsService`, which needs the app's data map (``yinsi
serve --map``); without one every route answers 503. Errors are mapped in
:mod:`yinsi.api.errors`.

Correction values and verification answers are never echoed: not in answers, not in the
422 of a body that does not fit (its ``input`` is dropped, see :class:`NoEchoRoute`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute

from yinsi.api.auth import Admin, Anyone, Auditor, Backend
from yinsi.api.deps import Rights, Runs
from yinsi.api.pages import DEFAULT_LIMIT, PAGED, Cursor, Limit, page
from yinsi.api.responses import (
    BAD_GATEWAY,
    CONFLICT,
    NOT_CONFIGURED,
    NOT_FOUND,
    Problem,
    Responses,
)
from yinsi.api.rights_models import (
    AnswerBody,
    CodeSentOut,
    RefuseBody,
    RequestOut,
    StepOut,
    SubmitBody,
    VerifyBody,
)
from yinsi.rights.deadlines import triage
from yinsi.rights.requests import Requester, Status
from yinsi.rights.verification import CODE_TTL
from yinsi.services.exports import ExportExpired
from yinsi.services.jobs import QueueUnavailable, RunBusy
from yinsi.taxonomy import RightKind

EXPORT_KINDS = frozenset({RightKind.ACCESS, RightKind.COPY, RightKind.TRANSFER})
ONE = "/v1/requests/{request_id}"


class NoEchoRoute(APIRoute):
    """A route whose 422 for a body that does not fit leaves out what was sent.

    FastAPI's validation errors carry each wrong value as ``input``; here that may be a
    correction's new value or an ID-number suffix, so only ``loc``, ``msg`` and ``type``
    are kept.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def no_echo(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                kept = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
                raise RequestValidationError(kept) from None

        return no_echo


router = APIRouter(tags=["rights requests"], route_class=NoEchoRoute, responses=NOT_CONFIGURED)
_ONE = NOT_FOUND | CONFLICT
"""A route on one request: unknown (404), or its status does not allow it (409)."""


@router.post("/v1/requests", status_code=status.HTTP_201_CREATED)
def submit(body: SubmitBody, key: Backend, rights: Rights) -> RequestOut:
    """File a request on the user's behalf; it waits for identity verification (X35)."""
    request = rights.submit(
        body.subject_id,
        body.kind,
        requester=Requester(body.relation, body.relative_name),
        channel=body.channel.value,
        trigger=body.trigger,
        consent_id=body.consent_id,
        corrections=body.corrections,
        text=body.text,
        actor=key.id,
        received_at=body.received_at,
    )
    return RequestOut.of(request)


@router.get("/v1/requests", responses=PAGED)
def list_requests(
    _: Auditor,
    rights: Rights,
    request: Request,
    response: Response,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    subject_id: str | None = None,
    overdue: Annotated[bool, Query(description="Only open requests past due.")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[RequestOut]:
    """The app's requests by due date (requests whose clock has not started last), a page
    at a time (``X-Next-Cursor``; keep the same filters)."""
    requests = rights.requests(statuses=status_, subject_id=subject_id)
    if overdue:
        today = rights.today()
        open_dated = [r for r in requests if r.due is not None and not r.status.closed]
        split = triage(
            open_dated,
            today,
            key=lambda r: r.due.date if r.due else today,
            calendar=rights.calendar,
        )
        requests = list(split.overdue)
    found = page(requests, request, response, route="requests", cursor=cursor, limit=limit)
    return [RequestOut.of(r) for r in found]


@router.get(ONE, responses=NOT_FOUND)
def get(request_id: str, _: Anyone, rights: Rights) -> RequestOut:
    return RequestOut.of(rights.get(request_id))


@router.get(ONE + "/steps", responses=PAGED | NOT_FOUND)
def steps(
    request_id: str,
    _: Auditor,
    rights: Rights,
    request: Request,
    response: Response,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> list[StepOut]:
    """The execution plan and each step's outcome (empty until the request runs)."""
    rights.get(request_id)  # 404 for an unknown request, not an empty plan
    plan = rights.steps(request_id)
    found = page(plan, request, response, route="steps", cursor=cursor, limit=limit)
    return [StepOut.of(s) for s in found]


@router.post(ONE + ":send-code", status_code=status.HTTP_202_ACCEPTED, responses=_ONE)
def send_code(request_id: str, _: Backend, rights: Rights) -> CodeSentOut:
    """Send a one-time code to the phone on file."""
    rights.send_code(request_id)
    return CodeSentOut(request_id=request_id, expires_in_s=int(CODE_TTL.total_seconds()))


@router.post(ONE + ":verify", responses=_ONE)
def verify(request_id: str, body: VerifyBody, _: Backend, rights: Rights) -> RequestOut:
    """The user's answer: the SMS code or the ID number's last 6 (403 with ``remaining``)."""
    return RequestOut.of(rights.verify(request_id, body.answer, method=body.method))


@router.post(ONE + ":approve", responses=_ONE)
def approve(request_id: str, key: Admin, rights: Rights) -> RequestOut:
    """Approve a verified request; refused at once if a precondition fails (W16)."""
    return RequestOut.of(rights.approve(request_id, actor=key.id))


@router.post(ONE + ":refuse", responses=_ONE)
def refuse(request_id: str, body: RefuseBody, key: Admin, rights: Rights) -> RequestOut:
    """Refuse on a declared ground (X35); the answer says how to complain or sue."""
    return RequestOut.of(rights.refuse(request_id, body.ground, actor=key.id, note=body.note))


_RUN: Responses = {
    202: {
        "model": RequestOut,
        "description": (
            "With a job queue (`YINSI_JOBS__BROKER_URL`): the request is `executing` and a "
            "worker runs it. `Location` is the request, whose `status` ends `completed` or "
            "`partially_completed`; `/steps` shows each step as it runs."
        ),
        "headers": {"Location": {"schema": {"type": "string"}}},
    },
    409: {
        "model": Problem,
        "description": (
            "The status does not allow a run, or another run is executing the request now "
            "(follow it with GET; `Retry-After` says when its lease lapses at the latest)."
        ),
    },
    503: {
        "model": Problem,
        "description": (
            "Not configured (`yinsi serve --map`), or the job queue is unavailable (the "
            "request stays `executing`: call `:run` again later)."
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


@router.post(
    ONE + ":run",
    responses=NOT_FOUND | BAD_GATEWAY | _RUN,
    response_description=(
        "Without a job queue (the embedded default): the request was run before the answer, "
        "which shows where it ended."
    ),
)
def run(request_id: str, key: Admin, runs: Runs, response: Response) -> RequestOut:
    """Execute an approved request; run again to resume after a failed step.

    Embedded (no broker): runs it now and answers 200 when done. With a job queue: moves it
    to `executing`, sends it to a worker and answers 202 with `Location` at once. Either
    way one run at a time: a second `:run` while one executes answers 409.
    """
    try:
        outcome = runs.run(request_id, actor=key.id)
    except RunBusy as busy:
        retry = str(max(1, round(busy.retry_after_s)))
        raise HTTPException(status.HTTP_409_CONFLICT, str(busy), {"Retry-After": retry}) from None
    except QueueUnavailable as exc:
        unavailable = status.HTTP_503_SERVICE_UNAVAILABLE
        raise HTTPException(unavailable, str(exc), {"Retry-After": "5"}) from None
    if outcome.queued and runs.deferred:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"/v1/requests/{request_id}"
    return RequestOut.of(outcome.request)


@router.post(ONE + ":answer", responses=_ONE)
def answer(request_id: str, body: AnswerBody, key: Admin, rights: Rights) -> RequestOut:
    """Answer a complaint, a contest of an automated decision or an explanation request."""
    return RequestOut.of(rights.answer(request_id, body.text, actor=key.id))


@router.get(
    ONE + "/archive",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The ZIP."},
        **NOT_FOUND,
        410: {"model": Problem, "description": "The download period is over."},
    },
)
def archive(request_id: str, _: Backend, rights: Rights) -> FileResponse:
    """The export of a completed access, copy or transfer request (说明.md, data.json, CSV);
    410 once its download period is over (``YINSI_EXPORTS__RETENTION_DAYS``)."""
    request = rights.get(request_id)
    done = request.status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED)
    missing = HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"request {request_id} has no archive: only a completed access, copy or transfer "
        f"request has one (it is {request.kind.value}, {request.status.value})",
    )
    if request.kind not in EXPORT_KINDS or not done:
        raise missing
    try:
        path, _record = rights.exports.download(request_id)
    except ExportExpired:
        raise HTTPException(
            status.HTTP_410_GONE,
            f"the archive of request {request_id} has expired and been (or will be) deleted; "
            "the subject can file a new access or copy request",
        ) from None
    except FileNotFoundError:
        raise missing from None
    return FileResponse(path, media_type="application/zip", filename=f"{request_id}.zip")
