"""Chapter 7 (minors, X04) and declining an updated policy (X02) say only what the
declaration says (a field test: a lender admitting users from 14, children under 14 not
served, borrowing closed to minors).

- Children under 14 not served: PI of theirs found later is not "collected without a
  guardian's consent" (no such consent exists), and the law on processing their PI
  (PIPL Arts. 28, 31) is not said as if it concerned the app.
- Users from 14: no rule for 14–18 year olds (read with a guardian, use with consent)
  that the declaration does not state.
- Adults only: no list of functions closed to minors (it would open the rest to them).
- ``on_decline``: each value renders its own promise, never another's.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml

from conftest import DATA, EXAMPLES
from test_policy_provenance import unwritten_claims
from yinsi.declaration import loads
from yinsi.declaration.lint import lint_text
from yinsi.declaration.loader import parse
from yinsi.policy.documents import rendered
from yinsi.policy.phrases import DECLINE
from yinsi.taxonomy import DeclineMode

Data = dict[str, Any]

BASE: Data = yaml.safe_load((DATA / "minimal.yaml").read_text(encoding="utf-8"))

LAW_ON_CHILDREN = (
    "处理不满十四周岁未成年人个人信息的，应当取得未成年人的父母或者其他监护人的同意，"
    "并制定专门的个人信息处理规则（《个人信息保护法》第二十八条、第三十一条）。"
)
SENSITIVE_CHILDREN = "以及不满十四周岁未成年人的个人信息。"
INVENTED_GUARDIAN_RULE = "请在您的父母或者其他监护人的陪同下阅读本政策"
WITHOUT_CONSENT = "在未事先取得父母或者其他监护人同意的情况下"
CLOSED = "以下业务功能不向未成年人开放："
FOUND_CHILD = "如我们发现收集了不满十四周岁未成年人的个人信息，我们将删除相关个人信息。"
FOUND_MINOR = "如我们发现收集了未成年人的个人信息，我们将删除相关个人信息。"


def declaration(
    age: int | None, minors: Data | None = None, guardian: bool = False, **policy: Any
) -> Data:
    """minimal.yaml with ``minimum_age`` (None: not written) and ``policy.minors``."""
    d = copy.deepcopy(BASE)
    d["policy"].pop("minimum_age", None)
    if age is not None:
        d["policy"]["minimum_age"] = age
    if minors is not None:
        d["policy"]["minors"] = minors
    d["policy"].update(policy)
    if guardian:
        d["consents"].append({"id": "guardian", "label": "儿童监护人授权", "kind": "guardian"})
    return d


def text(data: Data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@cache
def _policy(source: str) -> str:
    return str(rendered(loads(source, "test.yaml"), "policy").markdown)


def policy(data: Data) -> str:
    return _policy(text(data))


def chapter(markdown: str, number: int) -> str:
    return markdown.split(f"\n## {number}. ", 1)[1].split(f"\n## {number + 1}. ", 1)[0]


def rules_found(data: Data) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in lint_text(text(data), "test.yaml"):
        if p.rule and p.rule.startswith("minors"):
            found.setdefault(p.rule, []).append(p.message)
    return found


NOT_SERVED_FROM_14 = {
    "under_14": "not_served",
    "closed_features": ["loan_application"],
    "found_later": "delete",
}
"""The field test's tiers: users from 14, children under 14 not served, no borrowing."""


# ---------------------------------------------------------------- X04: minors, in tiers


