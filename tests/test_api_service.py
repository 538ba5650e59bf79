"""The HTTP service end to end on SQLite and PostgreSQL, through FastAPI's TestClient."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from conftest import EXAMPLES
from test_api_fixtures import Service, service
from yinsi.api.models import DecisionOut, decisions_json
from yinsi.cli.app import app as cli
from yinsi.consent import Decision
from yinsi.security.api_keys import ApiKey, Scope
from yinsi.services.api_keys import KEY_CACHE_SECONDS, KeyCache

__all__ = ["service"]  # the fixture
pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
S1 = f"/v1/apps/{APP}/subjects/s1"
EVIDENCE: dict[str, Any] = {"evidence": {"channel": "app", "account": "acct-1"}}
LOGIN = {"element": "password", "purpose": "account_security", "scenario": "login"}
LOCATION = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}


def publish(service: Service) -> Any:
    text = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")
    return service.client.post(
        "/v1/policies", json={"declaration": text}, headers=service.auth(Scope.ADMIN)
    )


def audit_count(service: Service) -> int:
    answer = service.client.get("/v1/audit/verify", headers=service.auth(Scope.AUDITOR))
    assert answer.status_code == 200 and answer.json()["intact"]
    count: int = answer.json()["entries"]
    return count


def test_healthz_needs_no_key(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}


def test_openapi_lists_the_v1_routes(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/policies",
        "/v1/apps/{app_id}/policies",
        "/v1/apps/{app_id}/subjects/{subject_id}",
        "/v1/apps/{app_id}/subjects/{subject_id}/policy:accept",
        "/v1/apps/{app_id}/subjects/{subject_id}/policy:decline",
        "/v1/apps/{app_id}/subjects/{subject_id}/consents/{consent_id}:grant",
        "/v1/apps/{app_id}/subjects/{subject_id}/consents/{consent_id}:withdraw",
        "/v1/apps/{app_id}/subjects/{subject_id}/decisions",
        "/v1/audit/verify",
    } <= set(paths)


def test_401_without_or_with_a_wrong_key_and_403_without_the_scope(service: Service) -> None:
    assert publish(service).status_code == 201
    c = service.client
    assert c.get(S1).status_code == 401
    assert c.get(S1, headers={"Authorization": "Bearer nope"}).status_code == 401
    grant = f"{S1}/consents/location:grant"
    assert c.post(grant, json=EVIDENCE, headers=service.auth(Scope.AUDITOR)).status_code == 403
    assert c.post(grant, json=EVIDENCE, headers=service.auth(Scope.ADMIN)).status_code == 403
    text = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")
    refused = c.post(
        "/v1/policies", json={"declaration": text}, headers=service.auth(Scope.BACKEND)
    )
    assert refused.status_code == 403
    assert c.get(S1, headers=service.auth(Scope.AUDITOR)).status_code == 200


def test_key_revoked_by_another_process_is_refused_within_the_cache_time(
    service: Service,
) -> None:
    verify = partial(service.client.get, "/v1/audit/verify", headers=service.auth(Scope.AUDITOR))
    assert verify().status_code == 200  # the key is now cached for KEY_CACHE_SECONDS
    runner = CliRunner()
    result = runner.invoke(
        cli, ["keys", "revoke", service.key_ids[Scope.AUDITOR], "--url", service.url]
    )
    assert result.exit_code == 0, result.output
    time.sleep(KEY_CACHE_SECONDS + 0.05)
    assert verify().status_code == 401


def test_key_cache_trusts_a_key_for_its_ttl_and_never_remembers_a_miss() -> None:
    now = [0.0]
    live = {"s1": ApiKey("k1", "one", frozenset({Scope.BACKEND}), datetime.now(UTC), None)}
    reads: list[str] = []

    def lookup(secret: str) -> ApiKey | None:
        reads.append(secret)
        return live.get(secret)

    cache = KeyCache(lookup, ttl=1.0, clock=lambda: now[0])
    assert cache.get("s1") == live["s1"] and cache.get("s1") == live["s1"]
    assert reads == ["s1"]
    del live["s1"]  # revoked elsewhere
    now[0] = 0.99
    assert cache.get("s1") is not None  # still trusted within the second
    now[0] = 1.0
    assert cache.get("s1") is None and cache.get("nope") is None and cache.get("nope") is None
    assert reads == ["s1", "s1", "nope", "nope"]
    live["s2"] = ApiKey("k2", "two", frozenset({Scope.ADMIN}), datetime.now(UTC), None)
    cache.get("s2")
    cache.clear()
    cache.get("s2")
    assert reads[-2:] == ["s2", "s2"]


def test_decision_body_written_directly_equals_the_model_serialisation() -> None:
    decided = [
        Decision(True, "consent", "1.3", ("location",)),
        Decision(False, "separate_consent_required", "1.3", ()),
        Decision(False, "policy_not_accepted", None, ()),
    ]
    expected = [DecisionOut.of(d).model_dump(mode="json") for d in decided]
    assert json.loads(decisions_json(decided)) == expected


def test_publish_accept_grant_and_batch_decisions(service: Service) -> None:
    c, backend = service.client, service.auth(Scope.BACKEND)
    published = publish(service)
    assert published.status_code == 201 and published.json()["version"] == "1.3"
    listed = c.get(f"/v1/apps/{APP}/policies", headers=service.auth(Scope.AUDITOR)).json()
    assert [p["version"] for p in listed] == ["1.3"]
    accepted = c.post(f"{S1}/policy:accept", json=EVIDENCE, headers=backend).json()
    assert accepted["accepted_version"] == "1.3" and accepted["granted"] == ["privacy_policy"]
    granted = c.post(f"{S1}/consents/location:grant", json=EVIDENCE, headers=backend).json()
    assert granted["granted"] == ["location", "privacy_policy"]
    decisions = c.post(f"{S1}/decisions", json=[LOGIN, LOCATION], headers=backend)
    assert decisions.status_code == 200
    assert [(d["allowed"], d["reason"]) for d in decisions.json()] == [
        (True, "consent"),
        (True, "consent"),
    ]
    c.post(f"{S1}/consents/location:withdraw", json=EVIDENCE, headers=backend)
    after = c.post(f"{S1}/decisions", json=[LOCATION], headers=backend).json()
    assert after[0]["reason"] == "consent_withdrawn"
    state = c.get(S1, headers=backend).json()
    assert state["withdrawn"] == ["location"] and state["last_seq"] == 4


def test_client_ip_comes_from_the_request_and_writes_name_the_key(service: Service) -> None:
    publish(service)
    service.client.post(f"{S1}/policy:accept", json=EVIDENCE, headers=service.auth(Scope.BACKEND))
    engine = sa.create_engine(service.url)
    with engine.connect() as conn:
        ips = conn.execute(sa.text("SELECT client_ip FROM consent_events")).scalars().all()
        actors = set(conn.execute(sa.text("SELECT actor FROM audit_entries")).scalars())
    engine.dispose()
    assert ips and all(ip == "testclient" for ip in ips)
    assert {service.key_ids[Scope.ADMIN], service.key_ids[Scope.BACKEND]} <= actors


def test_unknown_element_is_422_naming_it(service: Service) -> None:
    publish(service)
    step = dict(LOGIN, element="passwrod")
    answer = service.client.post(
        f"{S1}/decisions", json=[step], headers=service.auth(Scope.BACKEND)
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert (detail["kind"], detail["name"]) == ("element", "passwrod")
    assert "password" in detail["close"]


def test_unknown_consent_item_is_422_naming_it(service: Service) -> None:
    publish(service)
    answer = service.client.post(
        f"{S1}/consents/locaton:grant", json=EVIDENCE, headers=service.auth(Scope.BACKEND)
    )
    assert answer.status_code == 422
    assert answer.json()["detail"]["name"] == "locaton"


def test_unknown_subject_gets_a_decision_not_an_error(service: Service) -> None:
    publish(service)
    answer = service.client.post(
        f"/v1/apps/{APP}/subjects/never-seen/decisions",
        json=[LOGIN],
        headers=service.auth(Scope.BACKEND),
    )
    assert answer.status_code == 200
    assert answer.json()[0]["reason"] in ("policy_not_accepted", "no_consent")
    assert answer.json()[0]["allowed"] is False


def test_invalid_declaration_is_422_with_file_line_problems(service: Service) -> None:
    answer = service.client.post(
        "/v1/policies",
        json={"declaration": "app:\n  id: x\n"},
        headers=service.auth(Scope.ADMIN),
    )
    assert answer.status_code == 422
    problems = answer.json()["detail"]["problems"]
    assert problems and all(p.startswith("<string>") for p in problems)


def test_republishing_other_content_is_409(service: Service) -> None:
    publish(service)
    text = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8") + "# edited\n"
    answer = service.client.post(
        "/v1/policies", json={"declaration": text}, headers=service.auth(Scope.ADMIN)
    )
    assert answer.status_code == 409


def test_every_write_is_audited(service: Service) -> None:
    before = audit_count(service)  # the three keys' creation
    assert before == 3
    publish(service)
    backend = service.auth(Scope.BACKEND)
    service.client.post(f"{S1}/policy:accept", json=EVIDENCE, headers=backend)  # 2 events
    service.client.post(f"{S1}/consents/location:grant", json=EVIDENCE, headers=backend)
    service.client.post(f"{S1}/decisions", json=[LOGIN], headers=backend)  # a read
    assert audit_count(service) == before + 1 + 2 + 1


def test_keys_are_stored_hashed(service: Service) -> None:
    engine = sa.create_engine(service.url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).all()
        dump = repr(rows) + repr(conn.execute(sa.text("SELECT * FROM audit_entries")).all())
    engine.dispose()
    assert len(rows) == 3
    assert all(secret not in dump for secret in service.keys.values())


def _id(first17: str) -> str:
    from yinsi.consent.age import check_character

    return first17 + check_character(first17)


def test_events_list_the_ledger_with_evidence(service: Service) -> None:
    publish(service)
    c, backend = service.client, service.auth(Scope.BACKEND)
    c.post(f"{S1}/policy:accept", json=EVIDENCE, headers=backend)
    c.post(f"{S1}/consents/location:grant", json=EVIDENCE, headers=backend)
    events = c.get(f"{S1}/events", headers=service.auth(Scope.AUDITOR)).json()
    assert [(e["seq"], e["kind"], e["consent_id"]) for e in events][-1][1:] == (
        "consent_granted",
        "location",
    )
    assert events[0]["evidence"]["account"] == "acct-1"
    assert events[0]["evidence"]["client_ip"] == "testclient"
    never = c.get(f"/v1/apps/{APP}/subjects/nobody/events", headers=backend)
    assert never.status_code == 200 and never.json() == []


def test_x15_use_of_a_single_use_consent_over_http(service: Service) -> None:
    publish(service)
    c, backend = service.client, service.auth(Scope.BACKEND)
    survey = {"element": "survey_responses", "purpose": "survey", "scenario": "survey"}
    c.post(f"{S1}/policy:accept", json=EVIDENCE, headers=backend)
    c.post(f"{S1}/consents/survey:grant", json=EVIDENCE, headers=backend)
    assert c.post(f"{S1}/decisions", json=[survey], headers=backend).json()[0]["allowed"]
    used = c.post(f"{S1}/consents/survey:use", json=EVIDENCE, headers=backend)
    assert used.status_code == 200 and "survey" not in used.json()["granted"]
    after = c.post(f"{S1}/decisions", json=[survey], headers=backend).json()[0]
    assert (after["allowed"], after["reason"]) == (False, "no_consent")
    standing = c.post(f"{S1}/consents/privacy_policy:use", json=EVIDENCE, headers=backend)
    assert standing.status_code == 422
    assert standing.json()["detail"]["kind"] == "not_single_use"


def test_x04_registration_check_refuses_a_minor_and_never_echoes_the_id(
    service: Service,
) -> None:
    publish(service)
    c, backend = service.client, service.auth(Scope.BACKEND)
    url = f"/v1/apps/{APP}/registration:check"
    adult, child = _id("11010519800101123"), _id("11010520200101123")
    ok = c.post(url, json={"id_number": adult}, headers=backend).json()
    assert ok == {"allowed": True, "reason": None, "policy_version": "1.3"}
    refused = c.post(url, json={"id_number": child}, headers=backend)
    assert refused.json() == {"allowed": False, "reason": "minor", "policy_version": "1.3"}
    bad = adult[:-1] + ("0" if adult[-1] != "0" else "1")
    invalid = c.post(url, json={"id_number": bad}, headers=backend)
    assert invalid.status_code == 422
    assert invalid.json()["detail"]["problem"] == "check_digit"
    for answer in (refused, invalid):
        assert adult[6:14] not in answer.text and child[6:14] not in answer.text


def test_admin_manages_keys_over_http_and_others_cannot(service: Service) -> None:
    c, admin = service.client, service.auth(Scope.ADMIN)
    made = c.post("/v1/keys", json={"name": "app-backend", "scopes": ["backend"]}, headers=admin)
    assert made.status_code == 201
    key = made.json()
    assert key["scopes"] == ["backend"] and key["secret"] and key["revoked_at"] is None
    listed = c.get("/v1/keys", headers=admin).json()
    assert key["id"] in {k["id"] for k in listed}
    assert all("secret" not in k for k in listed)
    fresh = {"Authorization": f"Bearer {key['secret']}"}
    assert c.get(f"{S1}/events", headers=fresh).status_code == 200
    assert (
        c.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=fresh).status_code
        == 403
    )
    revoked = c.post(f"/v1/keys/{key['id']}:revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert c.get(f"{S1}/events", headers=fresh).status_code == 401
    assert c.post("/v1/keys/key_nope:revoke", headers=admin).status_code == 404
    bad_scope = c.post("/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert bad_scope.status_code == 422


def test_decisions_route_checks_key_scope_and_body_like_every_route(service: Service) -> None:
    assert publish(service).status_code == 201
    c, path = service.client, f"{S1}/decisions"
    assert c.post(path, json=[LOGIN]).status_code == 401
    assert c.post(path, json=[LOGIN], headers={"Authorization": "Basic x"}).status_code == 401
    assert c.post(path, json=[LOGIN], headers=service.auth(Scope.AUDITOR)).status_code == 403
    backend = service.auth(Scope.BACKEND)
    missing = c.post(path, json=[{"element": "password"}], headers=backend)
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["detail"]} == {
        ("body", 0, "purpose"),
        ("body", 0, "scenario"),
    }
    not_json = c.post(path, content=b"[{", headers={**backend, "content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["detail"][0]["loc"][0] == "body"
    assert c.post(path, json={"element": "x"}, headers=backend).status_code == 422


def test_openapi_documents_the_decision_route_body_answer_and_security(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    operation = spec["paths"]["/v1/apps/{app_id}/subjects/{subject_id}/decisions"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array" and {"element", "purpose", "scenario"} <= set(
        body["items"]["properties"]
    )
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["items"] == {"$ref": "#/components/schemas/DecisionOut"}
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_documented_decision_body_matches_what_the_route_validates() -> None:
    from dataclasses import MISSING, fields

    from yinsi.api.models import DecisionRequestBody
    from yinsi.services.consent import DecisionRequest

    route = {f.name: None if f.default is MISSING else f.default for f in fields(DecisionRequest)}
    documented = {
        name: None if info.is_required() else info.default
        for name, info in DecisionRequestBody.model_fields.items()
    }
    assert route == documented
