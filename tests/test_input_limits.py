"""Hostile HTTP input (issue 14, input limits) on SQLite and PostgreSQL: body and field
sizes, NUL and invalid UTF-8, ids checked alike on every database, PI-looking subject ids,
422 bodies that echo nothing, and no SQL parameter in any log."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from conftest import EXAMPLES
from test_api_fixtures import Service, service
from yinsi.api.limits import first_line
from yinsi.api.models import EvidenceBody
from yinsi.api.rights_models import SubmitBody
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.inputs import InputSettings
from yinsi.storage import create_engine, upgrade

__all__ = ["service"]  # the fixture
pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
SUBJECTS = f"/v1/apps/{APP}/subjects"
S1 = f"{SUBJECTS}/s1"
EVIDENCE: dict[str, Any] = {"evidence": {"channel": "app", "account": "acct-1"}}
PHONE, ID_NUMBER, EMAIL = "13812345678", "11010519491231002X", "zhang.san@example.com"

BOMB_7 = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True)
)
"""Seven levels of aliases (9⁷ strings): what took the server to 1.5 GB (issue 14)."""


def publish(service: Service) -> None:
    text = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")
    answer = service.client.post(
        "/v1/policies", json={"declaration": text}, headers=service.auth(Scope.ADMIN)
    )
    assert answer.status_code == 201


def accept(service: Service, path: str, body: Any = EVIDENCE, **more: Any) -> Any:
    return service.client.post(
        f"{path}/policy:accept", json=body, headers=service.auth(Scope.BACKEND), **more
    )


def event_count(service: Service) -> int:
    engine = sa.create_engine(service.url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM consent_events")).scalar_one()
    engine.dispose()
    return int(count)


def validation_error(answer: Any, loc: list[Any]) -> str:
    """The message of a 422 in FastAPI's documented shape, at ``loc``, echoing nothing."""
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert set(error) == {"type", "loc", "msg"} and error["loc"] == loc
    message: str = error["msg"]
    return message


# ------------------------------------------------------------------ bodies


def test_a_body_over_the_limit_is_413_by_content_length(service: Service) -> None:
    huge = {"evidence": {"channel": "app", "user_agent": "a" * 20_000_000}}  # 20 MB (issue)
    answer = accept(service, S1, huge)
    assert answer.status_code == 413
    assert "5,000,000 bytes" in answer.json()["detail"]
    assert "YINSI_INPUTS__MAX_BODY_BYTES" in answer.json()["detail"]


@pytest.fixture
def small_body_service(tmp_path: Path) -> Iterator[TestClient]:
    """The service with a 10 kB body limit from the settings."""
    url = f"sqlite:///{tmp_path / 'y.db'}"
    upgrade(url)
    db = create_engine(url)
    settings = Settings(inputs=InputSettings(max_body_bytes=10_000))
    with TestClient(create_app(Services(db, actor="api", settings=settings))) as client:
        yield client
    db.dispose()


