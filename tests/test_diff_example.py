"""The 小赢卡贷 example against a plausible v1.4 of it: exactly the v1.4 changes (X03)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yinsi.declaration import Declaration, load
from yinsi.declaration.diff import Change, diff, to_json

TESTS = Path(__file__).resolve().parent
EXAMPLE = TESTS.parent / "examples" / "declarations" / "xiaoying-kadai.yaml"
V14 = TESTS / "data" / "xiaoying-kadai-v1.4.yaml"

STALE = (
    f"{V14.relative_to(TESTS.parent)} is the example plus the v1.4 changes listed in its "
    "header; if the example changed, copy it again and re-apply those changes"
)

Fact = tuple[str, str, str, str | None, bool]

V14_CHANGES: set[Fact] = {
    ("policy", "version", "changed", "version", False),
    ("policy", "updated", "changed", "updated", False),
    ("policy", "effective", "changed", "effective", False),
    ("scenarios", "shopping_order", "changed", "name", False),
    ("scenarios", "customer_service", "changed", "purposes", True),
    ("sdks", "oppo_push", "added", None, True),
    ("contacts", "feedback", "changed", "value", True),
}


@pytest.fixture(scope="module")
def v13() -> Declaration:
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def v14() -> Declaration:
    return load(V14)


def facts(changes: list[Change]) -> set[Fact]:
    return {(c.section, c.key, c.kind, c.field, c.material) for c in changes}


def test_x03_xiaoying_v14_reports_exactly_its_changes(v13: Declaration, v14: Declaration) -> None:
    changes = diff(v13, v14)
    assert facts(changes) == V14_CHANGES, STALE
    assert len(changes) == len(V14_CHANGES)
    assert to_json(changes)["summary"] | {"sections": None} == {
        "total": 7,
        "material": 3,
        "editorial": 4,
        "added": 1,
        "removed": 0,
        "changed": 6,
        "sections": None,
    }


def test_x03_xiaoying_v14_values(v13: Declaration, v14: Declaration) -> None:
    changes = {(c.section, c.key): c for c in diff(v13, v14)}
    assert (changes["policy", "version"].old, changes["policy", "version"].new) == ("1.3", "1.4")
    assert changes["policy", "effective"].new == "2024-03-22"
    purposes = changes["scenarios", "customer_service"]
    assert set(purposes.new) - set(purposes.old) == {"product_improvement"}
    assert "product_improvement" in purposes.reason
    sdk = changes["sdks", "oppo_push"]
    assert sdk.new["name"] == "OPPO推送" and sdk.new["consent"] == "privacy_policy"
    channel = changes["contacts", "feedback"]
    assert channel.new == "小赢卡贷APP：我的-帮助与反馈"
    assert "X03 D" in channel.reason


def test_going_back_to_v13_drops_the_sdk_and_purpose_editorially(
    v13: Declaration, v14: Declaration
) -> None:
    """Less processing is editorial; a changed complaint channel is material either way."""
    backwards = {(c.section, c.key): c.material for c in diff(v14, v13)}
    assert backwards == {
        ("policy", "version"): False,
        ("policy", "updated"): False,
        ("policy", "effective"): False,
        ("scenarios", "shopping_order"): False,
        ("scenarios", "customer_service"): False,
        ("sdks", "oppo_push"): False,
        ("contacts", "feedback"): True,
    }, STALE


def test_the_example_has_no_changes_against_itself(v13: Declaration) -> None:
    assert diff(v13, load(EXAMPLE)) == []
