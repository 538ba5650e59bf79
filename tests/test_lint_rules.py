"""The lint registry: every rule has an id, a severity, citations that exist in the law's
text, an explanation, a fix and examples — and fails on its failing example and passes
on its passing one. ``docs/rules.md`` is generated from the same metadata."""

from __future__ import annotations

import re
from functools import cache

import pytest

from conftest import ROOT
from yinsi.declaration.errors import Problem
from yinsi.declaration.lint import BY_ID, RULES, Citation, Example, Rule, lint_text
from yinsi.declaration.lint.docs import markdown
from yinsi.declaration.lint.examples import example_data, example_text, merge
from yinsi.declaration.lint.registry import LAWS, chinese_number
from yinsi.declaration.waivers import WAIVABLE_RULES

LAWS_DIR = ROOT.parent / "shared" / "laws"
LAW_FILES = {
    "PIPL": "个人信息保护法",
    "网络数据安全管理条例": "网络数据安全管理条例",
    "征信业管理条例": "征信业管理条例",
    "必要个人信息范围规定": "必要个人信息范围规定",
    "认定方法": "App违法违规收集使用个人信息行为认定方法",
    "网络安全法": "网络安全法",
}
"""The laws whose text is in ../shared/laws (standards are cited by section only)."""

IDS = [r.id for r in RULES]


def lint(example: Example, rule: Rule) -> list[Problem]:
    return lint_text(example_text(example), f"{rule.id}.yaml", select=[rule.id])


def test_rule_ids_are_unique_kebab_case() -> None:
    assert len(IDS) == len(set(IDS))
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", i) for i in IDS), IDS


def test_the_ids_waivers_already_use_are_kept() -> None:
    assert {"separate-consent", "consent-required", "entrusted-deletion"} <= set(BY_ID)
    assert {r.id for r in RULES if r.waivable} == set(WAIVABLE_RULES)
    # waivers apply to the findings of every load, so a waivable rule runs on load
    assert all(r.stage == "load" for r in RULES if r.waivable)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_rule_is_documented(rule: Rule) -> None:
    assert rule.severity in ("error", "warning")
    assert rule.title and rule.explanation and rule.fix
    assert rule.citations and all(str(c) for c in rule.citations)
    assert rule.failing.yaml.strip(), "a failing example is never the base declaration"
    if rule.merges_into is not None:
        assert rule.merges_into in BY_ID


def test_the_base_declaration_of_the_examples_is_clean() -> None:
    assert lint_text(example_text(Example("")), "base.yaml") == []


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_rule_fails_on_its_failing_example(rule: Rule) -> None:
    found = lint(rule.failing, rule)
    assert found, f"{rule.id} reports nothing on its failing example"
    assert all(p.severity == rule.severity or "waived" in p.message for p in found)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_rule_passes_on_its_passing_example(rule: Rule) -> None:
    assert lint(rule.passing, rule) == []
    everything = lint_text(example_text(rule.passing), "passing.yaml")
    assert [str(p) for p in everything if p.severity == "error"] == []


def _cited(c: Citation, message: str) -> bool:
    if c.law not in message and LAWS[c.law] not in message:
        return False
    return str(c.article) in message if c.article else c.section.split(".")[0] in message


@pytest.mark.parametrize("rule", [r for r in RULES if r.family != "structure"], ids=lambda r: r.id)
def test_every_finding_cites_an_article_of_its_rule(rule: Rule) -> None:
    """The message itself cites (structure findings carry theirs in JSON and SARIF)."""
    for p in lint(rule.failing, rule):
        assert any(_cited(c, p.message) for c in rule.citations), p.message


def test_examples_merge_maps_by_key_and_lists_by_id() -> None:
    base = {"a": {"b": 1, "c": 2}, "items": [{"id": "x", "v": 1}, {"id": "y", "v": 2}]}
    patch = {"a": {"c": 3}, "items": [{"id": "y", "v": 5}, {"id": "z", "v": 6}]}
    assert merge(base, patch) == {
        "a": {"b": 1, "c": 3},
        "items": [{"id": "x", "v": 1}, {"id": "y", "v": 5}, {"id": "z", "v": 6}],
    }
    assert merge(base, {"items": [{"id": "z"}]}, replaces=("items",))["items"] == [{"id": "z"}]
    data = example_data(Example("scenarios: [{id: signup, consents: []}]"))
    assert data["scenarios"][0]["consents"] == [] and data["scenarios"][0]["name"] == "注册与登录"


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    """Regenerate with: python -m yinsi.declaration.lint.docs > docs/rules.md"""
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == markdown()


