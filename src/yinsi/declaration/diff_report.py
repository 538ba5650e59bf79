"""Reporting a diff: JSON for machines (:func:`to_json`), text for people (:func:`format_text`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from yinsi.declaration.diff_model import SECTIONS, Change, Json
from yinsi.declaration.diff_repeats import place, repeats

LIMIT = 72
"""The width a value is clipped to in the text report."""
CONTEXT = 16
"""How much of what two long values share is shown before their first difference."""


def to_json(changes: list[Change]) -> dict[str, Any]:
    """``{"material": bool, "summary": {...}, "changes": [...]}``, ready for ``json.dumps``."""
    material = sum(c.material for c in changes)
    by_section = Counter(c.section for c in changes)
    by_kind = Counter(c.kind for c in changes)
    return {
        "material": material > 0,
        "summary": {
            "total": len(changes),
            "material": material,
            "editorial": len(changes) - material,
            "added": by_kind["added"],
            "removed": by_kind["removed"],
            "changed": by_kind["changed"],
            "sections": {s: by_section[s] for s in section_order(changes)},
        },
        "changes": [asdict(c) for c in changes],
    }


def format_text(changes: list[Change]) -> str:
    """A report for people: a summary line, then the changes grouped by section.

    A line that repeats others (a new purpose, also listed under the scenario that now
    pursues it: :mod:`.diff_repeats`) is shown, says so, and is not counted again.
    """
    if not changes:
        return "no changes (无变更)"
    repeated = repeats(changes)
    counted = [c for i, c in enumerate(changes) if i not in repeated]
    material = sum(c.material for c in counted)
    lines = [
        f"{len(counted)} change{'s' if len(counted) != 1 else ''}, {material} material"
        + (" — prominent notice and fresh consent needed (X03)" if material else "")
    ]
    for section in section_order(changes):
        lines += ["", SECTIONS.get(section, section)]
        lines += [
            _format_line(c, repeated.get(i)) for i, c in enumerate(changes) if c.section == section
        ]
    return "\n".join(lines)


def section_order(changes: list[Change]) -> list[str]:
    """The sections ``changes`` touch, in :data:`SECTIONS` order (unknown ones last)."""
    present = {c.section for c in changes}
    return [s for s in SECTIONS if s in present] + sorted(present - set(SECTIONS))


def _format_line(change: Change, repeats_line: Change | None = None) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
    if change.kind == "changed":
        where = (
            change.field
            if (change.field or "").split(".")[0] == change.key
            else (f"{change.key} {change.field}")
        )
        old, new = _show_pair(change.old, change.new)
        what = f"{where}: {old} → {new}"
    else:
        what = f"{change.key}: {_show(change.new if change.kind == 'added' else change.old)}"
    verdict = "! material" if change.material else "editorial"
    once = (
        f"（同一变更，已计入{place(repeats_line)}；不重复计数 same change as "
        f"{repeats_line.section} {repeats_line.key}: counted once）"
        if repeats_line
        else ""
    )
    return f"  {sign} {what}\n      {verdict} — {change.reason}{once}"


def _show(value: Json, limit: int = LIMIT) -> str:
    """A short rendering: an entity by its name or label, anything else as compact JSON."""
    return _clip(_full(value), limit)


def _full(value: Json) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        for name in ("name", "label", "text", "value", "id"):
            if isinstance(value.get(name), str):
                return str(value[name])
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _show_pair(old: Json, new: Json, limit: int = LIMIT) -> tuple[str, str]:
    """Both sides of a change, short, and showing where they differ.

    Clipped from their start, two long values that share a beginning (a change log with
    one entry added, a list of measures with the last one reworded) would read the same;
    when the first difference lies beyond the first half of ``limit``, both are shown from
    a little before it instead, with ``…`` for what is left out.
    """
    a, b = _full(old), _full(new)
    if len(a) <= limit and len(b) <= limit:
        return a, b
    same = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    if same <= limit // 2:
        return _clip(a, limit), _clip(b, limit)
    start = same - CONTEXT
    return _clip("…" + a[start:], limit), _clip("…" + b[start:], limit)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
