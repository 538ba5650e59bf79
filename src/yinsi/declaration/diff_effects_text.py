"""Effects that tell a rewording of free text from a change of substance.

Most free text is judged whole (:mod:`.diff_effects`: any change of an effect on the user
is material). Three kinds of text can be read a little further, and reading them
whole made edits of punctuation look like new processing:

* a *party's name* (a recipient, an SDK's provider, a joint handler): the same party
  keeps its name through a wording fix (``有限公司`` added, full-width or half-width
  parentheses, spaces, a trailing note such as ``（以下简称“众安”）``); any other
  change names another party, which receives the PI under a new consent or a new
  entrustment (PIPL Arts. 21, 23);
* a *list of sources* of indirectly obtained PI: a text that only shrinks names no new
  source; one that says anything the old did not may;
* a *list of promises* (security measures, ways of notice or withdrawal): a promise is
  kept when it is still there word for word, or with words only added, none of them a
  hedge or a negation.

Texts are compared after :func:`normalised`: NFKC (full-width to half-width), case
folded, spaces and punctuation left out. Each effect returns ``None`` for wording and
a detail otherwise, like those of :mod:`.diff_effects`; when unsure they say material.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from yinsi.declaration.diff_find import DiffContext
from yinsi.declaration.diff_model import Change, Json

__all__ = [
    "gained_text",
    "lost_text",
    "normalised",
    "other_party",
    "same_party",
    "source_added",
]

_LEGAL_FORM = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|公司|股份"
    r"|,?\s*(co\.?,?\s*)?(ltd\.?|limited|inc\.?|incorporated|corp\.?|corporation|llc))$"
)
"""The organisational form at the end of a name (after NFKC and case folding). Names
that differ only in it name the same enterprise for a reader of the policy."""

_TRAILING_NOTE = re.compile(r"\(([^()]*)\)\s*$")
"""A parenthesised note at the end of a name (after NFKC: half-width parentheses)."""

WIDENING_NOTE = (
    "及", "和", "与", "或", "关联", "子公司", "分公司", "控股", "成员", "旗下", "指定", "委托", "合作",
)  # fmt: skip
"""Words that make a note added to a name name more parties (``（及其关联公司）``)."""

CONNECTIVES = re.compile(r"以及|或者|及|和|与|或")
"""Words that join the items of a list of sources: ``、`` and ``及`` say the same."""

HEDGES = (
    "不", "未", "无", "非", "否", "勿", "没", "免", "除", "仅", "或", "可能", "部分",
    "尽量", "尽力", "努力", "原则上", "一般", "通常", "酌情", "视情况", "必要时", "适当",
    "例外", "暂", "逐步", "将", "拟", "计划",
)  # fmt: skip
"""Words that, added to a promise, may weaken or reverse it (``部分``, ``尽量``, ``不``)."""


def normalised(text: str) -> str:
    """``text`` without what does not change its words: width, case, spaces, punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c.isalnum())


def _arrow(change: Change) -> str:
    return f"{change.old or '—'} → {change.new or '—'}"


# ---------------------------------------------------------------- names of parties


def _split_notes(name: str) -> tuple[str, list[str]]:
    """A name's body and the notes in parentheses at its end, outermost last."""
    body = unicodedata.normalize("NFKC", name).casefold().strip()
    notes: list[str] = []
    while (match := _TRAILING_NOTE.search(body)) and match.start() > 0:
        notes.insert(0, normalised(match.group(1)))
        body = body[: match.start()].rstrip()
    return normalised(_LEGAL_FORM.sub("", body)) or normalised(body), notes


def same_party(old: str, new: str) -> bool:
    """Whether two spellings of a party's name name the same party.

    The bodies must be equal once normalised and stripped of the organisational form
    (``股份有限公司``, ``Co., Ltd.``): a different body is a different enterprise
    (``腾讯科技（深圳）`` is not ``腾讯科技（北京）``). Notes at the end may be dropped;
    notes may be added unless one names more parties (``（及其关联公司）``); a note
    replaced by another is a change of party, as a reader cannot tell otherwise.
    """
    (old_body, old_notes), (new_body, new_notes) = _split_notes(old), _split_notes(new)
    if old_body != new_body:
        return False
    added = [n for n in new_notes if n not in old_notes]
    if added and any(n not in new_notes for n in old_notes):
        return False
    return not any(word in note for note in added for word in WIDENING_NOTE)


def other_party(change: Change, ctx: DiffContext) -> str | None:
    """A party's name (recipient, SDK provider, joint handler): material when it names another."""
    if same_party(str(change.old or ""), str(change.new or "")):
        return None
    return _arrow(change)