def test_docs_give_every_rule_an_anchor_its_citations_and_examples() -> None:
    text = markdown()
    for r in RULES:
        assert f'<a id="{r.id}"></a>' in text
        assert all(c.chinese in text for c in r.citations)


# ------------------------------------------------------------------ citations and the law


@cache
def _law_text(law: str) -> str | None:
    """The law's text from ../shared/laws, or None where the checkout does not have it."""
    if not LAWS_DIR.is_dir():
        return None
    (path,) = [p for p in LAWS_DIR.glob("*.md") if p.name.startswith(LAW_FILES[law] + "-")]
    return path.read_text(encoding="utf-8")


def _article(text: str, number: int) -> list[str]:
    """The article's paragraphs (items stay inside the paragraph that lists them)."""
    heading = f"第{chinese_number(number)}条 "
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    body: list[str] = [lines[start][len(heading) :]]
    for line in lines[start + 1 :]:
        if re.match(r"^(第[一二三四五六七八九十百]+条 |#)", line):
            break
        if line.strip():
            body.append(line.strip())
    paragraphs: list[str] = []
    for line in body:
        if line.startswith("（") and paragraphs:
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    return paragraphs


def _exists(c: Citation, text: str) -> bool:
    if c.law == "认定方法":
        part, _, item = c.section.partition(".")
        start = text.index(f"\n{part}、")
        following = re.search(r"\n[一二三四五六七八九十]、", text[start + 2 :])
        section = text[start : start + 2 + following.start()] if following else text[start:]
        return not item or f"\n{item}." in section
    assert c.article is not None
    paragraphs = _article(text, c.article)
    if c.paragraph is not None and c.paragraph > len(paragraphs):
        return False
    scope = paragraphs[(c.paragraph or 1) - 1] if c.paragraph else "".join(paragraphs)
    return c.item is None or f"（{chinese_number(c.item)}）" in scope


CITATIONS = sorted({c for r in RULES for c in r.citations}, key=str)


@pytest.mark.parametrize("citation", CITATIONS, ids=str)
def test_every_citation_exists_in_the_law(citation: Citation) -> None:
    """Article, paragraph and item are checked against ../shared/laws where the checkout
    has it; standards are cited by section and only their format is checked."""
    assert citation.law in LAWS
    if citation.law not in LAW_FILES:
        assert citation.section and citation.article is None
        return
    text = _law_text(citation.law)
    if text is not None:
        assert _exists(citation, text), f"{citation} ({citation.chinese}) is not in the law"


def test_citations_print_as_a_lawyer_reads_them() -> None:
    assert str(Citation("网络数据安全管理条例", 21, item=3)) == "网络数据安全管理条例 Art. 21 (3)"
    assert str(Citation("PIPL", 17, paragraph=2)) == "PIPL Art. 17 para. 2"
    assert (
        Citation("PIPL", 24, paragraph=3).chinese
        == "《中华人民共和国个人信息保护法》第二十四条第三款"
    )
    assert Citation("必要个人信息范围规定", 5, item=12).chinese.endswith("第五条第（十二）项")
    with pytest.raises(ValueError, match="unknown law"):
        Citation("民法典", 1034)


def test_the_checker_of_citations_rejects_what_the_law_does_not_have() -> None:
    text = _law_text("PIPL")
    if text is None:  # ../shared/laws is not in this checkout: nothing to check against
        return
    assert not _exists(Citation("PIPL", 17, paragraph=4), text)
    assert not _exists(Citation("PIPL", 13, item=9), text)
    ndsr = _law_text("网络数据安全管理条例")
    assert ndsr is not None and not _exists(Citation("网络数据安全管理条例", 21, item=5), ndsr)
    assert _exists(Citation("网络数据安全管理条例", 21, item=4), ndsr)
