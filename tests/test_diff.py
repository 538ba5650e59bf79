"""Declaration diff: which changes are found, and which are material (X03, W19)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yinsi.declaration import Declaration, load
from yinsi.declaration.diff import SECTIONS, Change, diff, format_text, mirror, to_json

BASE = load(Path(__file__).parent / "data" / "diff" / "base.yaml")

Edit = Callable[[dict[str, Any]], object]


def edited(*edits: Edit, base: Declaration = BASE) -> Declaration:
    """``base`` with ``edits`` applied to its JSON form, validated again."""
    data = base.model_dump(mode="json")
    for edit in edits:
        edit(data)
    return Declaration.model_validate(data)


def by_id(items: list[dict[str, Any]], ident: str) -> dict[str, Any]:
    return next(item for item in items if item["id"] == ident)


def right(d: dict[str, Any], ident: str) -> dict[str, Any]:
    return by_id(d["rights"]["items"], ident)


def channel(d: dict[str, Any], ident: str) -> dict[str, Any]:
    return by_id(d["contacts"]["channels"], ident)


def scenario(d: dict[str, Any], ident: str) -> dict[str, Any]:
    return by_id(d["scenarios"], ident)


def found(changes: list[Change], section: str, key: str, field: str | None = None) -> Change:
    matches = [c for c in changes if (c.section, c.key, c.field) == (section, key, field)]
    assert len(matches) == 1, f"{section}/{key}/{field} not in {changes}"
    return matches[0]


NEW_RECIPIENT = {
    "id": "guarantor",
    "kind": "other_handler",
    "name": "融资担保公司",
    "purposes": ["insurance_guarantee"],
    "elements": ["name", "mobile_number"],
    "consent": "sensitive_identity",
}
NEW_SDK = {
    "id": "umeng",
    "name": "友盟统计SDK",
    "function": "统计分析",
    "provider": "友盟同欣（北京）科技有限公司",
    "elements": ["device_model"],
    "purposes": ["statistics"],
    "consent": "privacy_policy",
}
NEW_CHANNEL = {
    "id": "complaint_mail",
    "kind": "email",
    "value": "complaint@example.com",
    "label": "投诉邮箱",
    "purposes": ["complaint"],
}


def test_round_trip_of_the_edit_helper_is_lossless() -> None:
    assert edited() == BASE
    assert diff(BASE, edited()) == []


# ---------------------------------------------------------------- material (X03)

X03_CASES = [
    # X03 A: service model
    pytest.param(
        lambda d: d["app"].update(service_model="自营小额贷款服务"),
        ("app", "service_model", "changed", "service_model"),
        id="A-service-model",
    ),
    # X03 B: ownership, the handler
    pytest.param(
        lambda d: d["app"]["handler"].update(name="新示例科技有限公司"),
        ("app", "handler", "changed", "handler.name"),
        id="B-handler-name",
    ),
    pytest.param(
        lambda d: d["app"]["handler"].update(address="北京市朝阳区示例大街2号"),
        ("app", "handler", "changed", "handler.address"),
        id="B-handler-address",
    ),
    # X03 C: rights and how to exercise them
    pytest.param(
        lambda d: d["rights"]["items"].remove(right(d, "copy")),
        ("rights", "copy", "removed", None),
        id="C-right-removed",
    ),
    pytest.param(
        lambda d: right(d, "access").update(self_service=""),
        ("rights", "access", "changed", "self_service"),
        id="C-self-service-removed",
    ),
    pytest.param(
        lambda d: right(d, "deletion").update(channels=["hotline"]),
        ("rights", "deletion", "changed", "channels"),
        id="C-right-channel-removed",
    ),
    # X03 D: responsible department, contact, complaint channel
    pytest.param(
        lambda d: channel(d, "hotline").update(value="400-111-1111"),
        ("contacts", "hotline", "changed", "value"),
        id="D-complaint-hotline-changed",
    ),
    pytest.param(
        lambda d: d["contacts"]["channels"].append(NEW_CHANNEL),
        ("contacts", "complaint_mail", "added", None),
        id="D-complaint-channel-added",
    ),
    pytest.param(
        lambda d: channel(d, "hotline").update(purposes=["inquiry"]),
        ("contacts", "hotline", "changed", "purposes"),
        id="D-channel-stops-taking-complaints",
    ),
    pytest.param(
        lambda d: d["contacts"].update(department="法务合规部"),
        ("contacts", "department", "changed", "department"),
        id="D-department",
    ),
    pytest.param(
        lambda d: d["contacts"]["pi_protection_officer"].update(channels=["hotline"]),
        ("contacts", "pi_protection_officer", "changed", "pi_protection_officer.channels"),
        id="D-pi-officer",
    ),
    pytest.param(
        lambda d: d["rights"].update(complaint_escalation="可向人民银行投诉"),
        ("rights", "complaint_escalation", "changed", "complaint_escalation"),
        id="D-complaint-escalation",
    ),
    # X03 E: high-risk impact assessment
    pytest.param(
        lambda d: d["policy"].update(high_risk_impact_assessment=True),
        ("policy", "high_risk_impact_assessment", "changed", "high_risk_impact_assessment"),
        id="E-high-risk-assessment",
    ),
    # PIPL Art. 14: new purpose, new element; Art. 23: new recipient
    pytest.param(
        lambda d: scenario(d, "registration")["purposes"].append("anti_fraud"),
        ("purposes", "anti_fraud", "added", None),
        id="new-purpose",
    ),
    pytest.param(
        lambda d: scenario(d, "registration")["elements"].append({"id": "email"}),
        ("elements", "email", "added", None),
        id="new-element",
    ),
    pytest.param(
        lambda d: d["recipients"].append(NEW_RECIPIENT),
        ("recipients", "guarantor", "added", None),
        id="new-recipient",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), X03_CASES)
def test_x03_material_changes_flagged(edit: Edit, expected: tuple[str, str, str, str]) -> None:
    changes = diff(BASE, edited(edit))
    section, key, kind, field = expected
    change = found(changes, section, key, field)
    assert change.kind == kind
    assert change.material, change
    assert all(c.material for c in changes), changes
    assert to_json(changes)["material"] is True


def test_x03_new_purpose_is_flagged_for_the_scenario_too() -> None:
    changes = diff(
        BASE, edited(lambda d: scenario(d, "registration")["purposes"].append("anti_fraud"))
    )
    change = found(changes, "scenarios", "registration", "purposes")
    assert (change.old, change.new) == (
        ["account_registration"],
        ["account_registration", "anti_fraud"],
    )
    assert change.material and "anti_fraud" in change.reason


def test_x03_purpose_already_used_elsewhere_is_material_for_the_scenario() -> None:
    changes = diff(
        BASE, edited(lambda d: scenario(d, "registration")["purposes"].append("account_security"))
    )
    assert [(c.section, c.key, c.field, c.material) for c in changes] == [
        ("scenarios", "registration", "purposes", True)
    ]


def test_x03_element_collected_in_one_more_scenario_is_material() -> None:
    changes = diff(
        BASE, edited(lambda d: scenario(d, "registration")["elements"].append({"id": "name"}))
    )
    change = found(changes, "scenarios", "registration", "elements.name")
    assert change.material and len(changes) == 1
    assert change.old is None
    assert change.new == {"id": "name", "required": True, "note": "", "sourced": False}


def test_x03_sensitive_element_newly_collected_says_so() -> None:
    changes = diff(
        BASE, edited(lambda d: scenario(d, "identity_check")["elements"].append({"id": "face"}))
    )
    element = found(changes, "elements", "face")
    assert element.material and "敏感" in element.reason and "sensitive" in element.reason
    assert element.new["sensitive"] is True
    assert element.new["scenarios"] == ["identity_check"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(lambda d: d["sdks"].append(NEW_SDK), ("sdks", "umeng", None), id="new-sdk"),
        pytest.param(
            lambda d: d["h5_links"].append(
                {"id": "insurer_h5", "name": "保险页面", "domain": "ins.example.com"}
            ),
            ("h5_links", "insurer_h5", None),
            id="new-h5",
        ),
        pytest.param(
            lambda d: by_id(d["recipients"], "funder")["elements"].append("mobile_number"),
            ("recipients", "funder", "elements"),
            id="recipient-receives-more",
        ),
        pytest.param(
            lambda d: by_id(d["sdks"], "push_sdk")["elements"].append("imei"),
            ("sdks", "push_sdk", "elements"),
            id="sdk-receives-more",
        ),
        pytest.param(
            lambda d: scenario(d, "registration")["recipients"].append("funder"),
            ("scenarios", "registration", "recipients"),
            id="scenario-shares-with-recipient",
        ),
        pytest.param(
            lambda d: scenario(d, "device_security").update(
                legal_basis="consent", consents=["privacy_policy"]
            ),
            ("scenarios", "device_security", "legal_basis"),
            id="legal-basis",
        ),
        pytest.param(
            lambda d: by_id(d["consents"], "sensitive_identity").update(kind="general"),
            ("consents", "sensitive_identity", "kind"),
            id="consent-weakened",
        ),
        pytest.param(
            lambda d: by_id(d["retention"], "browse_data").update(period="6m"),
            ("retention", "browse_data", "period"),
            id="retention-lengthened",
        ),
        pytest.param(
            lambda d: by_id(d["retention"], "account_data").update(period=None),
            ("retention", "account_data", "period"),
            id="retention-removed",
        ),
        pytest.param(
            lambda d: scenario(d, "device_security").update(retention="account_data"),
            ("scenarios", "device_security", "retention"),
            id="scenario-moves-to-longer-retention",
        ),
        pytest.param(
            lambda d: d["storage"].update(cross_border=True),
            ("storage", "cross_border", "cross_border"),
            id="cross-border",
        ),
        pytest.param(
            lambda d: d["policy"].update(effective_on_acceptance=False),
            ("policy", "effective_on_acceptance", "effective_on_acceptance"),
            id="no-longer-waits-for-acceptance",
        ),
        pytest.param(
            lambda d: scenario(d, "identity_check").update(automated_decision=True),
            ("scenarios", "identity_check", "automated_decision"),
            id="automated-decision",
        ),
    ],
)
def test_more_processing_is_material(edit: Edit, expected: tuple[str, str, str | None]) -> None:
    changes = diff(BASE, edited(edit))
    assert found(changes, *expected).material


# ---------------------------------------------------------------- narrowed rights (W19)

W19_CASES = [
    pytest.param(
        lambda d: right(d, "access")["deadline"].update(working_days=15),
        "deadline.working_days",
        id="deadline-lengthened",
    ),
    pytest.param(
        lambda d: right(d, "complaint")["deadline"].update(target_working_days=5),
        "deadline.target_working_days",
        id="target-lengthened",
    ),
    pytest.param(
        lambda d: right(d, "deletion")["deadline"].update(counted_from="verification"),
        "deadline.counted_from",
        id="deadline-counted-later",
    ),
    pytest.param(
        lambda d: right(d, "access").update(deadline=None), "deadline", id="deadline-dropped"
    ),
    pytest.param(
        lambda d: right(d, "cancel_account").update(self_service=""),
        "self_service",
        id="self-service-removed",
    ),
    pytest.param(
        lambda d: right(d, "cancel_account")["preconditions"].append("无未结清借款"),
        "preconditions",
        id="precondition-added",
    ),
    pytest.param(lambda d: right(d, "copy").update(free=False), "free", id="fee-added"),
    pytest.param(
        lambda d: right(d, "deletion").update(triggers=["purpose_done"]),
        "triggers",
        id="deletion-trigger-removed",
    ),
]


@pytest.mark.parametrize(("edit", "field"), W19_CASES)
def test_w19_narrowed_rights_are_material(edit: Edit, field: str) -> None:
    changes = diff(BASE, edited(edit))
    assert len(changes) == 1
    change = changes[0]
    assert (change.section, change.kind, change.field) == ("rights", "changed", field)
    assert change.material and "W19" in change.reason


def test_w19_removed_right_and_new_refusal_ground_are_material() -> None:
    new = edited(
        lambda d: d["rights"]["items"].remove(right(d, "transfer")),
        lambda d: d["rights"]["refusal_grounds"].append(
            {"id": "trade_secret", "text": "涉及商业秘密的"}
        ),
    )
    changes = diff(BASE, new)
    assert found(changes, "rights", "transfer").material
    assert found(changes, "rights", "refusal_grounds.trade_secret").material


def test_w19_wider_rights_are_editorial() -> None:
    """The mirror images of narrowing: shorter deadlines, new rights and paths, fewer grounds."""
    new = edited(
        lambda d: right(d, "access")["deadline"].update(working_days=5),
        lambda d: right(d, "explanation").update(self_service="我的-隐私说明"),
        lambda d: d["rights"]["items"].append(
            {"id": "restrict", "kind": "restrict", "channels": ["hotline"]}
        ),
        lambda d: d["rights"].update(refusal_grounds=[]),
    )
    changes = diff(BASE, new)
    assert len(changes) == 4
    assert not any(c.material for c in changes), changes


# ---------------------------------------------------------------- editorial

EDITORIAL_CASES = [
    pytest.param(
        lambda d: by_id(d["consents"], "privacy_policy").update(label="隐私政策（2024版）"),
        id="consent-label",
    ),
    pytest.param(
        lambda d: scenario(d, "registration").update(name="注册与登录"), id="scenario-name"
    ),
    pytest.param(lambda d: channel(d, "hotline").update(label="全国客服热线"), id="channel-label"),
    pytest.param(
        lambda d: d["contacts"]["pi_protection_officer"].update(title="个人信息保护专员"),
        id="officer-title",
    ),
    pytest.param(
        lambda d: by_id(d["recipients"], "funder").update(name="合作资金方（银行等持牌机构）"),
        id="recipient-name",
    ),
    pytest.param(lambda d: d["app"].update(about="示例借款是一款借款信息服务平台"), id="app-about"),
    pytest.param(
        lambda d: d["policy"].update(version="1.1", updated="2024-06-01", effective="2024-06-08"),
        id="version-and-dates",
    ),
    pytest.param(lambda d: d["security"]["measures"].append("定期渗透测试"), id="security-measure"),
    pytest.param(
        lambda d: scenario(d, "identity_check")["elements"].pop(), id="element-no-longer-collected"
    ),
    pytest.param(
        lambda d: scenario(d, "identity_check").update(recipients=[]), id="scenario-shares-less"
    ),
    pytest.param(
        lambda d: (d["recipients"].clear(), scenario(d, "identity_check").update(recipients=[])),
        id="recipient-removed",
    ),
    pytest.param(lambda d: d["sdks"].clear(), id="sdk-removed"),
    pytest.param(lambda d: d["scenarios"].pop(), id="scenario-removed"),
    pytest.param(
        lambda d: by_id(d["retention"], "account_data").update(period="3y"),
        id="retention-shortened",
    ),
    pytest.param(
        lambda d: by_id(d["consents"], "sensitive_identity").update(kind="written"),
        id="consent-strengthened",
    ),
    pytest.param(lambda d: d["contacts"].update(reply_within_working_days=10), id="faster-reply"),
    pytest.param(
        lambda d: scenario(d, "registration")["elements"][0].update(note="用于登录"),
        id="element-note",
    ),
]


@pytest.mark.parametrize("edit", EDITORIAL_CASES)
def test_editorial_changes_are_not_material(edit: Edit) -> None:
    changes = diff(BASE, edited(edit))
    assert changes
    assert not any(c.material for c in changes), changes
    assert to_json(changes)["material"] is False


def test_label_wording_change_is_reported_as_editorial() -> None:
    changes = diff(
        BASE,
        edited(lambda d: by_id(d["consents"], "privacy_policy").update(label="隐私政策（2024版）")),
    )
    assert changes == [
        Change(
            "consents",
            "privacy_policy",
            "changed",
            "label",
            "隐私政策",
            "隐私政策（2024版）",
            False,
            changes[0].reason,
        )
    ]


def test_dropping_a_purpose_everywhere_is_editorial() -> None:
    changes = diff(BASE, edited(lambda d: d["sdks"].clear()))
    assert found(changes, "purposes", "push_notification").kind == "removed"
    assert not any(c.material for c in changes)


# ---------------------------------------------------------------- API


def test_identical_declarations_have_no_changes() -> None:
    assert diff(BASE, BASE) == []
    assert format_text([]) == "no changes (无变更)"
    assert to_json([]) == {
        "material": False,
        "summary": {
            "total": 0,
            "material": 0,
            "editorial": 0,
            "added": 0,
            "removed": 0,
            "changed": 0,
            "sections": {},
        },
        "changes": [],
    }


def _mixed() -> Declaration:
    return edited(
        lambda d: d["app"].update(service_model="自营小额贷款服务"),
        lambda d: d["policy"].update(version="2.0"),
        lambda d: d["sdks"].append(NEW_SDK),
        lambda d: d["scenarios"].pop(),
        lambda d: by_id(d["consents"], "privacy_policy").update(label="隐私政策（2024版）"),
    )


def test_order_follows_sections_and_is_deterministic() -> None:
    changes = diff(BASE, _mixed())
    assert changes == diff(BASE, _mixed())
    order = list(SECTIONS)
    positions = [order.index(c.section) for c in changes]
    assert positions == sorted(positions)


def test_mirror_swaps_sides_and_is_an_involution() -> None:
    for change in diff(BASE, _mixed()):
        flipped = mirror(change)
        assert (flipped.old, flipped.new) == (change.new, change.old)
        assert (flipped.section, flipped.key, flipped.field) == (
            change.section,
            change.key,
            change.field,
        )
        assert {change.kind, flipped.kind} in ({"added", "removed"}, {"changed"})
        assert mirror(flipped) == change


def test_to_json_is_json_and_counts_changes() -> None:
    changes = diff(BASE, _mixed())
    report = to_json(changes)
    assert json.loads(json.dumps(report, ensure_ascii=False)) == report
    summary = report["summary"]
    assert report["material"] is True
    assert summary["total"] == len(changes) == len(report["changes"])
    assert summary["material"] + summary["editorial"] == summary["total"]
    assert summary["added"] + summary["removed"] + summary["changed"] == summary["total"]
    assert sum(summary["sections"].values()) == summary["total"]
    assert report["changes"][0] == {
        "section": "app",
        "key": "service_model",
        "kind": "changed",
        "field": "service_model",
        "old": "为用户提供借款信息撮合与贷后管理服务",
        "new": "自营小额贷款服务",
        "material": True,
        "reason": changes[0].reason,
    }


def test_format_text_groups_by_section_and_marks_material() -> None:
    text = format_text(diff(BASE, _mixed()))
    lines = text.splitlines()
    assert lines[0].startswith("9 changes, 3 material")
    assert "X03" in lines[0]
    for heading in (SECTIONS["app"], SECTIONS["sdks"], SECTIONS["scenarios"], SECTIONS["consents"]):
        assert heading in lines
    assert (
        text.index(SECTIONS["app"])
        < text.index(SECTIONS["scenarios"])
        < text.index(SECTIONS["sdks"])
    )
    assert "  + umeng: 友盟统计SDK" in lines
    assert "  - device_security: 设备安全" in lines
    assert "  ~ service_model: 为用户提供借款信息撮合与贷后管理服务 → 自营小额贷款服务" in lines
    assert text.count("! material") == 3
    assert text.count("editorial —") == 6


def test_format_text_of_an_editorial_change_has_no_material_mark() -> None:
    text = format_text(diff(BASE, edited(lambda d: d["policy"].update(version="1.1"))))
    assert text.splitlines()[0] == "1 change, 0 material"
    assert "! material" not in text


# ---------------------------------------------------------------- taxonomy and robustness


def test_element_made_sensitive_by_the_taxonomy_is_material() -> None:
    made_sensitive = {"id": "device_model", "label": "设备型号", "category": "device"}
    old = edited(lambda d: d["taxonomy"]["elements"].append(made_sensitive))
    new = edited(lambda d: d["taxonomy"]["elements"].append({**made_sensitive, "sensitive": True}))
    change = found(diff(old, new), "elements", "device_model", "sensitive")
    assert change.material and (change.old, change.new) == (False, True)


def test_element_label_wording_in_the_taxonomy_is_editorial() -> None:
    relabelled = {"id": "device_model", "label": "手机型号", "category": "device"}
    changes = diff(BASE, edited(lambda d: d["taxonomy"]["elements"].append(relabelled)))
    assert [(c.section, c.key, c.field, c.old, c.new, c.material) for c in changes] == [
        ("elements", "device_model", "label", "设备型号", "手机型号", False)
    ]


def test_type_valid_but_unchecked_declarations_do_not_crash_the_diff() -> None:
    """Duplicate and unknown element ids fail the checks, yet diff must still answer."""
    twice = edited(
        lambda d: scenario(d, "registration")["elements"].extend([{"id": "email"}, {"id": "email"}])
    )
    unknown = edited(lambda d: scenario(d, "registration")["elements"].append({"id": "shoe_size"}))
    listed_twice = found(diff(BASE, twice), "scenarios", "registration", "elements")
    assert listed_twice.material and "email" in listed_twice.reason
    assert found(diff(BASE, unknown), "elements", "shoe_size").new["label"] == "shoe_size"
    assert diff(twice, twice) == [] and diff(unknown, unknown) == []
