"""completeness(): what PIPL Art. 17 and 网络数据安全管理条例 Art. 21 need told, and what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from yinsi.declaration import Declaration, Issue, load, loads
from yinsi.policy import completeness

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal.yaml"


@pytest.fixture
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return loaded


def build(data: dict[str, Any]) -> Declaration:
    return loads(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def by_path(issues: list[Issue]) -> dict[tuple[str | int, ...], Issue]:
    return {i.path: i for i in issues}


def test_a_complete_declaration_has_nothing_missing() -> None:
    assert completeness(load(MINIMAL)) == []


def test_completeness_is_pure_and_repeatable() -> None:
    declaration = load(MINIMAL)
    before = declaration.model_dump()
    assert completeness(declaration) == completeness(declaration)
    assert declaration.model_dump() == before


def test_a_scenario_without_retention_is_an_art17_error(data: dict[str, Any]) -> None:
    del data["scenarios"][0]["retention"]
    issue = by_path(completeness(build(data)))[("scenarios", 0, "retention")]
    assert issue.severity == "error"
    assert "PIPL Art. 17" in issue.message and "注册与登录" in issue.message


def test_a_right_without_any_way_to_exercise_it_is_an_art17_error(data: dict[str, Any]) -> None:
    data["rights"]["items"][5]["channels"] = []
    issue = by_path(completeness(build(data)))[("rights", "items", 5)]
    assert issue.severity == "error"
    assert "限制或拒绝处理" in issue.message and "PIPL Art. 17" in issue.message


def test_no_way_to_tell_changes_is_an_art17_error(data: dict[str, Any]) -> None:
    data["policy"]["notice_methods"] = []
    issue = by_path(completeness(build(data)))[("policy", "notice_methods")]
    assert issue.severity == "error"


def test_a_retention_rule_without_period_is_an_art21_warning(data: dict[str, Any]) -> None:
    del data["retention"][1]["period"]
    issue = by_path(completeness(build(data)))[("retention", 1, "period")]
    assert issue.severity == "warning"
    assert "网络数据安全管理条例 Art. 21" in issue.message


def test_a_retention_rule_silent_on_what_happens_at_the_end_is_a_warning(
    data: dict[str, Any],
) -> None:
    del data["retention"][1]["then"]
    issue = by_path(completeness(build(data)))[("retention", 1)]
    assert issue.severity == "warning"
    assert "what happens when the period ends" in issue.message


def test_every_right_art21_lists_must_be_exercisable(data: dict[str, Any]) -> None:
    data["rights"]["items"] = [r for r in data["rights"]["items"] if r["kind"] != "transfer"]
    issues = [i for i in completeness(build(data)) if i.path == ("rights", "items")]
    assert len(issues) == 1
    assert issues[0].severity == "warning" and "转移" in issues[0].message


def test_a_recipient_without_contact_or_name_is_an_art23_warning(data: dict[str, Any]) -> None:
    data["recipients"][1]["contact"] = ""
    data["recipients"][1]["is_category"] = True
    issue = by_path(completeness(build(data)))[("recipients", 1)]
    assert issue.severity == "warning"
    assert "its name" in issue.message and "its contact" in issue.message
    assert "PIPL Art. 23" in issue.message


def test_entrusted_processors_need_no_published_contact(data: dict[str, Any]) -> None:
    assert not data["recipients"][2].get("contact")
    assert ("recipients", 2) not in by_path(completeness(build(data)))
