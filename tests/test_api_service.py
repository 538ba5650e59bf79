"""The HTTP service end to end on an embedded SQLite engine, through FastAPI's TestClient."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from test_api_fixtures import Service, service

__all__ = ["service"]  # the fixture
from conftest import EXAMPLES
from yinsi.cli.app import app as cli
from yinsi.storage import Scope

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


def test_revoked_key_is_refused(service: Service) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["keys", "revoke", service.key_ids[Scope.AUDITOR], "--url", service.url]
    )
    assert result.exit_code == 0, result.output
    assert (
        service.client.get("/v1/audit/verify", headers=service.auth(Scope.AUDITOR)).status_code
        == 401
    )


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
