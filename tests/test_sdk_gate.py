"""The SDK manifest (W12) on SQLite and PostgreSQL: embedded, over HTTP and on the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import EXAMPLES
from yinsi.cli.sdk import sdk_app
from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.services.sdk_gate import SdkEntry, sdk_manifest
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

pytest_plugins = ["storage_fixtures"]

XY = EXAMPLES / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct-1")


@pytest.fixture
def yinsi_engine(empty_url: str) -> Iterator[Engine]:
    upgrade(empty_url)
    with Engine(empty_url, actor="test") as engine:
        engine.publish(XY)
        yield engine


def by_id(entries: list[SdkEntry]) -> dict[str, SdkEntry]:
    return {e.id: e for e in entries}


def test_w12_manifest_lists_every_declared_sdk_in_order(yinsi_engine: Engine) -> None:
    declared = [s.id for s in yinsi_engine.declaration(APP).sdks]
    assert [e.id for e in sdk_manifest(yinsi_engine, APP, "s1")] == declared


def test_w12_no_sdk_before_the_policy_is_accepted(yinsi_engine: Engine) -> None:
    entries = sdk_manifest(yinsi_engine, APP, "nobody")
    on_consent = [e for e in entries if not e.reason.startswith("legal_basis:")]
    assert on_consent and not any(e.may_initialise for e in on_consent)
    assert {e.reason for e in on_consent} == {"policy_not_accepted"}
    assert all(e.policy_version is None for e in entries)


def test_w12_manifest_changes_the_moment_consent_changes(yinsi_engine: Engine) -> None:
    engine = yinsi_engine
    engine.accept_policy(APP, "s1", evidence=EVIDENCE)
    face = by_id(sdk_manifest(engine, APP, "s1"))["tencent_cloud_face"]
    assert by_id(sdk_manifest(engine, APP, "s1"))["yingzt_lib"].may_initialise
    assert (face.may_initialise, face.reason, face.consent_ids) == (
        False,
        "no_consent",
        ("face_recognition",),
    )
    assert "不得初始化" in face.explanation

    engine.grant(APP, "s1", "face_recognition", evidence=EVIDENCE)
    face = by_id(sdk_manifest(engine, APP, "s1"))["tencent_cloud_face"]
    assert (face.may_initialise, face.reason) == (True, "consent")
    assert all(g.may_receive for g in face.elements)

    engine.withdraw(APP, "s1", "face_recognition", evidence=EVIDENCE)
    face = by_id(sdk_manifest(engine, APP, "s1"))["tencent_cloud_face"]
    assert (face.may_initialise, face.reason, face.consent_ids) == (
        False,
        "consent_withdrawn",
        ("face_recognition",),
    )
    assert not any(g.may_receive for g in face.elements)
    # another subject is untouched
    assert not by_id(sdk_manifest(engine, APP, "s2"))["yingzt_lib"].may_initialise


def _gated_bugly(tmp_path: Path) -> Path:
    """小赢卡贷 with Bugly's location gated by the separate location consent.

    The seed gates no SDK's location apart (2.2.4 F), so the example declares no
    `element_consents`; an app may, and this is how the gate behaves.
    """
    data = yaml.safe_load(XY.read_text(encoding="utf-8"))
    for sdk in data["sdks"]:
        if sdk["id"] == "bugly":
            sdk["element_consents"] = {"geolocation_unspecified": "location"}
    data["waivers"] = [w for w in data["waivers"] if w["id"] != "bugly"]
    path = tmp_path / "xiaoying-kadai-gated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_w12_element_gate_follows_its_own_consent(empty_url: str, tmp_path: Path) -> None:
    upgrade(empty_url)
    with Engine(empty_url, actor="test") as engine:
        engine.publish(_gated_bugly(tmp_path))
        _element_gate_follows_its_own_consent(engine)


def _element_gate_follows_its_own_consent(engine: Engine) -> None:
    engine.accept_policy(APP, "s1", evidence=EVIDENCE)
    gates = {g.element: g for g in by_id(sdk_manifest(engine, APP, "s1"))["bugly"].elements}
    location = gates["geolocation_unspecified"]
    assert location.gated_apart and location.consent_ids == ("location", "privacy_policy")
    assert not location.may_receive and gates["imei"].may_receive
    assert not gates["imei"].gated_apart

    engine.grant(APP, "s1", "location", evidence=EVIDENCE)
    bugly = by_id(sdk_manifest(engine, APP, "s1"))["bugly"]
    assert all(g.may_receive for g in bugly.elements)

    engine.withdraw(APP, "s1", "location", evidence=EVIDENCE)
    bugly = by_id(sdk_manifest(engine, APP, "s1"))["bugly"]
    assert bugly.may_initialise  # the SDK still runs, without the location
    assert not {g.element: g for g in bugly.elements}["geolocation_unspecified"].may_receive


@pytest.fixture
def client(yinsi_engine: Engine, empty_url: str) -> Iterator[tuple[TestClient, dict[Scope, str]]]:
    db = create_engine(empty_url)
    keys = {}
    with SqlUnitOfWork(db) as uow:
        for scope in Scope:
            keys[scope] = uow.api_keys.create(f"test-{scope.value}", [scope])[1]
        uow.commit()
    app = create_app(Services(db, actor="api"))
    with TestClient(app) as c:
        yield c, keys
    db.dispose()


def auth(keys: dict[Scope, str], scope: Scope) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[scope]}"}


def test_w12_manifest_over_http_follows_consent(
    client: tuple[TestClient, dict[Scope, str]], yinsi_engine: Engine
) -> None:
    c, keys = client
    path = f"/v1/apps/{APP}/subjects/s1/sdk-manifest"
    assert c.get(path).status_code == 401
    assert c.get(path, headers=auth(keys, Scope.AUDITOR)).status_code == 403

    def face() -> dict[str, object]:
        answer = c.get(path, headers=auth(keys, Scope.BACKEND))
        assert answer.status_code == 200, answer.text
        found: dict[str, object] = {e["id"]: e for e in answer.json()}["tencent_cloud_face"]
        return found

    assert face()["reason"] == "policy_not_accepted"
    yinsi_engine.accept_policy(APP, "s1", evidence=EVIDENCE)
    yinsi_engine.grant(APP, "s1", "face_recognition", evidence=EVIDENCE)
    assert face()["may_initialise"] is True
    yinsi_engine.withdraw(APP, "s1", "face_recognition", evidence=EVIDENCE)
    assert (face()["may_initialise"], face()["reason"]) == (False, "consent_withdrawn")

    unknown = c.get("/v1/apps/nope/subjects/s1/sdk-manifest", headers=auth(keys, Scope.BACKEND))
    assert unknown.status_code == 422 and unknown.json()["detail"]["kind"] == "app"


def test_w12_manifest_on_the_command_line(yinsi_engine: Engine, empty_url: str) -> None:
    runner = CliRunner()
    yinsi_engine.accept_policy(APP, "s1", evidence=EVIDENCE)
    result = runner.invoke(sdk_app, ["manifest", APP, "s1", "--url", empty_url, "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["id"]: e for e in json.loads(result.stdout)}
    assert entries["yingzt_lib"]["may_initialise"] is True
    assert entries["tencent_cloud_face"]["consent_ids"] == ["face_recognition"]

    table = runner.invoke(sdk_app, ["manifest", APP, "s1", "--url", empty_url])
    assert table.exit_code == 0, table.output
    assert "s1 的SDK清单：18/23 个可初始化（政策版本 1.3）" in table.stdout

    missing = runner.invoke(sdk_app, ["manifest", "nope", "s1", "--url", empty_url])
    assert missing.exit_code == 1 and "yinsi publish" in missing.stderr
