"""Permission telemetry (W10, W12): reported uses checked against the declaration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import EXAMPLES
from yinsi.cli.permissions import permissions_app
from yinsi.consent import Channel, ConsentEvent, ConsentState, EventKind, Evidence
from yinsi.declaration import Declaration, load
from yinsi.lifecycle.permissions import (
    InvalidUseEvent,
    UseEvent,
    Violation,
    ViolationKind,
    check,
    parse_event,
    states_from_ledger,
)
from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

pytest_plugins = ["storage_fixtures"]

WOLAI = load(EXAMPLES / "wolai-shuke.yaml")
XIAOYING = load(EXAMPLES / "xiaoying-kadai.yaml")
WL = WOLAI.app.id
STAGES = ["登录", "人脸识别", "申请借款（进件）", "提款"]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def consented(declaration: Declaration, *without: str) -> ConsentState:
    return ConsentState(
        declaration.app.id,
        "u1",
        accepted_version=declaration.policy.version,
        granted=frozenset(c.id for c in declaration.consents) - set(without),
    )


def use(
    stage: str = "登录",
    *,
    minute: int = 0,
    permission: str = "location",
    scenario: str = "location",
    flow: str = "f1",
    sdk: str | None = None,
) -> UseEvent:
    return UseEvent("u1", permission, scenario, stage, flow, T0 + timedelta(minutes=minute), sdk)


def kinds(found: list[Violation]) -> list[ViolationKind]:
    return [v.kind for v in found]


def test_w10_wolai_declares_location_once_per_stage_four_per_flow() -> None:
    location = next(s for s in WOLAI.scenarios if s.id == "location")
    limit = next(p for p in location.permissions if p.permission == "location").limit
    assert limit is not None
    assert (limit.per_stage, limit.per_flow, limit.stages) == (1, 4, STAGES)


def test_w10_a_full_flow_reads_location_once_per_stage() -> None:
    events = [use(stage, minute=i) for i, stage in enumerate(STAGES)]
    events += [use(stage, minute=10 + i, flow="f2") for i, stage in enumerate(STAGES)]
    assert check(WOLAI, consented(WOLAI), events) == []


def test_w10_second_read_in_a_stage_is_a_violation_with_its_evidence() -> None:
    events = [use("登录"), use("人脸识别", minute=1), use("登录", minute=2)]
    (found,) = check(WOLAI, consented(WOLAI), events)
    assert found.kind is ViolationKind.OVER_STAGE_LIMIT
    assert found.events == (events[0], events[2])
    assert "环节“登录”" in found.message and "最多 1 次" in found.message


def test_w10_fifth_read_in_a_flow_is_a_violation() -> None:
    events = [use(stage, minute=i) for i, stage in enumerate(STAGES)] + [use("提款", minute=9)]
    found = check(WOLAI, consented(WOLAI), events)
    assert kinds(found) == [ViolationKind.OVER_FLOW_LIMIT, ViolationKind.OVER_STAGE_LIMIT]
    assert len(found[0].events) == 5 and "最多 4 次" in found[0].message


def test_w10_location_outside_the_declared_stages_is_a_violation() -> None:
    (found,) = check(WOLAI, consented(WOLAI), [use("首页浏览")])
    assert found.kind is ViolationKind.UNDECLARED_STAGE
    assert "登录、人脸识别、申请借款（进件）、提款" in found.message


@given(st.lists(st.sampled_from(STAGES), max_size=9))
def test_w10_limits_property(stages: list[str]) -> None:
    events = [use(stage, minute=i) for i, stage in enumerate(stages)]
    found = check(WOLAI, consented(WOLAI), events)
    over_stage = {s for s in stages if stages.count(s) > 1}
    assert kinds(found).count(ViolationKind.OVER_STAGE_LIMIT) == len(over_stage)
    assert (ViolationKind.OVER_FLOW_LIMIT in kinds(found)) == (len(stages) > 4)
    assert set(kinds(found)) <= {ViolationKind.OVER_STAGE_LIMIT, ViolationKind.OVER_FLOW_LIMIT}


def test_w10_undeclared_permission_and_unknown_scenario() -> None:
    events = [
        use(permission="contacts", minute=0),
        use(permission="contacts", minute=1),
        use(scenario="wallpaper", minute=2),
    ]
    found = check(WOLAI, consented(WOLAI), events)
    assert kinds(found) == [ViolationKind.UNDECLARED_PERMISSION, ViolationKind.UNKNOWN_SCENARIO]
    assert len(found[0].events) == 2
    assert "scenarios[location].permissions" in found[0].message


def test_w10_location_before_its_consent() -> None:
    (found,) = check(WOLAI, consented(WOLAI, "location_permission"), [use()])
    assert found.kind is ViolationKind.BEFORE_CONSENT
    assert (found.reason, found.consent_ids) == ("no_consent", ("location_permission",))

    (nothing,) = check(WOLAI, ConsentState(WL, "u1"), [use()])
    assert nothing.reason == "policy_not_accepted" and "隐私政策" in nothing.message


def test_w10_a_use_needs_its_own_permission_consent_not_the_others() -> None:
    """network_risk_control declares network and motion: motion is optional."""
    state = consented(WOLAI, "motion_permission")
    network = use(permission="network", scenario="network_risk_control", stage="x")
    assert check(WOLAI, state, [network]) == []
    motion = use(permission="motion", scenario="network_risk_control", stage="x")
    (found,) = check(WOLAI, state, [motion])
    assert found.consent_ids == ("motion_permission",)


def test_w10_consent_at_the_time_of_each_use() -> None:
    def event(kind: EventKind, minute: int, consent: str | None) -> ConsentEvent:
        return ConsentEvent(
            WL, "u1", kind, "1.0", T0 + timedelta(minutes=minute), Evidence(Channel.APP), consent
        )

    ledger = [
        event(EventKind.POLICY_ACCEPTED, 0, None),
        event(EventKind.CONSENT_GRANTED, 0, "policy"),
        event(EventKind.CONSENT_GRANTED, 5, "location_permission"),
        event(EventKind.CONSENT_WITHDRAWN, 20, "location_permission"),
    ]
    states = states_from_ledger({"u1": ledger}, WL)
    events = [use(minute=4), use("人脸识别", minute=5), use("提款", minute=21)]
    found = check(WOLAI, states, events)
    assert [(v.reason, v.events) for v in found] == [
        ("no_consent", (events[0],)),
        ("consent_withdrawn", (events[2],)),
    ]


def test_w12_use_by_an_sdk_not_allowed() -> None:
    scenario = "camera_photos"
    face = use(permission="camera", scenario=scenario, stage="x", sdk="tencent_cloud_face")
    state = consented(XIAOYING)
    assert check(XIAOYING, state, [face]) == []

    no_face = ConsentState(
        XIAOYING.app.id, "u1", accepted_version="1.3", granted=frozenset({"privacy_policy"})
    )
    found = check(XIAOYING, no_face, [face])
    assert kinds(found) == [ViolationKind.BEFORE_CONSENT, ViolationKind.SDK_NOT_ALLOWED]
    assert found[1].consent_ids == ("face_recognition",) and "W12" in found[1].message

    ads = use(permission="camera", scenario=scenario, stage="x", sdk="guangdiantong")
    (undeclared,) = check(XIAOYING, state, [ads])
    assert undeclared.reason == "not_declared" and "未在声明中披露" in undeclared.message


def test_parse_event_names_each_wrong_field() -> None:
    good = {
        "subject_id": "u1",
        "permission": "location",
        "scenario": "location",
        "stage": "登录",
        "flow_id": "f1",
        "at": "2026-01-05T09:00:00+08:00",
    }
    assert parse_event(good).at.utcoffset() == timedelta(hours=8)
    with pytest.raises(InvalidUseEvent) as caught:
        parse_event({**good, "at": "2026-01-05T09:00:00", "flow_id": None, "extra": 1})
    problems = "\n".join(caught.value.problems)
    assert "at: 时间须带时区" in problems and "flow_id" in problems and "extra" in problems


# ---------------------------------------------------------------- CLI and API


def jsonl(path: Path, events: list[UseEvent]) -> Path:
    lines = [json.dumps({**vars_of(e), "at": e.at.isoformat()}, ensure_ascii=False) for e in events]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def vars_of(event: UseEvent) -> dict[str, object]:
    return {f: getattr(event, f) for f in UseEvent.__dataclass_fields__}


def test_w10_cli_names_the_line_of_a_bad_event(tmp_path: Path) -> None:
    events = jsonl(tmp_path / "events.jsonl", [use()])
    with events.open("a", encoding="utf-8") as f:
        f.write('{"subject_id": "u1"\n')
        f.write('{"subject_id": "u1", "permission": "location"}\n')
    result = CliRunner().invoke(
        permissions_app,
        ["check", str(EXAMPLES / "wolai-shuke.yaml"), str(events), "--assume-consented"],
    )
    assert result.exit_code == 1
    assert f"{events}:2:" in result.stderr and "不是合法的 JSON" in result.stderr
    assert f"{events}:3: scenario: 缺少此字段" in result.stderr


def test_w10_cli_lists_violations_and_exits_1(tmp_path: Path) -> None:
    decl = str(EXAMPLES / "wolai-shuke.yaml")
    clean = jsonl(tmp_path / "ok.jsonl", [use(s, minute=i) for i, s in enumerate(STAGES)])
    runner = CliRunner()
    ok = runner.invoke(permissions_app, ["check", decl, str(clean), "--assume-consented"])
    assert ok.exit_code == 0, ok.output
    assert "未发现违规" in ok.stdout

    bad = jsonl(tmp_path / "bad.jsonl", [use(), use(minute=1)])
    table = runner.invoke(permissions_app, ["check", decl, str(bad), "--assume-consented"])
    assert table.exit_code == 1 and "1 项违规" in table.stdout
    as_json = runner.invoke(
        permissions_app, ["check", decl, str(bad), "--assume-consented", "--json"]
    )
    assert as_json.exit_code == 1
    (found,) = json.loads(as_json.stdout)
    assert found["kind"] == "over_stage_limit" and len(found["events"]) == 2


@pytest.fixture
def published(empty_url: str) -> Iterator[Engine]:
    upgrade(empty_url)
    with Engine(empty_url, actor="test") as engine:
        engine.publish(EXAMPLES / "wolai-shuke.yaml")
        yield engine


def test_w10_cli_reads_the_consent_ledger(
    published: Engine, empty_url: str, tmp_path: Path
) -> None:
    evidence = Evidence(Channel.APP, account="acct-1")
    now = datetime.now(UTC)
    past = UseEvent("u1", "location", "location", "登录", "f0", now - timedelta(days=1))
    soon = UseEvent("u1", "location", "location", "登录", "f1", now + timedelta(minutes=1))
    published.accept_policy(WL, "u1", evidence=evidence)
    events = jsonl(tmp_path / "e.jsonl", [past, soon])
    argv = ["check", str(EXAMPLES / "wolai-shuke.yaml"), str(events), "--url", empty_url]
    runner = CliRunner()

    def found() -> list[tuple[str, list[str]]]:
        result = runner.invoke(permissions_app, [*argv, "--json"])
        assert result.exit_code in (0, 1), result.output
        return [(v["reason"], v["consent_ids"]) for v in json.loads(result.stdout)]

    assert found() == [("policy_not_accepted", []), ("no_consent", ["location_permission"])]
    published.grant(WL, "u1", "location_permission", evidence=evidence)
    assert found() == [("policy_not_accepted", [])]  # the past use stays a violation


def test_w10_check_over_http(published: Engine, empty_url: str) -> None:
    db = create_engine(empty_url)
    with SqlUnitOfWork(db) as uow:
        backend = uow.api_keys.create("b", [Scope.BACKEND])[1]
        auditor = uow.api_keys.create("a", [Scope.AUDITOR])[1]
        uow.commit()
    app = create_app(Services(db, actor="api"))
    path = f"/v1/apps/{WL}/permission-events:check"
    body = [{**vars_of(e), "at": e.at.isoformat()} for e in (use(), use(minute=1))]
    with TestClient(app) as c:
        assert c.post(path, json=body).status_code == 401
        refused = c.post(path, json=body, headers={"Authorization": f"Bearer {auditor}"})
        assert refused.status_code == 403
        answer = c.post(path, json=body, headers={"Authorization": f"Bearer {backend}"})
        assert answer.status_code == 200, answer.text
        found = {v["kind"] for v in answer.json()}
        assert found == {"before_consent", "over_stage_limit"}
        naive = [{**body[0], "at": "2026-01-05T09:00:00"}]
        bad = c.post(path, json=naive, headers={"Authorization": f"Bearer {backend}"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "at"
    db.dispose()
