"""The decision route's per-request shortcuts keep the answers they replace (issue 16).

Costs cut on the hot path: the route is a plain ASGI app (no Starlette
``request_response`` wrapper nor ``Response`` object), the security headers are added
from lists made once, the bearer secret is read from the raw headers, on a server's event
loop one fence serves every decision that one pass of the loop starts, and each request
awaits a future of its own for it. These tests pin what each must keep: the same status,
headers and errors; the middleware's values replacing a route's, and only for the names
it sets on that path; the same secret; a fence still sent after every decision sharing
it asked for it; a cancelled request leaving the others waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from decision_cache_fixtures import pg
from yinsi.api import decisions
from yinsi.api.auth import bearer_secret
from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent_cache import LoopFences
from yinsi.services.root import Services
from yinsi.storage.notify import ChangeFeed, FeedDown
from yinsi.web.headers import CSP, SecurityHeaders, headers_for

pytest_plugins = ["storage_fixtures"]
__all__ = ["pg"]  # the fixture

APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct", signature_sha256="0" * 64)
STEP = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}
PATH = f"/v1/apps/{APP}/subjects/s1/decisions"


# ---------------------------------------------------------------- security headers


def _headers_app(sent: dict[str, str]) -> FastAPI:
    """An app whose every route answers with ``sent`` as headers, behind SecurityHeaders."""
    app = FastAPI()

    @app.get("/{path:path}")
    def anything() -> Response:
        return Response(b"x", headers=sent)

    app.add_middleware(SecurityHeaders)
    return app


def test_security_headers_replace_a_routes_values_only_for_the_names_set_there() -> None:
    route_sent = {"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "public, max-age=60"}
    client = TestClient(_headers_app(route_sent))
    api = client.get("/v1/anything")
    assert api.headers.get_list("x-frame-options") == ["DENY"]  # replaced, not doubled
    assert api.headers["cache-control"] == "public, max-age=60"  # not set on the API: kept
    assert "content-security-policy" not in api.headers
    page = client.get("/privacy/x")
    assert page.headers.get_list("cache-control") == ["no-store"]  # PI never stored
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    static = client.get("/static/a.css")
    assert static.headers["cache-control"] == "public, max-age=60"
    assert static.headers["content-security-policy"] == CSP


def test_security_headers_are_chosen_by_path_like_the_documented_table() -> None:
    def names(path: str) -> set[bytes]:
        return {name for name, _ in headers_for(path)}

    every = {b"x-content-type-options", b"x-frame-options", b"referrer-policy"}
    every.add(b"cross-origin-opener-policy")
    assert names("/v1/apps/a/subjects/s/decisions") == every
    assert names("/") == names("/static/x.js") == every | {b"content-security-policy"}
    assert (
        names("/privacy")
        == names("/console/login")
        == (every | {b"content-security-policy", b"cache-control"})
    )
    assert names("/privacyx") == every  # a prefix is a whole segment


# ---------------------------------------------------------------- the route as an ASGI app


@pytest.fixture
def client(pg: tuple[str, Services]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    _, services = pg
    _, secret = services.api_keys.create("hot", [Scope.BACKEND])
    _, auditor = services.api_keys.create("audit", [Scope.AUDITOR])
    services.consent.accept_policy(APP, "s1", evidence=EVIDENCE)
    with TestClient(create_app(services)) as test_client:
        yield test_client, {"backend": secret, "auditor": auditor}


def test_the_route_is_served_without_starlettes_request_wrapper() -> None:
    assert isinstance(decisions.route.app, decisions.DecisionsApp)


def test_the_asgi_route_answers_like_a_response_object_did(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    test_client, secrets = client
    backend = {"Authorization": f"Bearer {secrets['backend']}"}
    for _ in range(3):  # a miss (executor), then hits decided on the loop behind a fence
        answer = test_client.post(PATH, json=[STEP, STEP], headers=backend)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert int(answer.headers["content-length"]) == len(answer.content)
        assert answer.headers["x-frame-options"] == "DENY"
        assert [d["allowed"] for d in answer.json()] == [False, False]  # not granted
    unknown = test_client.post(PATH, json=[STEP], headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"] == "Bearer"
    assert unknown.headers["x-frame-options"] == "DENY"
    auditor = {"Authorization": f"Bearer {secrets['auditor']}"}
    assert test_client.post(PATH, json=[STEP], headers=auditor).status_code == 403
    bad = test_client.post(PATH, json=[{"element": "x"}], headers=backend)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][0] == "body"
    assert test_client.get(PATH, headers=backend).status_code == 405


# ---------------------------------------------------------------- fences on the loop


def _feed(services: Services) -> ChangeFeed:
    cache = services.state_cache
    assert cache is not None and isinstance(cache.feed, ChangeFeed)
    return cache.feed


async def _listening(services: Services) -> ChangeFeed:
    cache, feed = services.state_cache, _feed(services)
    assert cache is not None
    await cache.serve_on_loop()
    feed.start()
    deadline = time.monotonic() + 10
    while not feed.ready:
        assert time.monotonic() < deadline, "the change listener did not connect"
        await asyncio.sleep(0.01)
    return feed


def test_decisions_started_in_one_pass_of_the_loop_share_one_fence(
    pg: tuple[str, Services],
) -> None:
    """Before, the first of them sent its ``SELECT 1`` at once and the others waited for
    the next one (two round trips); now the fence goes out after the pass, for all."""
    _, services = pg

    async def main() -> tuple[list[Future[None]], int]:
        feed = await _listening(services)
        sent = 0
        send_next = feed._send_next

        def counting() -> None:
            nonlocal sent
            before = feed._inflight
            send_next()
            sent += feed._inflight is not None and feed._inflight is not before

        feed._send_next = counting  # type: ignore[method-assign]

        async def ask() -> Future[None]:
            return feed.fence()

        fences = await asyncio.gather(*(ask() for _ in range(6)))  # one pass of the loop
        await asyncio.wait_for(asyncio.wrap_future(fences[0]), 5)
        await services.state_cache.stop_serving_on_loop()  # type: ignore[union-attr]
        return fences, sent

    fences, sent = asyncio.run(main())
    assert len({id(f) for f in fences}) == 1 and sent == 1
    assert all(f.done() and f.exception() is None for f in fences)


def test_a_fence_asked_for_while_one_is_in_flight_waits_for_the_next(
    pg: tuple[str, Services],
) -> None:
    """The bound: a fence completes only after the answer to a ``SELECT 1`` sent after it
    was asked for, never with the one already in flight."""
    _, services = pg

    async def main() -> None:
        feed = await _listening(services)
        first = feed.fence()
        await asyncio.sleep(0)  # the pass ends: the first fence's query goes out
        assert feed._inflight is first
        second = feed.fence()
        assert second is not first
        await asyncio.wait_for(asyncio.wrap_future(first), 5)
        await asyncio.wait_for(asyncio.wrap_future(second), 5)
        await services.state_cache.stop_serving_on_loop()  # type: ignore[union-attr]

    asyncio.run(main())


def test_a_cancelled_request_leaves_the_others_waiting_on_its_fence() -> None:
    """Each request awaits a future of its own: a client gone cancels only its request."""

    async def main() -> None:
        fences = LoopFences(5.0)
        fence: Future[None] = Future()
        gone = asyncio.ensure_future(fences.passed(fence))
        waiting = asyncio.ensure_future(fences.passed(fence))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        fence.set_result(None)  # completed on the loop, as a feed driven by it does
        assert await waiting is True and gone.cancelled()
        assert await fences.passed(fence) is True  # settled already: answered at once

    asyncio.run(main())


def test_a_fence_that_fails_takes_too_long_or_completes_in_a_thread() -> None:
    async def main() -> None:
        failed: Future[None] = Future()
        failed.set_exception(FeedDown("reconnecting"))
        assert await LoopFences(5.0).passed(failed) is False
        started = time.monotonic()
        assert await LoopFences(0.05).passed(Future()) is False  # never completes
        assert time.monotonic() - started < 2
        threaded: Future[None] = Future()
        threading.Timer(0.02, threaded.set_result, [None]).start()  # the listener thread
        assert await LoopFences(5.0).passed(threaded) is True

    asyncio.run(main())


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ([(b"authorization", b"Bearer abc")], "abc"),
        ([(b"authorization", b"bearer   abc  ")], "abc"),
        ([(b"authorization", b"Basic abc")], None),
        ([(b"authorization", b"Bearer ")], None),
        ([(b"host", b"x")], None),
        ([(b"authorization", b"Bearer first"), (b"authorization", b"Bearer second")], "first"),
    ],
)
def test_the_bearer_secret_is_read_like_starlettes_headers_do(
    headers: list[tuple[bytes, bytes]], secret: str | None
) -> None:
    """The secret is read from the raw headers (no ``Headers`` object), with the answer
    ``request.headers.get`` would have given."""
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": headers})
    assert bearer_secret(request) == secret
    given = request.headers.get("authorization")
    scheme, _, rest = (given or "").partition(" ")
    assert secret == (rest.strip() or None if scheme.lower() == "bearer" else None)