def test_a_streamed_body_is_counted_without_content_length(
    small_body_service: TestClient,
) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(1_000):
            sent.append(1)
            yield b"x" * 1_000

    answer = small_body_service.post(
        "/v1/policies", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413 and "10,000 bytes" in answer.json()["detail"]


def test_the_body_limit_comes_from_the_settings(small_body_service: TestClient) -> None:
    answer = small_body_service.post("/v1/policies", json={"declaration": "x" * 20_000})
    assert answer.status_code == 413
    assert small_body_service.post("/v1/policies", json={"declaration": "x"}).status_code == 401


def test_a_huge_user_agent_under_the_body_limit_is_422_and_not_stored(service: Service) -> None:
    publish(service)
    body = {"evidence": {"channel": "app", "user_agent": "Mozilla/5.0 " + "a" * 5_000}}
    message = validation_error(accept(service, S1, body), ["body", "evidence", "user_agent"])
    assert "1024" in message and "aaaa" not in message
    assert event_count(service) == 0


@pytest.mark.parametrize("field", ["user_agent", "account"])
def test_a_nul_in_a_body_field_is_422_on_every_database(service: Service, field: str) -> None:
    publish(service)
    body = {"evidence": {"channel": "app", field: "a\x00b"}}
    message = validation_error(accept(service, S1, body), ["body"])
    assert "NUL" in message
    assert event_count(service) == 0


def test_an_escape_character_in_the_user_agent_is_422(service: Service) -> None:
    publish(service)
    body = {"evidence": {"channel": "app", "user_agent": "a\x1b[31mb"}}
    message = validation_error(accept(service, S1, body), ["body", "evidence", "user_agent"])
    assert "U+001B" in message


def test_invalid_utf8_in_a_decisions_body_is_422_not_500(service: Service) -> None:
    publish(service)
    answer = service.client.post(
        f"{S1}/decisions",
        content=b'[{"element": "\xff\xfe", "purpose": "x", "scenario": "y"}]',
        headers={**service.auth(Scope.BACKEND), "Content-Type": "application/json"},
    )
    assert "not UTF-8" in validation_error(answer, ["body"])


def test_an_escaped_backslash_before_u0000_is_not_a_nul(service: Service) -> None:
    publish(service)
    body = {"evidence": {"channel": "app", "user_agent": "C:\\u0000"}}  # backslash, u0000
    assert accept(service, S1, body).status_code == 200


# ------------------------------------------------------------------ ids


def test_ids_up_to_255_characters_work_and_longer_ones_are_422_on_every_database(
    service: Service,
) -> None:
    publish(service)
    longest = "用" * 255  # 255 characters, 765 bytes: fits VARCHAR(255) everywhere
    assert accept(service, f"{SUBJECTS}/{longest}").status_code == 200
    message = validation_error(accept(service, f"{SUBJECTS}/{'x' * 256}"), ["path", "subject_id"])
    assert "256 characters long; the limit is 255" in message
    assert event_count(service) == 2  # only the 255-character subject's events


@pytest.mark.parametrize("value", ["a%00b", "a%07b", "a%1Bb", "a%7Fb", "a%C2%9Bb"])
def test_a_control_character_in_a_path_id_is_422_on_every_database(
    service: Service, value: str
) -> None:
    publish(service)
    message = validation_error(accept(service, f"{SUBJECTS}/{value}"), ["path", "subject_id"])
    assert "control character" in message
    grant = f"{S1}/consents/{value}:grant"
    answer = service.client.post(grant, json=EVIDENCE, headers=service.auth(Scope.BACKEND))
    assert "control character" in validation_error(answer, ["path", "consent_id"])
    assert event_count(service) == 0


def test_invalid_utf8_in_a_path_is_400(service: Service) -> None:
    answer = service.client.get(f"{SUBJECTS}/%FF%FE", headers=service.auth(Scope.BACKEND))
    assert answer.status_code == 400 and "not UTF-8" in answer.json()["detail"]


def test_nul_and_invalid_utf8_in_a_query_are_refused(service: Service) -> None:
    auth = service.auth(Scope.AUDITOR)
    nul = service.client.get(f"{S1}/events", params={"cursor": "a\x00"}, headers=auth)
    assert "control character" in validation_error(nul, ["query", "cursor"])
    bad = service.client.get(f"{S1}/events?cursor=%FF", headers=auth)
    assert bad.status_code == 400 and "not UTF-8" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        (PHONE, "a mobile phone number"),
        ("+86 13812345678", "a mobile phone number"),
        (ID_NUMBER, "a resident ID card number"),
        (EMAIL, "an e-mail address"),
    ],
)
def test_a_pi_looking_subject_id_is_422_saying_how_to_pseudonymise(
    service: Service, subject: str, kind: str
) -> None:
    publish(service)
    for answer in (
        accept(service, f"{SUBJECTS}/{subject}"),
        service.client.get(f"{SUBJECTS}/{subject}", headers=service.auth(Scope.BACKEND)),
        service.client.post(
            f"{SUBJECTS}/{subject}/decisions", json=[], headers=service.auth(Scope.BACKEND)
        ),
    ):
        message = validation_error(answer, ["path", "subject_id"])
        assert f"the subject id is {kind}" in message
        assert "HMAC-SHA256" in message and "internal user id" in message
        assert subject not in answer.text
    assert event_count(service) == 0


def test_the_rights_body_checks_the_subject_id_the_same_way() -> None:
    with pytest.raises(ValidationError) as caught:
        SubmitBody.model_validate({"subject_id": PHONE, "kind": "access"})
    (error,) = caught.value.errors()
    assert error["type"] == "subject_id_invalid" and "pseudonymous" in error["msg"]
    assert SubmitBody.model_validate({"subject_id": "u" * 255, "kind": "access"})
    with pytest.raises(ValidationError):
        SubmitBody.model_validate({"subject_id": "u" * 256, "kind": "access"})


