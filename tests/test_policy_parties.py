"""Issue 13, Build 4 (half B): minors in tiers, onward transfers, joint handlers, where an
opt-out is switched off, and the change log — each rendered as declared, with its source,
judged by the diff by its effect, and checked by the lint where the law asks."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from test_policy_provenance import unwritten_claims
from yinsi.declaration import Declaration, loads
from yinsi.declaration.diff import diff
from yinsi.declaration.lint import lint_text
from yinsi.declaration.loader import parse
from yinsi.policy.documents import rendered

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"
SEEDS = [
    ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml",
    ROOT / "examples" / "declarations" / "wolai-shuke.yaml",
]
OURS = {
    "minors-reference",
    "minors-guardian-consent",
    "minors-rules",
    "parties-reference",
    "joint-handler-notice",
    "onward-abroad",
    "opt-out-switch",
    "personalisation-refusal",
    "change-log-current",
}

Data = dict[str, Any]


def base() -> Data:
    data: Data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return data


def full() -> Data:
    """minimal.yaml with every field of this half written."""
    d = base()
    d["policy"]["minimum_age"] = 0
    d["policy"]["minors"] = {
        "under_14": "guardian_consent",
        "guardian_consent": "guardian",
        "children_rules": {"title": "儿童个人信息保护规则", "url": "https://example.com/children"},
        "closed_features": ["loan_application"],
        "found_later": "delete",
        "note": "如您是已满十四周岁未满十八周岁的未成年人，请在监护人的指导下使用。",
    }
    d["policy"]["changes"] = [
        {"version": "2.0", "date": "2023-06-01", "summary": "新增第三方SDK清单"},
        {"version": "2.1", "date": "2024-03-01", "summary": "调整保存期限"},
    ]
    d["policy"]["archive_url"] = "https://example.com/privacy/history"
    d["consents"] += [
        {"id": "guardian", "label": "儿童监护人授权", "kind": "guardian"},
        {
            "id": "personalised",
            "label": "个性化推荐",
            "kind": "opt_out",
            "switch": "我的-设置-个性化推荐",
        },
    ]
    d["recipients"][0]["onward"] = [
        {
            "to": "示例集团（新加坡）有限公司",
            "location": "abroad",
            "country": "新加坡",
            "elements": ["name"],
            "purposes": ["anti_fraud"],
        }
    ]
    d["joint_handlers"] = [
        {
            "id": "partner",
            "name": "示例联合运营有限公司",
            "contact": "400-000-1111",
            "scenarios": ["registration"],
            "purposes": ["account_registration"],
            "elements": ["mobile_number"],
            "our_duties": "响应您的权利请求",
            "their_duties": "保障账户安全",
        }
    ]
    return d


def text(data: Data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def declared(data: Data) -> Declaration:
    return loads(text(data), "test.yaml")


@cache
def policy_of(source: str) -> str:
    return str(rendered(loads(source, "test.yaml"), "policy").markdown)


def policy(data: Data) -> str:
    return policy_of(text(data))


# ---------------------------------------------------------------- rendering


SAID = [
    # minors, in tiers
    "如您是不满十四周岁的未成年人，我们将在取得您的父母或者其他监护人的同意后处理您的个人信息，"
    "监护人的同意通过“儿童监护人授权”取得。",
    "我们制定了专门的《儿童个人信息保护规则》，说明我们如何处理不满十四周岁未成年人的个人信息，"
    "您可以通过<https://example.com/children>查阅。",
    "以下业务功能不向未成年人开放：",
    "如我们发现在未事先取得父母或者其他监护人同意的情况下收集了不满十四周岁未成年人的个人信息，"
    "我们将删除相关个人信息。",
    # onward transfer
    "接收方再向示例集团（新加坡）有限公司（位于境外：新加坡）提供姓名，用于",
    # joint processing
    "共同处理",
    "**示例联合运营有限公司**：涉及的业务功能：注册与登录；",
    "您可以向我们或示例联合运营有限公司中的任何一方行使您的个人信息权利。",
    "双方约定：我们负责响应您的权利请求；示例联合运营有限公司负责保障账户安全。",
    # the opt-out's switch
    "在“我的-设置-个性化推荐”中关闭",
    # the change log, newest first, and the archive
    "- 第2.1版（2024年3月1日）：调整保存期限。\n- 第2.0版（2023年6月1日）：新增第三方SDK清单。",
    "您可以通过<https://example.com/privacy/history>查阅本政策的历史版本。",
]


@pytest.mark.parametrize("sentence", SAID)
def test_each_declared_field_is_said(sentence: str) -> None:
    assert sentence in policy(full())


@pytest.mark.parametrize("sentence", SAID)
def test_nothing_is_said_when_the_fields_are_left_out(sentence: str) -> None:
    if sentence == "共同处理":  # the chapter heading names it in any case
        return
    assert sentence not in policy(base())


def test_no_joint_processing_negative_unless_written() -> None:
    negative = "我们未与其他个人信息处理者共同决定您的个人信息的处理目的和处理方式。"
    assert negative not in policy(base())
    written = base()
    written["joint_handlers"] = []
    assert negative in policy(written)


def test_an_adults_only_app_says_what_it_does_with_minors_pi_found_later() -> None:
    d = base()  # minimum_age: 18
    d["policy"]["minors"] = {"found_later": "delete_or_anonymise"}
    out = policy(d)
    assert "如我们发现收集了未成年人的个人信息，我们将删除相关个人信息或对其进行匿名化处理。" in out
    assert "不满十四周岁未成年人的个人信息，我们将" not in out


def test_children_not_served() -> None:
    d = base()
    d["policy"]["minors"] = {"under_14": "not_served"}
    assert "本平台的产品和服务不面向不满十四周岁的未成年人。" in policy(d)


def test_every_new_claim_has_a_written_source() -> None:
    source = text(full())
    marks = parse(source, "test.yaml")[1]
    out = rendered(loads(source, "test.yaml"), "policy")
    assert unwritten_claims(out, marks) == []
    sources = {p for span in out.spans for p in span.statement.paths}
    for path in (
        "policy.minors.under_14",
        "policy.minors.children_rules.url",
        "policy.minors.closed_features",
        "policy.minors.found_later",
        "recipients[0].onward[0].to",
        "joint_handlers[0].their_duties",
        "policy.changes[1].summary",
        "policy.archive_url",
    ):
        assert path in sources, path
    assert any(p.endswith(".switch") for p in sources)


# ---------------------------------------------------------------- lint


def findings(data: Data) -> set[str]:
    return {p.rule or "" for p in lint_text(text(data), "test.yaml")} & OURS


def test_the_full_declaration_reports_the_transfer_abroad_it_does_not_declare() -> None:
    assert findings(full()) == {"onward-abroad"}
    declared_abroad = full()
    declared_abroad["storage"] = {
        **declared_abroad.get("storage", {}),
        "cross_border": True,
        "cross_border_conditions": "按照国家网信部门制定的标准合同与境外接收方订立合同",
    }
    assert findings(declared_abroad) == set()


def test_children_without_guardian_consent_or_rules_are_reported() -> None:
    d = base()
    d["policy"]["minimum_age"] = 12
    assert {"minors-guardian-consent", "minors-rules"} <= findings(d)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_no_false_alarm_on_the_reference_declarations(path: Path) -> None:
    problems = lint_text(path.read_text(encoding="utf-8"), path.name)
    assert [str(p) for p in problems if p.rule in OURS] == []


# ---------------------------------------------------------------- diff: judged by effect


def judged(old: Data, new: Data) -> list[tuple[str, str, str | None, bool]]:
    return [(c.section, c.key, c.field, c.material) for c in diff(declared(old), declared(new))]


def edited(edit: Any, start: Data | None = None) -> tuple[Data, Data]:
    old = start if start is not None else full()
    new = copy.deepcopy(old)
    edit(new)
    return old, new


def _material(old: Data, new: Data) -> bool:
    changes = judged(old, new)
    assert changes, "no change found"
    return any(material for *_, material in changes)


WIDENING = {
    "children-admitted": lambda d: d["policy"]["minors"].update(under_14="guardian_consent"),
    "feature-opened-to-minors": lambda d: d["policy"]["minors"].update(closed_features=[]),
    "children-rules-withdrawn": lambda d: d["policy"]["minors"].pop("children_rules"),
    "onward-transfer-added": lambda d: d["recipients"][1].update(onward=[{"to": "某境外机构"}]),
    "onward-now-abroad": lambda d: d["recipients"][0]["onward"][0].update(country="日本"),
    "onward-more-pi": lambda d: d["recipients"][0]["onward"][0]["elements"].append("mobile_number"),
    "joint-handler-added": lambda d: d["joint_handlers"].append(
        {"id": "other", "name": "另一共同处理者"}
    ),
    "joint-processing-in-more-functions": lambda d: d["joint_handlers"][0]["scenarios"].append(
        "loan_application"
    ),
    "switch-no-longer-told": lambda d: d["consents"][-1].update(switch=""),
}
NARROWING = {
    "children-no-longer-served": lambda d: d["policy"]["minors"].update(under_14="not_served"),
    "feature-closed-to-minors": lambda d: d["policy"]["minors"]["closed_features"].append(
        "registration"
    ),
    "onward-less-pi": lambda d: d["recipients"][0]["onward"][0].update(elements=[]),
    "joint-handler-removed": lambda d: d.update(joint_handlers=[]),
    "change-log-entry-added": lambda d: d["policy"]["changes"].append(
        {"version": "2.2", "date": "2024-03-01", "summary": "措辞调整"}
    ),
    "archive-moved": lambda d: d["policy"].update(archive_url="https://example.com/archive"),
    "switch-moved": lambda d: d["consents"][-1].update(switch="我的-隐私-个性化推荐"),
}


@pytest.mark.parametrize("name", list(WIDENING))
def test_widening_is_material(name: str) -> None:
    start = full()
    if name == "children-admitted":
        start["policy"]["minors"]["under_14"] = "not_served"
    assert _material(*edited(WIDENING[name], start))


@pytest.mark.parametrize("name", list(NARROWING))
def test_narrowing_is_not_material(name: str) -> None:
    assert not _material(*edited(NARROWING[name]))
