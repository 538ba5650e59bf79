"""Text quality of the reference renders (issue 13, Build 6): golden files, no doubled
words from template leads, no repeated paragraphs, no "保存0日" or "年满0周岁".

Regenerate the golden files after a deliberate change of wording::

    YINSI_GOLDEN=update .venv/bin/python -m pytest tests/test_policy_claims_text.py

and read the diff (``git diff tests/data/golden``) before committing it.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from yinsi.declaration import load
from yinsi.policy import DOCS, render

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
REFERENCES = ("xiaoying-kadai", "wolai-shuke")
UPDATE = os.environ.get("YINSI_GOLDEN") == "update"

DOUBLED = {
    "a subject and 是 twice": re.compile(r"本平台是[^。，；：]{0,20}?是"),
    "适用于 twice": re.compile(r"适用于[^。，；]{0,12}适用于"),
    # 目的的 is a word and its particle (PIPL Art. 6 "实现处理目的的最小范围"), not a seam.
    "a function word twice": re.compile(r"(?<!目)(将|的|是|在|和|或|及|与|对|向)\1"),
    "two punctuation marks": re.compile(r"[。，；、：]{2}"),
    "如有 after a condition": re.compile(r"（[^（）]*如[^（）]*，如有）"),
    "a zero period": re.compile(r"保存0|(?<!\d)0(日|天|个月|年)"),
    "age zero": re.compile(r"年满0周岁"),
    "本平台 defined twice": re.compile(r"以下简称“本平台”[\s\S]*以下简称“本平台”"),
}
"""Artefacts of templates around declaration text, by name."""

_HAN = re.compile(r"[\u4e00-\u9fff]")
_CITATION = re.compile(r"（《[^）]*》[^）]*）")
SAME = 0.8
"""Share of one sentence's character pairs found in another of the same section above
which the two say the same thing."""


@cache
def rendered(name: str, doc: str) -> str:
    return render(load(ROOT / "examples" / "declarations" / f"{name}.yaml"), doc, "md")


CASES = [(name, doc) for name in REFERENCES for doc in DOCS]


@pytest.mark.parametrize(("name", "doc"), CASES)
def test_reference_renders_match_their_golden_files(name: str, doc: str) -> None:
    path = GOLDEN / name / f"{doc}.md"
    text = rendered(name, doc)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with YINSI_GOLDEN=update"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} {doc} changed; if on purpose, regenerate with YINSI_GOLDEN=update and "
        "read the diff"
    )


@pytest.mark.parametrize(("name", "doc"), CASES)
def test_no_doubled_words_or_text_artefacts(name: str, doc: str) -> None:
    text = rendered(name, doc)
    found = {what: m.group(0)[:40] for what, rx in DOUBLED.items() if (m := rx.search(text))}
    assert found == {}


def _pairs(text: str) -> set[str]:
    han = "".join(_HAN.findall(_CITATION.sub("", text)))
    return {han[i : i + 2] for i in range(len(han) - 1)}


def prose_by_section(markdown: str) -> dict[str, list[str]]:
    """The sentences of the prose paragraphs (no lists, tables or headings), by section;
    the signature block after ``---`` is left out."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in markdown.split("\n---\n", 1)[0].splitlines():
        if line.startswith("#"):
            section = line
        elif line.strip() and not re.match(r"^(\||- |\d+\. |\*\*)", line):
            parts = re.split(r"(?<=[。；！？])", line)
            out.setdefault(section, []).extend(p for p in parts if len(_HAN.findall(p)) >= 15)
    return out


def repeats(markdown: str) -> list[tuple[str, str, str]]:
    """(section, sentence, sentence) that say the same thing twice in one section."""
    found = []
    for section, sentences in prose_by_section(markdown).items():
        for i, a in enumerate(sentences):
            for b in sentences[i + 1 :]:
                small, large = sorted((_pairs(a), _pairs(b)), key=len)
                if len(small & large) >= SAME * len(small):
                    found.append((section, a, b))
    return found


@pytest.mark.parametrize(("name", "doc"), CASES)
def test_no_paragraph_says_the_same_thing_twice(name: str, doc: str) -> None:
    text = rendered(name, doc)
    paragraphs = [
        p.strip()
        for p in text.split("\n\n")
        if len(_HAN.findall(p)) >= 20 and not re.match(r"^(\||- |\d+\. |#)", p.strip())
    ]
    assert [p[:40] for p in paragraphs if paragraphs.count(p) > 1] == []
    assert repeats(text) == []


def test_the_checks_catch_what_they_look_for() -> None:
    assert DOUBLED["a subject and 是 twice"].search("本平台是云闪付APP是银联的平台")
    assert DOUBLED["适用于 twice"].search("适用于本政策适用于示例App")
    assert DOUBLED["a function word twice"].search("我们将将停止运营")
    assert DOUBLED["如有 after a condition"].search("身份证号码（如已实名，如有）")
    assert DOUBLED["a zero period"].search("保存0日") and DOUBLED["age zero"].search("年满0周岁")
    assert not DOUBLED["a zero period"].search("保存10日、30日")
    twice = (
        "### 4.5 删除\n\n法律、行政法规规定的保存期限未届满，或者删除个人信息从技术上难以实现的，"
        "我们将停止除存储之外的处理。\n\n出现上述情形时我们将主动删除。法律、行政法规规定的保存期限"
        "未届满，或者删除个人信息从技术上难以实现的，我们将停止除存储之外的处理。\n"
    )
    assert len(repeats(twice)) == 1
