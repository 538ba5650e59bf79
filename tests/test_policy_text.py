"""Markdown escaping: declaration text renders literally, in prose and in table cells."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from yinsi.policy.record import cell
from yinsi.policy.text import Md, clause, clean, escape, join, link, quoted, sentence, star

MD = MarkdownIt("commonmark", {"html": False}).enable("table")

TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ019 .,:;!?#*_-+=|\\`~<>[](){}&'\"/@%$^\t")
        + list("中文个人信息，。、：；（）“”【】")
    ),
    max_size=40,
)


def _inline_text(markdown: str) -> str:
    """The text a reader sees of ``markdown``."""
    return _visible(MD.render(markdown))


def _visible(rendered: str) -> str:
    """HTML without tags, entities decoded."""
    out, inside = [], False
    for ch in rendered:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return html.unescape("".join(out)).strip()


@given(TEXT)
def test_escaped_text_renders_literally_as_a_paragraph(text: str) -> None:
    expected = clean(text)
    if expected:
        assert _inline_text(f"前文：{escape(text)}") == f"前文：{expected}"
        assert _inline_text(escape(text)) == expected


@given(TEXT)
def test_escaped_text_stays_in_one_table_cell(text: str) -> None:
    table = f"| a | b |\n| --- | --- |\n| {escape(text)} | x |\n"
    tokens = MD.parse(table)
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    body = [t for t in tokens if t.type == "inline"][2]
    seen = _visible(MD.renderer.renderInline(body.children or [], MD.options, {}))
    assert seen == clean(text).strip()


def test_clean_joins_folded_chinese_lines_but_keeps_latin_spaces() -> None:
    assert clean("需向 境外机构\n传输 IMEI 号") == "需向境外机构传输 IMEI 号"
    assert clean("（政策中称“本平台”、 “本公司”）") == "（政策中称“本平台”、“本公司”）"


def test_escape_marks_the_characters_markdown_would_eat() -> None:
    assert escape("a*b_c|d") == "a\\*b\\_c\\|d"
    assert escape("1. 不是列表") == "1\\. 不是列表"
    assert escape("- 不是列表") == "\\- 不是列表"
    assert escape("q&amp;a") == "q\\&amp;a"


def test_markdown_values_pass_through_unchanged() -> None:
    already = Md("身份证号码\\*")
    assert escape(already) is already
    assert join([already, "姓名_1"]) == "身份证号码\\*、姓名\\_1"


def test_star_marks_a_label_with_a_literal_asterisk() -> None:
    assert star("人脸信息") == "人脸信息\\*"
    assert _inline_text(star("人脸信息")) == "人脸信息*"


def test_link_is_an_autolink_only_when_safe() -> None:
    assert link("https://a.example/x?y=1|2") == "<https://a.example/x?y=1%7C2>"
    assert link("not a url") == "not a url"
    assert link("") == ""


def test_sentence_and_clause_handle_chinese_punctuation() -> None:
    assert sentence("无法注册") == "无法注册。"
    assert sentence("无法注册；") == "无法注册。"
    assert sentence("无法注册。") == "无法注册。"
    assert sentence("见“说明。”") == "见“说明。”"
    assert sentence("  ") == ""
    assert clause("无法注册。") == "无法注册"


def test_quoted_keeps_titled_documents_as_they_are() -> None:
    assert quoted("《隐私政策》") == "《隐私政策》"
    assert quoted("位置信息。") == "“位置信息”"


def test_empty_table_cells_show_a_dash() -> None:
    assert cell("") == "—"
    assert cell("x") == "x"
