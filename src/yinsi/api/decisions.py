"""``POST /v1/apps/{app_id}/subjects/{subject_id}/decisions``: the service's hot path.

App back-ends ask it before every processing step, so it is written for speed while
keeping the contract of every other route. It takes only the ``Request``: the API key is
checked by :func:`~yinsi.api.auth.authorize` (the same 401/403 answers as the ``Backend``
dependency, through the app's key cache); the body is validated in one pass from the raw
bytes by a pydantic ``TypeAdapter`` straight into the engine's ``DecisionRequest`` values
(the same fields and defaults as :class:`~yinsi.api.models.DecisionRequestBody`; errors
give FastAPI's usual 422, locations under ``body``); the answer is written by
:func:`~yinsi.api.models.decisions_json`. FastAPI's dependency solving and response
re-validation cost more per request than the state read and ten decisions together (see
docs/benchmarks.md). The OpenAPI document still describes the body, the answer and the
bearer security. :func:`yinsi.api.include` serves the path by :data:`route`, a plain
Starlette route put before every router (so it is matched first, without FastAPI's
per-request wrapper nor Starlette's); the router's route only describes it in the OpenAPI
document.
The body is read on the event loop. On PostgreSQL or MariaDB the key check, validation
and decisions run in one hop to the loop's executor: a locked table or a lost server must
not stall other requests (``/healthz``). On SQLite they run on the loop: a read-only unit
of work on a WAL file never waits for a lock, and a thread hop there costs 30–50 % of the
route's throughput on a 2-CPU machine (docs/benchmarks.md, 2026-12-06).
"""

from __future__ import annotations

import asyncio
import contextvars

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.routing import Route
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from yinsi.api.auth import authorize, bearer_secret, cached_key
from yinsi.api.deps import services_of
from yinsi.api.limits import BODY
from yinsi.api.models import DecisionOut, DecisionRequestBody, decisions_json
from yinsi.security.api_keys import Scope
from yinsi.services.consent import DecisionRequest

PATH = "/v1/apps/{app_id}/subjects/{subject_id}/decisions"
_BODY = TypeAdapter(list[DecisionRequest])  # the engine's own value: no conversion step
_BACKEND = frozenset({Scope.BACKEND})
_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": DecisionRequestBody.model_json_schema()}
            }
        },
    },
    "security": [{"HTTPBearer": []}],
    "parameters": [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "title": title},
        }
        for name, title, description in (
            ("app_id", "App Id", "The app's id in its published declaration."),
            ("subject_id", "Subject Id", "The app's pseudonymous id of the user."),
        )
    ],
}


router = APIRouter(tags=["decisions"])


@router.post(PATH, response_model=list[DecisionOut], openapi_extra=_OPENAPI)
async def decisions(request: Request) -> Response:
    """Decide a batch of (element, purpose, scenario) steps on one read of the state.

    Each answer says allowed or not, the machine-readable reason and the policy
    version it was decided under. An unknown subject is decided (``no_consent`` or
    browse-only), never an error; an unknown element, purpose or scenario is a 422
    naming it. Scope: backend.
    """
    return Response(await answer(request), media_type="application/json")


async def answer(request: Request) -> bytes:
    """The JSON answer to a decision request (the work of :func:`decisions`); raises
    the ``HTTPException`` or ``RequestValidationError`` its error answers are made of."""
    raw = request.scope.get(BODY)  # read and checked by InputLimits
    if not isinstance(raw, bytes):
        raw = await request.body()
    services = services_of(request)
    if services.database.dialect.name == "sqlite":
        return _decide(request, raw)  # local WAL reads never wait for a lock: no hop
    # The subject's state cached (PostgreSQL) and the key too: decided on the loop once
    # the change listener has vouched for the state (its fence), no database call.
    params = request.path_params
    engine = services.consent
    fence = engine.decision_fence(params["app_id"], params["subject_id"])
    if fence is not None and await engine.fence_passed(fence):
        key = cached_key(request, secret := bearer_secret(request))
        if key is not None:
            authorize(request, secret, _BACKEND, key=key)
            decided = engine.decide_cached(params["app_id"], params["subject_id"], _body(raw))
            if decided is not None:
                return decisions_json(decided)
    # A network database may wait (a lock, a lost server): the key check and the state
    # read run in the loop's executor, one hop for both, so the event loop never stalls
    # (issue 16). asyncio's executor, not anyio's to_thread: a third of the hop's cost.
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, context.run, _decide, request, raw)


class DecisionsApp:
    """The ASGI app :data:`route` serves the path with: :func:`answer`, then the two
    messages of a 200 with ``application/json`` (the headers ``Response`` would give).

    A plain ASGI app, not a request function: Starlette would wrap a function in
    ``request_response``, a second exception-handler layer (one more wrapper of every
    message sent) and a ``Response`` object per request, about 4 % of a worker's CPU on
    the route (py-spy, 2026-12-06). Errors still reach the app's exception handlers:
    what :func:`answer` raises goes up to Starlette's ``ExceptionMiddleware``, which
    answers it with the same handlers that inner layer would have used.
    """

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        body = await answer(Request(scope, receive, send))
        length = (b"content-length", str(len(body)).encode("latin-1"))
        headers = [length, _JSON_TYPE]  # a new list: middlewares add to it
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_JSON_TYPE = (b"content-type", b"application/json")

route = Route(PATH, DecisionsApp(), methods=["POST"], name="decisions")
"""What serves the path (:func:`yinsi.api.include` puts it before every router): a plain
Starlette route calling :class:`DecisionsApp`, without FastAPI's request wrapper (two
exit stacks, the telemetry hook, dependency solving for a ``Request`` parameter: about
0.03 ms of CPU a request, a quarter of the whole app's on the route, measured
2026-12-06) nor Starlette's (see :class:`DecisionsApp`). The router's route stays for
the OpenAPI document; errors still go through the app's exception handlers."""


def _decide(request: Request, raw: bytes) -> bytes:
    authorize(request, bearer_secret(request), _BACKEND)
    params = request.path_params
    engine = services_of(request).consent
    decided = engine.decide_batch(params["app_id"], params["subject_id"], _body(raw))
    return decisions_json(decided)


def _body(raw: bytes) -> list[DecisionRequest]:
    try:
        return _BODY.validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
