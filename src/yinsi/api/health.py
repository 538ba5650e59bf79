"""``GET /healthz`` and ``GET /readyz``: probes for load balancers and orchestrators (no key).

``/healthz`` says the process answers and nothing else: restart the process when it fails.
``/readyz`` checks what requests need — yinsi's database and, when
``operations.broker_url`` is set, the task broker (:func:`yinsi.services.health.readiness`)
— and answers 503 naming each dependency that failed: send no traffic until it passes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from yinsi.api.deps import services_of
from yinsi.api.models import Health
from yinsi.services.health import readiness

__all__ = ["CheckOut", "ReadyOut", "healthz", "readyz", "router"]

router = APIRouter(tags=["service"])


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    status: str
    """``ok``, or ``unavailable`` when a check failed."""
    checks: list[CheckOut]


@router.get("/healthz")
async def healthz() -> Health:
    """The process answers (it checks nothing else).

    ``async`` on purpose: it touches no database and answers from the event loop, so it
    stays fast while every threadpool worker waits on a locked or lost database."""
    return Health()


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A dependency failed (named in checks)."}},
)
async def readyz(request: Request) -> JSONResponse:
    """The database (and the broker when configured) answer: 200, else 503."""
    checks = await run_in_threadpool(readiness, services_of(request))
    ok = all(c.ok for c in checks)
    body = ReadyOut(
        status="ok" if ok else "unavailable",
        checks=[CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in checks],
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
