"""YinsiClient and AsyncYinsiClient against create_app, in-process (no socket)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conftest import EXAMPLES
from test_api_fixtures import Service, service
from yinsi.client import AsyncYinsiClient, YinsiClient
from yinsi.consent import (
    Channel,
    EventKind,
    Evidence,
    InvalidIdNumber,
    NotSingleUse,
    UnknownName,
)
from yinsi.consent.age import check_character
from yinsi.declaration.versions import PolicyVersion
from yinsi.security.api_keys import Scope
from yinsi.services.consent import DecisionRequest

__all__ = ["service"]  # the fixture
pytest_plugins = ["storage_fixtures"]


APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct-1")
XY = EXAMPLES / "xiaoying-kadai.yaml"


def _id(first17: str) -> str:
    return first17 + check_character(first17)


ADULT = _id("11010519800101123")
CHILD = _id("11010520200101123")


def test_sync_client_has_the_engine_methods(service: Service) -> None:
    http = service.client  # TestClient is an httpx.Client running the app in-process
    admin = YinsiClient("http://testserver", service.keys[Scope.ADMIN], http=http)
    published = admin.publish(XY)
    assert isinstance(published, PolicyVersion)
    assert (published.version, published.previous_version, published.material) == (
        "1.3",
        None,
        False,
    )
    c = YinsiClient("http://testserver", service.keys[Scope.BACKEND], http=http)
    state = c.accept_policy(APP, "s1", evidence=EVIDENCE)
    assert state.accepted_version == "1.3" and state.granted == {"privacy_policy"}
    assert c.grant(APP, "s1", "location", evidence=EVIDENCE).granted == {
        "privacy_policy",
        "location",
    }
    login = c.decide(APP, "s1", element="password", purpose="account_security", scenario="login")
    assert (login.allowed, login.reason, login.consent_ids) == (
        True,
        "consent",
        ("privacy_policy",),
    )
    step = DecisionRequest("precise_location", "anti_fraud", "location")
    assert c.decide_batch(APP, "s1", [step])[0].allowed
    assert c.withdraw(APP, "s1", "location", evidence=EVIDENCE).withdrawn == {"location"}
    assert c.state(APP, "s1").last_seq == 4
    assert c.decline_policy(APP, "s2", evidence=EVIDENCE).declined_version == "1.3"
    with pytest.raises(UnknownName) as caught:
        c.decide(APP, "s1", element="passwrod", purpose="account_security", scenario="login")
    assert (caught.value.kind, caught.value.name) == ("element", "passwrod")
    with pytest.raises(httpx.HTTPStatusError):
        YinsiClient("http://testserver", "bad", http=http).state(APP, "s1")
    events = c.events(APP, "s1")
    assert [e.kind for e in events][-1] is EventKind.CONSENT_WITHDRAWN
    assert events[0].evidence.account == "acct-1" and events[0].evidence.client_ip
    c.grant(APP, "s1", "survey", evidence=EVIDENCE)
    assert "survey" not in c.use(APP, "s1", "survey", evidence=EVIDENCE).granted
    with pytest.raises(NotSingleUse):
        c.use(APP, "s1", "location", evidence=EVIDENCE)
    assert c.register_check(APP, ADULT) is None
    refusal = c.register_check(APP, CHILD)
    assert refusal is not None and (refusal.allowed, refusal.reason) == (False, "minor")
    with pytest.raises(InvalidIdNumber):
        c.register_check(APP, ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"))
    c.close()
    admin.close()
    assert not http.is_closed  # a passed-in client is its owner's to close


def test_async_client_over_asgi_transport(service: Service) -> None:

    transport = httpx.ASGITransport(app=service.client.app)

    async def scenario() -> None:
        admin = AsyncYinsiClient("http://t", service.keys[Scope.ADMIN], transport=transport)
        await admin.publish(XY)
        c = AsyncYinsiClient("http://t", service.keys[Scope.BACKEND], transport=transport)
        await c.accept_policy(APP, "s1", evidence=EVIDENCE)
        await c.grant(APP, "s1", "location", evidence=EVIDENCE)
        d = await c.decide(
            APP, "s1", element="precise_location", purpose="anti_fraud", scenario="location"
        )
        assert d.allowed
        await c.withdraw(APP, "s1", "location", evidence=EVIDENCE)
        assert (await c.state(APP, "s1")).withdrawn == {"location"}
        assert (await c.decline_policy(APP, "s2", evidence=EVIDENCE)).declined_version == "1.3"
        assert [e.kind for e in await c.events(APP, "s1")][-1] is EventKind.CONSENT_WITHDRAWN
        assert await c.register_check(APP, ADULT) is None
        batch = await c.decide_batch(
            APP, "never-seen", [DecisionRequest("password", "account_security", "login")]
        )
        assert not batch[0].allowed
        with pytest.raises(UnknownName):
            await c.grant(APP, "s1", "locaton", evidence=EVIDENCE)
        await c.aclose()
        await admin.aclose()

    asyncio.run(scenario())