def test_evidence_fields_are_bounded() -> None:
    assert EvidenceBody.model_validate({"channel": "app", "account": "", "user_agent": ""})
    for field, value in (("account", "a" * 256), ("user_agent", "u" * 1025)):
        with pytest.raises(ValidationError):
            EvidenceBody.model_validate({"channel": "app", field: value})


# ------------------------------------------------------------------ 422s echo nothing


def test_a_misspelt_registration_key_never_echoes_the_id_number(service: Service) -> None:
    publish(service)
    answer = service.client.post(
        f"/v1/apps/{APP}/registration:check",
        json={"id_numbr": ID_NUMBER},
        headers=service.auth(Scope.BACKEND),
    )
    assert validation_error(answer, ["body", "id_number"]) == "Field required"
    assert ID_NUMBER not in answer.text and ID_NUMBER[6:14] not in answer.text


def test_no_validation_error_carries_input_or_ctx(service: Service) -> None:
    publish(service)
    answer = accept(service, S1, {"evidence": {"channel": "fax", "account": 42}})
    assert answer.status_code == 422
    assert all(set(e) == {"type", "loc", "msg"} for e in answer.json()["detail"])
    assert "fax" not in answer.text.replace("'", "")


# ------------------------------------------------------------------ YAML through the API


def test_a_seven_level_alias_bomb_is_refused_quickly(service: Service) -> None:
    publish(service)  # the first request (keys, connections) is not what is timed
    started = time.perf_counter()
    answer = service.client.post(
        "/v1/policies", json={"declaration": BOMB_7}, headers=service.auth(Scope.ADMIN)
    )
    assert time.perf_counter() - started < 1.0
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]["problems"]
    assert problem.startswith("<string>:") and "YAML nodes (aliases expanded)" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app:\n  id: a\x07b\n", "<string>:2:8: control character U+0007 (BEL)"),
        ("app:\n  id: a\x1bb\n", "<string>:2:8: control character U+001B (ESC)"),
        ("policy:\n  effective: 2022-02-30\n", "<string>:2:14: 2022-02-30 is not a valid date"),
        ("n: " + "9" * 5000 + "\n", "<string>:1:4: 99999999999999999999…"),
    ],
)
def test_hostile_declarations_are_422_with_their_place(
    service: Service, text: str, expected: str
) -> None:
    answer = service.client.post(
        "/v1/policies", json={"declaration": text}, headers=service.auth(Scope.ADMIN)
    )
    assert answer.status_code == 422
    assert answer.json()["detail"]["problems"][0].startswith(expected)


# ------------------------------------------------------------------ logs


def test_every_pool_hides_sql_parameters(empty_url: str) -> None:
    """The statement's parameters never appear in an error (the first line, all a 500 logs,
    holds no value either; PostgreSQL's DETAIL line below it may, and is never logged)."""
    db = create_engine(empty_url)
    try:
        assert db.hide_parameters
        upgrade(db)
        insert = sa.text("INSERT INTO apps (app_id, created_at) VALUES (:a, NULL)")
        with pytest.raises(sa.exc.DBAPIError) as caught, db.begin() as conn:
            conn.execute(insert, {"a": PHONE})
        text = str(caught.value)
        assert "[SQL parameters hidden due to hide_parameters=True]" in text
        assert PHONE not in first_line(caught.value)
    finally:
        db.dispose()


def test_a_500_logs_the_first_line_only_and_answers_plainly(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    parameters = f"[parameters: ('{PHONE}', '10.0.0.1', 'UA')]"

    def boom() -> None:
        raise RuntimeError("insert failed\n" + parameters)

    app: Any = service.client.app
    app.add_api_route("/v1/boom", boom)
    with caplog.at_level(logging.ERROR):
        answer = service.client.get("/v1/boom")
    assert answer.status_code == 500 and answer.json() == {"detail": "internal server error"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError on GET /v1/boom: insert failed" in logged
    assert PHONE not in logged and PHONE not in answer.text
    assert 'raise RuntimeError("insert failed' in logged  # the traceback is kept