def test_x04_not_served_children_pi_found_later_is_not_said_collected_without_consent() -> None:
    """Under ``not_served`` no guardian's consent is ever asked: PI of a child under 14
    found later is deleted as the declaration says, without implying that with a
    guardian's consent it would have been collected."""
    for age in (14, 16, None):
        data = declaration(age, copy.deepcopy(NOT_SERVED_FROM_14))
        seven = chapter(policy(data), 7)
        assert FOUND_CHILD in seven, age
        assert WITHOUT_CONSENT not in seven, age
    # The same when the age alone refuses children (no under_14 written).
    seven = chapter(policy(declaration(16, {"found_later": "delete"})), 7)
    assert FOUND_CHILD in seven and WITHOUT_CONSENT not in seven
    # Served with a guardian's consent: the qualifier is what the declaration means.
    served = declaration(
        0, {"under_14": "guardian_consent", "guardian_consent": "guardian", "found_later": "delete"}
    )
    served["consents"].append({"id": "guardian", "label": "儿童监护人授权", "kind": "guardian"})
    assert f"如我们发现{WITHOUT_CONSENT}收集了不满十四周岁未成年人的个人信息" in policy(served)


def test_x04_found_later_under_not_served_has_written_sources() -> None:
    source = text(declaration(14, copy.deepcopy(NOT_SERVED_FROM_14)))
    out = rendered(loads(source, "test.yaml"), "policy")
    assert unwritten_claims(out, parse(source, "test.yaml")[1]) == []
    found = next(s.statement for s in out.spans if str(s.statement) == FOUND_CHILD)
    assert set(found.paths) == {"policy.minors.found_later", "policy.minors.under_14"}


def test_x04_an_adults_only_app_lists_no_function_as_closed_to_minors() -> None:
    """``minimum_age: 18``: every function is closed to minors; "以下业务功能不向未成年人
    开放：申请借款" would say the others are open. From 14 the list is what it says."""
    adults = chapter(policy(declaration(18, copy.deepcopy(NOT_SERVED_FROM_14))), 7)
    assert CLOSED not in adults
    assert FOUND_MINOR in adults
    from_14 = chapter(policy(declaration(14, copy.deepcopy(NOT_SERVED_FROM_14))), 7)
    assert f"{CLOSED}申请借款 \\| 额度审核。" in from_14


def test_x04_lint_functions_closed_to_minors_in_an_adults_only_app() -> None:
    found = rules_found(declaration(18, {"closed_features": ["loan_application"]}))
    assert list(found) == ["minors-closed-adults-only"]
    assert all("(PIPL Art. 17 para. 1)" in m for m in found["minors-closed-adults-only"])
    assert "minors-closed-adults-only" not in rules_found(
        declaration(14, copy.deepcopy(NOT_SERVED_FROM_14))
    )
    # not written: the schema's default age is not the declaration's word
    assert "minors-closed-adults-only" not in rules_found(
        declaration(None, {"closed_features": ["loan_application"]})
    )


def test_x04_lint_children_not_served_yet_admitted_or_given_a_guardians_consent() -> None:
    named = rules_found(
        declaration(14, {"under_14": "not_served", "guardian_consent": "guardian"}, guardian=True)
    )
    assert list(named) == ["minors-not-served"]
    admitted = rules_found(declaration(0, {"under_14": "not_served"}))
    # not_served is the fix minors-guardian-consent suggests: it no longer asks for one
    assert list(admitted) == ["minors-not-served"]
    for messages in (named["minors-not-served"], admitted["minors-not-served"]):
        assert all("PIPL Art. 17 para. 1, Art. 31" in m for m in messages)
    assert rules_found(declaration(14, {"under_14": "not_served"})) == {}


def test_x04_no_rule_for_minors_the_declaration_does_not_state() -> None:
    """From 14 (or 12) the chapter says who the users are; a guardian's company and
    consent for 14–18 year olds (or for children, beyond the law) is not declared."""
    for age in (14, 16, 12):
        seven = chapter(policy(declaration(age)), 7)
        assert f"本平台的产品和服务面向年满{age}周岁的用户。" in seven
        assert INVENTED_GUARDIAN_RULE not in seven and "如您是未满十八周岁" not in seven