# ---------------------------------------------------------------- sources


def _items(text: Json) -> tuple[str, frozenset[int]]:
    """A list's words, normalised, and the cuts between its items.

    Punctuation, spaces and the words that join a list (``、``, ``及``, ``和``) are left
    out; a cut is the position in the words where one of them stood, or an end.
    """
    folded = CONNECTIVES.sub("、", unicodedata.normalize("NFKC", str(text or "")).casefold())
    words: list[str] = []
    cuts = {0}
    for char in folded:
        if char.isalnum():
            words.append(char)
        else:
            cuts.add(len(words))
    return "".join(words), frozenset(cuts | {len(words)})


def _glues(words: str, cuts: frozenset[int], start: int, end: int) -> bool:
    """Whether deleting ``words[start:end]`` joins the pieces of two items into one.

    A deletion that has a cut inside must begin or end on a cut, else what is left on
    either side — the head of one name, the tail of another — reads as a name neither
    text named (百行征信、朴道征信 → 百道征信). A deletion between equal letters can be
    placed anywhere along them; it glues only if no placement avoids it.
    """
    size = end - start
    first = start
    while first > 0 and words[first - 1] == words[first - 1 + size]:
        first -= 1
    last = start
    while last + size < len(words) and words[last] == words[last + size]:
        last += 1
    for at in range(first, last + 1):
        inside = any(at < cut < at + size for cut in cuts)
        if not inside or at in cuts or at + size in cuts:
            return False
    return True


def source_added(change: Change, ctx: DiffContext) -> str | None:
    """Where indirectly obtained PI comes from: material when the text may name a new source.

    The texts are compared as :func:`_items` reads them: ``、`` → ``及`` is no change.
    When the new text is the old with parts deleted, none of which glues two items
    together (:func:`_glues`), it names no new source: a source removed or a word
    dropped. Anything else — a name added or replaced, a sentence reworded — may name a
    new source and is material; the detail shows what the new text adds.
    """
    (old, cuts), (new, _) = _items(change.old), _items(change.new)
    if not new or old == new:
        return None
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    if added := [new[j1:j2] for tag, _, _, j1, j2 in ops if tag in ("insert", "replace")]:
        return "新增内容 added: " + "…".join(added)
    if any(_glues(old, cuts, i1, i2) for tag, i1, i2, _, _ in ops if tag == "delete"):
        return "删除处跨越两项，所余文字可能构成新名称 (a deletion joins two items into what may be a new name)"
    return None


# ---------------------------------------------------------------- lists of promises


def _texts(value: Json) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _extended(old: str, new: str) -> bool:
    """Whether ``new`` is ``old`` with words only added, none of them a hedge or negation."""
    a, b = normalised(old), normalised(new)
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    if any(tag in ("delete", "replace") for tag, *_ in ops):
        return False
    inserted = "".join(b[j1:j2] for tag, _, _, j1, j2 in ops if tag == "insert")
    return not any(word in inserted for word in HEDGES)


def kept_promises(old: list[str], new: list[str]) -> list[str]:
    """The promises of ``old`` that ``new`` no longer makes, in order.

    A promise is kept by an item of ``new`` equal to it once normalised (punctuation,
    width, spaces), else by one that only adds words to it (``定期``) without a hedge or
    negation (:data:`HEDGES`). Each item of ``new`` keeps one promise; exact matches are
    paired first. Any other rewording may weaken the promise, so it counts as lost.
    """
    pool = [normalised(n) for n in new]
    rest = []
    for item in old:
        if normalised(item) in pool:
            pool.remove(normalised(item))
        else:
            rest.append(item)
    lost = []
    for item in rest:
        match = next((p for p in pool if _extended(item, p)), None)
        if match is None:
            lost.append(item)
        else:
            pool.remove(match)
    return lost


def lost_text(change: Change, ctx: DiffContext) -> str | None:
    """A list of promises in free text (security measures): material when one is lost."""
    lost = kept_promises(_texts(change.old), _texts(change.new))
    return "; ".join(lost) if lost else None


def gained_text(change: Change, ctx: DiffContext) -> str | None:
    """A list of burdens in free text (preconditions): material when one is new.

    Only punctuation, width and spaces are wording here: a burden reworded in any other
    way may ask more of the user.
    """
    old = {normalised(o) for o in _texts(change.old)}
    more = [n for n in _texts(change.new) if normalised(n) not in old]
    return "; ".join(more) if more else None
