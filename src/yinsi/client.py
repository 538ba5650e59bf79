"""``YinsiClient`` and ``AsyncYinsiClient``: the :class:`~yinsi.Engine` methods over HTTP.

The same names and signatures as the engine for publish, accept_policy, decline_policy,
grant, withdraw, use, state, events, decide, decide_batch and register_check, returning
the same domain types (and ``acquire``/``acquisitions`` of the acquisition gate, X18:
:mod:`yinsi.client_sourcing`); ``iter_events`` walks a long ledger page by page (the service's
list routes are paginated: ``?limit=``/``?cursor=``, ``X-Next-Cursor``). A 422 naming an unknown element, purpose, consent item, …
raises :class:`~yinsi.consent.UnknownName`; using an item that is not single-use raises
:class:`~yinsi.consent.NotSingleUse`, an invalid ID number
:class:`~yinsi.consent.InvalidIdNumber`; other error answers raise
:class:`httpx.HTTPStatusError`.

An app imports this module at start-up, so it imports httpx and the consent domain's
plain values only, never a server package (SQLAlchemy, FastAPI, the services): an
import-linter contract and tests/test_startup.py hold it to that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from yinsi.client_sourcing import SourcingCalls
from yinsi.consent import (
    Channel,
    ConsentEvent,
    ConsentState,
    Decision,
    DecisionRequest,
    EventKind,
    Evidence,
    InvalidIdNumber,
    NotSingleUse,
    UnknownName,
)
from yinsi.declaration.versions import ChangeFlag, PolicyVersion

__all__ = ["AsyncYinsiClient", "YinsiClient"]

Call = tuple[str, str, Any]
"""(method, path, JSON body)."""

PAGE_SIZE = 1000
"""Items asked per page when a client method walks a paginated list (the service's maximum)."""
NEXT_CURSOR = "X-Next-Cursor"


def _subject(app_id: str, subject_id: str) -> str:
    return f"/v1/apps/{app_id}/subjects/{subject_id}"


def _evidence(evidence: Evidence) -> dict[str, Any]:
    body = asdict(evidence)
    body.pop("client_ip")  # the service takes it from the request
    body["channel"] = evidence.channel.value
    return body


def _declaration(declaration: str | Path) -> str:
    if isinstance(declaration, str) and "\n" in declaration:
        return declaration
    return Path(declaration).read_text(encoding="utf-8")


def _next(response: httpx.Response) -> str | None:
    """The cursor of the page after this one (None: the last page)."""
    return response.headers.get(NEXT_CURSOR) or None


def _check(response: httpx.Response) -> Any:
    if response.status_code == 422:
        detail = response.json().get("detail")
        if isinstance(detail, dict) and detail.get("kind") == "not_single_use":
            raise NotSingleUse(detail["name"], "")
        if isinstance(detail, dict) and detail.get("kind") == "id_number":
            raise InvalidIdNumber("(masked)", detail["problem"], detail["message"])
        if isinstance(detail, dict) and {"kind", "name"} <= detail.keys():
            raise UnknownName(detail["kind"], detail["name"], detail.get("close", ()))
    response.raise_for_status()
    return response.json()


def _state(data: dict[str, Any]) -> ConsentState:
    updated = data["updated_at"]
    return ConsentState(
        app_id=data["app_id"],
        subject_id=data["subject_id"],
        accepted_version=data["accepted_version"],
        declined_version=data["declined_version"],
        granted=frozenset(data["granted"]),
        withdrawn=frozenset(data["withdrawn"]),
        last_seq=data["last_seq"],
        updated_at=None if updated is None else datetime.fromisoformat(updated),
    )


def _policy(data: dict[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        app_id=data["app_id"],
        version=data["version"],
        content_sha256=data["content_sha256"],
        effective=date.fromisoformat(data["effective"]),
        published_at=datetime.fromisoformat(data["published_at"]),
        previous_version=data["previous_version"],
        declaration_text="",  # not sent back; the caller has the text it published
        changes=tuple(ChangeFlag(**c) for c in data["changes"]),
    )


def _event(data: dict[str, Any]) -> ConsentEvent:
    ev = data["evidence"]
    return ConsentEvent(
        app_id=data["app_id"],
        subject_id=data["subject_id"],
        kind=EventKind(data["kind"]),
        policy_version=data["policy_version"],
        at=datetime.fromisoformat(data["at"]),
        evidence=Evidence(
            Channel(ev["channel"]),
            ev["account"],
            ev["signature_sha256"],
            ev["client_ip"],
            ev["user_agent"],
        ),
        consent_id=data["consent_id"],
        seq=data["seq"],
    )


def _registration(data: dict[str, Any]) -> Decision | None:
    if data["allowed"]:
        return None
    return Decision(False, data["reason"], data["policy_version"])


def _decision(data: dict[str, Any]) -> Decision:
    return Decision(
        data["allowed"], data["reason"], data["policy_version"], tuple(data["consent_ids"])
    )


class _Calls:
    """The HTTP call each method makes; the sync and async clients only send them."""

    @staticmethod
    def publish(declaration: str | Path) -> Call:
        return "POST", "/v1/policies", {"declaration": _declaration(declaration)}

    @staticmethod
    def answer(
        app_id: str, subject_id: str, verb: str, version: str | None, evidence: Evidence
    ) -> Call:
        body = {"version": version, "evidence": _evidence(evidence)}
        return "POST", f"{_subject(app_id, subject_id)}/policy:{verb}", body

    @staticmethod
    def consent(
        app_id: str, subject_id: str, consent_id: str, verb: str, evidence: Evidence
    ) -> Call:
        path = f"{_subject(app_id, subject_id)}/consents/{consent_id}:{verb}"
        return "POST", path, {"evidence": _evidence(evidence)}

    @staticmethod
    def events(app_id: str, subject_id: str, cursor: str | None, limit: int) -> Call:
        query = f"?limit={limit}" + ("" if cursor is None else f"&cursor={cursor}")
        return "GET", f"{_subject(app_id, subject_id)}/events{query}", None

    @staticmethod
    def register_check(app_id: str, id_number: str) -> Call:
        return "POST", f"/v1/apps/{app_id}/registration:check", {"id_number": id_number}

    @staticmethod
    def decide(app_id: str, subject_id: str, requests: Sequence[DecisionRequest]) -> Call:
        body = [asdict(r) for r in requests]
        return "POST", f"{_subject(app_id, subject_id)}/decisions", body


class YinsiClient(SourcingCalls):
    """``YinsiClient("https://yinsi.internal", api_key)``.

    ``http`` plugs in a configured :class:`httpx.Client` (proxies, TLS, timeouts, or a
    test client); its ``base_url`` is used and the key header is added per request.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._owned = http is None
        self._http = http or httpx.Client(base_url=base_url, transport=transport)

    def close(self) -> None:
        """Close the HTTP client, unless it was passed in (its owner closes it)."""
        if self._owned:
            self._http.close()

    def _send(self, call: Call) -> Any:
        return _check(self._request(call))

    def _request(self, call: Call) -> httpx.Response:
        method, path, body = call
        return self._http.request(method, path, json=body, headers=self._auth)

    def publish(self, declaration: str | Path) -> PolicyVersion:
        return _policy(self._send(_Calls.publish(declaration)))

    def accept_policy(
        self, app_id: str, subject_id: str, *, version: str | None = None, evidence: Evidence
    ) -> ConsentState:
        return _state(self._send(_Calls.answer(app_id, subject_id, "accept", version, evidence)))

    def decline_policy(
        self, app_id: str, subject_id: str, *, version: str | None = None, evidence: Evidence
    ) -> ConsentState:
        return _state(self._send(_Calls.answer(app_id, subject_id, "decline", version, evidence)))

    def grant(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        return _state(self._send(_Calls.consent(app_id, subject_id, consent_id, "grant", evidence)))

    def withdraw(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        return _state(
            self._send(_Calls.consent(app_id, subject_id, consent_id, "withdraw", evidence))
        )

    def use(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        return _state(self._send(_Calls.consent(app_id, subject_id, consent_id, "use", evidence)))

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        return _state(self._send(("GET", _subject(app_id, subject_id), None)))

    def events(self, app_id: str, subject_id: str) -> list[ConsentEvent]:
        """The whole ledger (every page); :meth:`iter_events` reads it a page at a time."""
        return list(self.iter_events(app_id, subject_id))

    def iter_events(
        self, app_id: str, subject_id: str, *, page_size: int = PAGE_SIZE
    ) -> Iterator[ConsentEvent]:
        """The ledger in order, fetched ``page_size`` events per request as it is read."""
        cursor: str | None = None
        while True:
            response = self._request(_Calls.events(app_id, subject_id, cursor, page_size))
            yield from (_event(e) for e in _check(response))
            cursor = _next(response)
            if cursor is None:
                return

    def register_check(self, app_id: str, id_number: str) -> Decision | None:
        return _registration(self._send(_Calls.register_check(app_id, id_number)))

    def decide(
        self,
        app_id: str,
        subject_id: str,
        *,
        element: str,
        purpose: str,
        scenario: str,
        minor: bool = False,
        restricted: bool = False,
        under_14: bool = False,
    ) -> Decision:
        request = DecisionRequest(element, purpose, scenario, minor, restricted, under_14)
        return self.decide_batch(app_id, subject_id, (request,))[0]

    def decide_batch(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision]:
        return [_decision(d) for d in self._send(_Calls.decide(app_id, subject_id, requests))]


class AsyncYinsiClient:
    """:class:`YinsiClient` with ``await``; ``transport`` e.g. ``httpx.ASGITransport(app)``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._owned = http is None
        self._http = http or httpx.AsyncClient(base_url=base_url, transport=transport)

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was passed in (its owner closes it)."""
        if self._owned:
            await self._http.aclose()

    async def _send(self, call: Call) -> Any:
        return _check(await self._request(call))

    async def _request(self, call: Call) -> httpx.Response:
        method, path, body = call
        return await self._http.request(method, path, json=body, headers=self._auth)

    async def publish(self, declaration: str | Path) -> PolicyVersion:
        return _policy(await self._send(_Calls.publish(declaration)))

    async def accept_policy(
        self, app_id: str, subject_id: str, *, version: str | None = None, evidence: Evidence
    ) -> ConsentState:
        call = _Calls.answer(app_id, subject_id, "accept", version, evidence)
        return _state(await self._send(call))

    async def decline_policy(
        self, app_id: str, subject_id: str, *, version: str | None = None, evidence: Evidence
    ) -> ConsentState:
        call = _Calls.answer(app_id, subject_id, "decline", version, evidence)
        return _state(await self._send(call))

    async def grant(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        call = _Calls.consent(app_id, subject_id, consent_id, "grant", evidence)
        return _state(await self._send(call))

    async def withdraw(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        call = _Calls.consent(app_id, subject_id, consent_id, "withdraw", evidence)
        return _state(await self._send(call))

    async def use(
        self, app_id: str, subject_id: str, consent_id: str, *, evidence: Evidence
    ) -> ConsentState:
        call = _Calls.consent(app_id, subject_id, consent_id, "use", evidence)
        return _state(await self._send(call))

    async def state(self, app_id: str, subject_id: str) -> ConsentState:
        return _state(await self._send(("GET", _subject(app_id, subject_id), None)))

    async def events(self, app_id: str, subject_id: str) -> list[ConsentEvent]:
        """The whole ledger (every page); :meth:`iter_events` reads it a page at a time."""
        return [e async for e in self.iter_events(app_id, subject_id)]

    async def iter_events(
        self, app_id: str, subject_id: str, *, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[ConsentEvent]:
        """The ledger in order, fetched ``page_size`` events per request as it is read."""
        cursor: str | None = None
        while True:
            response = await self._request(_Calls.events(app_id, subject_id, cursor, page_size))
            for event in _check(response):
                yield _event(event)
            cursor = _next(response)
            if cursor is None:
                return

    async def register_check(self, app_id: str, id_number: str) -> Decision | None:
        return _registration(await self._send(_Calls.register_check(app_id, id_number)))

    async def decide(
        self,
        app_id: str,
        subject_id: str,
        *,
        element: str,
        purpose: str,
        scenario: str,
        minor: bool = False,
        restricted: bool = False,
        under_14: bool = False,
    ) -> Decision:
        request = DecisionRequest(element, purpose, scenario, minor, restricted, under_14)
        return (await self.decide_batch(app_id, subject_id, (request,)))[0]

    async def decide_batch(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision]:
        decided = await self._send(_Calls.decide(app_id, subject_id, requests))
        return [_decision(d) for d in decided]