def test_x04_the_law_on_childrens_pi_is_said_only_where_children_may_be_served() -> None:
    """PIPL Art. 31 (guardian's consent, own rules) concerns an app that may process a
    child's PI; where none is served it would imply the app does. That PI of children
    under 14 is sensitive (Art. 28) stays among the key points in every case."""
    not_served = {
        "not_served, from 14": declaration(14, copy.deepcopy(NOT_SERVED_FROM_14)),
        "from 14": declaration(14),
        "adults only": declaration(18),
        "not_served, age not written": declaration(None, {"under_14": "not_served"}),
    }
    served = {
        "guardian_consent": declaration(
            0,
            {
                "under_14": "guardian_consent",
                "guardian_consent": "guardian",
                "children_rules": {"title": "儿童个人信息保护规则"},
            },
            guardian=True,
        ),
        "from 12": declaration(12),
        "from 0": declaration(0),
        "age not written": declaration(None),
    }
    for name, data in {**not_served, **served}.items():
        md = policy(data)
        assert (LAW_ON_CHILDREN in chapter(md, 7)) == (name in served), name
        assert SENSITIVE_CHILDREN in md.split("\n## 目录", 1)[0], name


def test_x04_the_field_tests_chapter_states_only_the_declaration() -> None:
    seven = chapter(policy(declaration(14, copy.deepcopy(NOT_SERVED_FROM_14))), 7)
    assert [p.strip() for p in seven.split("\n\n") if p.strip()] == [
        "未成年人的个人信息保护",
        "本平台的产品和服务面向年满14周岁的用户。",
        "本平台的产品和服务不面向不满十四周岁的未成年人。"
        f"{CLOSED}申请借款 \\| 额度审核。{FOUND_CHILD}",
    ]


def test_x04_the_adults_only_sentence_is_a_paragraph_of_its_own() -> None:
    """小赢卡贷 第8节 in its own words, after the age, not merged into its paragraph;
    the seed's definition of sensitive PI (children under 14) is kept."""
    md = policy(yaml.safe_load((EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")))
    assert (
        "本平台的产品和服务仅面向年满18周岁的用户。\n\n"
        "如果您是未成年人，请您关闭并退出小赢卡贷平台，我们欢迎您在年满十八周岁后再使用我们的产品和服务。\n"
    ) in chapter(md, 7)
    assert SENSITIVE_CHILDREN in md
    adults = chapter(policy(declaration(18, {"found_later": "delete"})), 7)
    assert f"本平台的产品和服务仅面向年满18周岁的用户。\n\n{FOUND_MINOR}" in adults


# ---------------------------------------------------------------- X02: declining an update


OWN_WORDS = {
    DeclineMode.BROWSE_ONLY: "仅浏览模式",
    DeclineMode.PREVIOUS_VERSION: "已同意的版本处理您的个人信息",
    DeclineMode.STOP_SERVICE: "停止使用本平台的产品和/或服务",
}


def test_x02_browse_only_does_not_promise_the_accepted_version_goes_on() -> None:
    """``browse_only`` is what a user who declines may still use; that processing goes on
    under the accepted version is ``previous_version``'s promise, not declared here."""
    md = policy(declaration(18, on_decline="browse_only"))
    said = "您不同意更新后的政策的，我们仍将向您提供仅浏览模式，但您可能无法使用本平台产品和/或服务的完整功能。"
    assert md.count(said) == 2  # key points and chapter 8
    assert "已同意的版本" not in md


def test_x02_each_decline_mode_says_its_own_promise_only() -> None:
    """Every on_decline value (the schema takes one) with and without the update terms
    around it (notice, fresh consent, effective on acceptance): its sentence in the key
    points and in chapter 8, no other mode's words anywhere."""
    around: list[Data] = [
        {},
        {"changes_need_consent": True},
        {"notice_methods": [], "effective_on_acceptance": False},
    ]
    for mode in DeclineMode:
        for terms in around:
            data = declaration(18, on_decline=mode.value, **terms)
            if terms.get("notice_methods") == []:
                del data["policy"]["notice_methods"]
            md = policy(data)
            assert md.count(DECLINE[mode]) == 2, (mode, terms)
            for other, words in OWN_WORDS.items():
                assert (words in md) == (other is mode), (mode, other, terms)
    silent = policy(declaration(18, on_decline=None))
    assert not any(words in silent for words in OWN_WORDS.values())
