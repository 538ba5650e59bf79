"""Reporting a diff: JSON for machines (:func:`to_json`), text for people (:func:`format_text`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from yinsi.declaration.diff_model import SECTIONS, Change, Json


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
    """A report for people: a summary line, then the changes grouped by section."""
    if not changes:
        return "no changes (无变更)"
    material = sum(c.material for c in changes)
    lines = [
        f"{len(changes)} change{'s' if len(changes) != 1 else ''}, {material} material"
        + (" — prominent notice and fresh consent needed (X03)" if material else "")
    ]
    for section in section_order(changes):
        lines += ["", SECTIONS.get(section, section)]
        lines += [_format_line(c) for c in changes if c.section == section]
    return "\n".join(lines)


def section_order(changes: list[Change]) -> list[str]:
    """The sections ``changes`` touch, in :data:`SECTIONS` order (unknown ones last)."""
    present = {c.section for c in changes}
    return [s for s in SECTIONS if s in present] + sorted(present - set(SECTIONS))


def _format_line(change: Change) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[change.kind]
    if change.kind == "changed":
        where = (
            change.field
            if (change.field or "").split(".")[0] == change.key
            else (f"{change.key} {change.field}")
        )
        what = f"{where}: {_show(change.old)} → {_show(change.new)}"
    else:
        what = f"{change.key}: {_show(change.new if change.kind == 'added' else change.old)}"
    verdict = "! material" if change.material else "editorial"
    return f"  {sign} {what}\n      {verdict} — {change.reason}"


def _show(value: Json, limit: int = 72) -> str:
    """A short rendering: an entity by its name or label, anything else as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        for name in ("name", "label", "text", "value", "id"):
            if isinstance(value.get(name), str):
                return _clip(value[name], limit)
    if isinstance(value, str):
        return _clip(value, limit)
    return _clip(json.dumps(value, ensure_ascii=False), limit)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
