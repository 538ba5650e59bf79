"""Provenance (issue 13, Build 1): every statement of a rendered document knows its source,
and no fact, commitment or negative comes from a value the declaration file does not write."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.declaration import Declaration, load, loads
from yinsi.declaration.loader import SourceMap, parse
from yinsi.policy import DOCS, explain
from yinsi.policy.documents import Rendered, rendered
from yinsi.policy.provenance import Statement, at, fixed, merged, parse_path, said, stated
from yinsi.policy.record import Span, finalize, recording, unmark
from yinsi.policy.units import units

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "xiaoying-kadai": ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml",
    "wolai-shuke": ROOT / "examples" / "declarations" / "wolai-shuke.yaml",
    "minimal": ROOT / "tests" / "data" / "minimal.yaml",
}
CLAIMS = ("fact", "commitment", "negative")
Dump = Callable[[dict[str, Any]], str]


@cache
def _loaded(name: str) -> tuple[Declaration, SourceMap]:
    path = FILES[name]
    marks = parse(path.read_text(encoding="utf-8"), str(path))[1]
    return load(path), marks


def unwritten_claims(out: Rendered, marks: SourceMap) -> list[str]:
    """Claims of ``out`` built from a declaration path the file does not write."""
    return [
        f"{span.statement.kind} {str(span.statement)[:60]!r} ← {path}"
        for span in out.spans
        if span.statement.kind in CLAIMS
        for path in span.statement.paths
        if parse_path(path) not in marks
    ]


# ---------------------------------------------------------------- the reference declarations


@pytest.mark.parametrize("doc", list(DOCS))
@pytest.mark.parametrize("name", list(FILES))
def test_no_claim_comes_from_a_value_the_file_does_not_write(name: str, doc: str) -> None:
    declaration, marks = _loaded(name)
    out = rendered(declaration, doc)
    assert out.spans, "nothing was recorded"
    assert unwritten_claims(out, marks) == []


@pytest.mark.parametrize("doc", list(DOCS))
@pytest.mark.parametrize("name", list(FILES))
def test_every_statement_and_every_unit_has_a_source(name: str, doc: str) -> None:
    declaration, _ = _loaded(name)
    out = rendered(declaration, doc)
    assert all(span.statement.sources for span in out.spans)
    found = explain(declaration, doc)
    assert found and all(unit.sources for unit in found)
    assert all(unit.text in out.markdown for unit in found)


@pytest.mark.parametrize("name", list(FILES))
def test_marks_do_not_leak_and_spans_point_at_their_statements(name: str) -> None:
    declaration, _ = _loaded(name)
    out = rendered(declaration, "policy")
    assert not any(c in out.markdown for c in "\x02\x03\x04")
    for span in out.spans:
        assert out.markdown[span.start : span.end] == span.statement


def test_the_checker_reports_a_claim_from_a_default() -> None:
    """The check above fails when a claim names a path the file does not write."""
    statement = Statement("仅浏览模式", ["policy.on_decline"], "commitment")
    out = Rendered("policy", "仅浏览模式", [Span(0, 5, statement)])
    assert unwritten_claims(out, {(): (1, 1), ("policy",): (2, 1)}) == [
        "commitment '仅浏览模式' ← policy.on_decline"
    ]
    assert unwritten_claims(out, {("policy", "on_decline"): (3, 3)}) == []


# ---------------------------------------------------------------- explain


def test_explain_names_the_declaration_paths_and_the_template_section() -> None:
    declaration, _ = _loaded("minimal")
    found = explain(declaration, "policy")
    retention = next(u for u in found if u.text.startswith("- **保存期限**：自注销账户之日起"))
    assert retention.kind == "commitment"
    assert "scenarios[0].retention" in retention.sources
    assert "retention[0].period" in retention.sources
    assert retention.sources[-1] == "tpl.policy:1.1.1"
    heading = next(u for u in found if u.text == "## 4. 您的权利")
    assert (heading.kind, heading.sources) == ("boilerplate", ("tpl.policy:4",))


def test_units_cut_sentences_cells_and_headings() -> None:
    s = Statement("甲", ["a"], "commitment")
    md = "## 1. 标题\n\n我们说甲。您说乙（一。二）。\n\n| x | 甲 |\n| --- | --- |\n| 丙 | 甲 |\n"
    spans = [Span(i, i + 1, s) for i, ch in enumerate(md) if ch == "甲"]
    found = units(md, spans, "policy")
    assert [u.text for u in found] == [
        "## 1. 标题", "我们说甲。", "您说乙（一。二）。", "x", "甲", "丙", "甲",
    ]  # fmt: skip
    assert [u.kind for u in found][1:3] == ["commitment", "boilerplate"]
    assert found[1].sources == ("a", "tpl.policy:1")
    assert found[4].sources == ("a",)


def test_cli_explain_prints_lines_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["render", str(FILES["minimal"]), "--explain"])
    assert result.exit_code == 0, result.output
    assert "[commitment] §1.1.1 - **保存期限**" in result.output
    assert "← scenarios[0].retention (line" in result.output
    result = runner.invoke(
        app, ["render", str(FILES["minimal"]), "--explain", "--json", "--doc", "summary"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first = data[0]
    assert first["kind"] == "fact" and first["text"].startswith("# 《小额示例贷")
    assert {"source": "policy.title", "line": first["sources"][0]["line"]} in first["sources"]
    assert runner.invoke(app, ["render", str(FILES["minimal"]), "--json"]).exit_code == 1


# ---------------------------------------------------------------- the machinery


def test_templates_print_only_statements() -> None:
    assert finalize(Statement("x", ["a"])) == "x"
    assert finalize(3) == "3"
    for value in ("plain", None, True):
        with pytest.raises(TypeError, match="no source"):
            finalize(value)


def test_recording_marks_statements_and_unmark_finds_them() -> None:
    a, b = Statement("甲", ["a"]), Statement("乙乙", ["b"], "negative")
    with recording() as printed:
        marked = f"前{finalize(a)}中{finalize(b)}后{finalize(Statement(''))}"
    text, spans = unmark(marked, printed)
    assert text == "前甲中乙乙后"
    assert [(s.start, s.end, s.statement.sources) for s in spans] == [
        (1, 2, ("a",)),
        (3, 5, ("b",)),
    ]
    assert finalize(a) == "甲"  # outside a recording nothing is marked


def test_statement_helpers() -> None:
    assert at("scenarios", 3, "permissions", 0, "when") == "scenarios[3].permissions[0].when"
    path = ("scenarios", 3, "permissions", 0, "when")
    assert parse_path("scenarios[3].permissions[0].when") == path
    assert said("a*b", "x") == "a\\*b"
    joined = merged([said("甲", "x"), "、", fixed("乙", "t.id", "y", kind="negative")])
    assert joined == "甲、乙" and joined.kind == "negative"
    assert joined.sources == ("x", "tpl.t.id", "y")
    assert not merged([Statement(""), ""]) and merged([]).kind == "boilerplate"
    assert joined.paths == ("x", "y")


def test_stated_tells_a_written_field_from_a_default(base: dict[str, Any], dump: Dump) -> None:
    d = loads(dump(base))
    assert stated(d.policy, "title")
    assert not stated(d.policy, "on_decline")
    base["policy"]["on_decline"] = "browse_only"
    assert stated(loads(dump(base)).policy, "on_decline")
