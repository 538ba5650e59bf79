"""Which PI element a column holds, judged by its name and its comment (issue 17).

:func:`classify_column` reads a column's name (English, ``snake_case`` or ``camelCase``,
and the pinyin abbreviations Chinese schemas use: ``xm`` 姓名, ``sfzh`` 身份证号, ``sjh``
手机号 …) and its comment (``身份证号``, ``紧急联系人电话`` …), with the table's name and
comment as context (a phone number in a contacts table is an emergency contact's). Every
guess carries a confidence and the evidence it rests on; nothing here sees a value.
The dictionaries are :mod:`yinsi.taxonomy.column_words` and :mod:`~yinsi.taxonomy.column_pinyin`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yinsi.taxonomy.column_pinyin import PINYIN
from yinsi.taxonomy.column_words import (
    COMMENT_RULES,
    CONTACT_COLUMN,
    CONTACT_COMMENT,
    CONTACT_PART_TOKENS,
    CONTACT_PARTS,
    CONTACT_TABLE,
    NAME_RULES,
    NOT_PI_COMMENT,
    NOT_PI_SUFFIXES,
    NOT_RECORD_TABLES,
    OTHER_PARTY,
    RECORD_COMMENTS,
    RECORD_TABLES,
)

COMMENT_CONFIDENCE = 0.9
CONTEXT_CONFIDENCE = 0.9
BOTH_CONFIDENCE = 0.97


@dataclass(frozen=True, slots=True)
class Guess:
    """``element`` with ``confidence`` (0–1) because of ``evidence`` (no value in it)."""

    element: str
    confidence: float
    evidence: str
    part: str | None = None
    """For a contact's column: what of the contact it holds (``name``, ``mobile_number``…),
    when its name or comment says."""


def tokens(name: str) -> list[str]:
    """``homeAddr2`` → ``["home", "addr", "2"]``; ``LXR_DH`` → ``["lxr", "dh"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Za-z])([0-9])", r"\1_\2", spaced)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def classify_column(
    name: str, comment: str = "", *, table: str = "", table_comment: str = ""
) -> list[Guess]:
    """Elements the column may hold, best first; empty when nothing points at PI."""
    by_comment = _by_comment(comment)
    by_name = _by_name(name)
    contact = _contact_guess(name, comment, by_comment, by_name, table, table_comment)
    if contact is not None:
        return [contact]
    record = _record_guess(name, comment, by_comment, by_name, table, table_comment)
    if record is not None:
        return [record]
    guesses: dict[str, Guess] = {}
    if comment.strip() and not by_comment:  # a comment that does not confirm the name
        by_name = [Guess(g.element, round(g.confidence * 0.8, 2), g.evidence) for g in by_name]
    for guess in (*by_comment, *by_name):
        known = guesses.get(guess.element)
        if known is None:
            guesses[guess.element] = guess
        elif guess.evidence != known.evidence:
            confidence = max(BOTH_CONFIDENCE, known.confidence, guess.confidence)
            guesses[guess.element] = Guess(
                guess.element, confidence, f"{known.evidence}; {guess.evidence}"
            )
    return sorted(guesses.values(), key=lambda g: -g.confidence)


def _by_comment(comment: str) -> list[Guess]:
    text = comment.strip()
    if not text:
        return []
    for words, element, dates_ok in COMMENT_RULES:
        hit = next((w for w in words if w.lower() in text.lower()), None)
        if hit is None:
            continue
        if not dates_ok and NOT_PI_COMMENT.search(text):
            return []
        return [Guess(element, COMMENT_CONFIDENCE, f"column comment {_short(text)}")]
    return []


def _by_name(name: str) -> list[Guess]:
    parts = tokens(name)
    if not parts:
        return []
    joined = "_".join(parts)
    for pattern, element, confidence, suffix_ok in NAME_RULES:
        if not pattern.search(joined):
            continue
        if not suffix_ok and parts[-1] in NOT_PI_SUFFIXES:
            return []
        meaning = _pinyin_meaning(parts)
        evidence = f"column name {name}" + (f" (pinyin {meaning})" if meaning else "")
        return [Guess(element, confidence, evidence)]
    return []


def _pinyin_meaning(parts: list[str]) -> str:
    found = [PINYIN[p] for p in parts if p in PINYIN]
    return "".join(found)


def _contact_guess(
    name: str,
    comment: str,
    by_comment: list[Guess],
    by_name: list[Guess],
    table: str,
    table_comment: str,
) -> Guess | None:
    """A name, phone or relation column of someone the subject named as a contact."""
    column_parts = set(tokens(name))
    in_column = bool(column_parts & CONTACT_COLUMN) or CONTACT_COMMENT in comment
    in_table = bool(set(tokens(table)) & CONTACT_TABLE) or CONTACT_COMMENT in table_comment
    if not (in_column or in_table):
        return None
    kinds = {g.element for g in (*by_comment, *by_name)}
    relation = bool(column_parts & {"gx", "relation", "relationship", "rel"}) or "关系" in comment
    if not (kinds & CONTACT_PARTS or relation or column_parts & CONTACT_PART_TOKENS):
        return None
    element = "common_contacts" if "常用" in f"{comment}{table_comment}" else "emergency_contacts"
    where = (
        f"column {'comment ' + _short(comment) if CONTACT_COMMENT in comment else 'name ' + name}"
        if in_column
        else f"table {'comment ' + _short(table_comment) if table_comment else table}"
    )
    what = "relation" if relation and not kinds & CONTACT_PARTS else "name or phone"
    part = next((g.element for g in (*by_comment, *by_name) if g.element in CONTACT_PARTS), None)
    if part is None and what == "relation":
        part = "relation"  # drafted `format: relation`: a correction to 配偶 goes there
    return Guess(element, CONTEXT_CONFIDENCE, f"{what} of a contact ({where})", part)


def _record_guess(
    name: str,
    comment: str,
    by_comment: list[Guess],
    by_name: list[Guess],
    table: str,
    table_comment: str,
) -> Guess | None:
    """The other party's phone or name in a call or text-message record
    (``call_record.peer_phone``): the record's element, not the subject's own phone (a
    correction of the subject's phone must never be written into the records)."""
    parts = [g for g in (*by_comment, *by_name) if g.element in CONTACT_PARTS]
    other = bool(set(tokens(name)) & OTHER_PARTY) or "对方" in comment
    if not parts or not other:
        return None
    words = tokens(table)
    found = [RECORD_TABLES[t] for t in words if t in RECORD_TABLES]
    found += [e for word, e in RECORD_COMMENTS.items() if word in table_comment]
    if not found or set(words) & NOT_RECORD_TABLES or "验证码" in table_comment:
        return None
    where = f"table comment {_short(table_comment)}" if table_comment else f"table {table}"
    evidence = f"{parts[0].element} of the other party in a record ({where})"
    return Guess(found[0], CONTEXT_CONFIDENCE, evidence, parts[0].element)


def _short(text: str) -> str:
    """A comment as evidence: its first line, at most 40 characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 40 else line[:39] + "…"
