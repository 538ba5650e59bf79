"""What changed between two policy versions, told to a user (PIPL Art. 17, X02, X03).

The changes and their judgement (material or editorial) are those of
:func:`yinsi.declaration.diff.diff`; this module only names them in Chinese: the section,
the entity by its label in the declaration, and the reason without its English gloss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from yinsi.declaration import Declaration
from yinsi.declaration.diff import SECTIONS, Change, diff
from yinsi.policy.lookup import Lookup

__all__ = ["ChangeRow", "change_rows"]

_KIND = {"added": "新增", "removed": "删除", "changed": "修改"}
_POLICY_FIELDS = {
    "version": "版本号",
    "updated": "更新日期",
    "effective": "生效日期",
    "title": "政策名称",
}
_FIELDS = {
    "name": "名称",
    "label": "名称",
    "value": "联系方式",
    "purposes": "处理目的",
    "elements": "个人信息",
    "consents": "所需同意",
    "recipients": "接收方",
    "period": "保存期限",
    "kind": "类型",
    "legal_basis": "合法性基础",
    "description": "说明",
}
_LIMIT = 80


@dataclass(frozen=True, slots=True)
class ChangeRow:
    section: str
    what: str
    """E.g. ``新增：OPPO推送`` or ``修改：咨询与投诉的处理目的``."""
    before: str
    after: str
    material: bool
    reason: str


def change_rows(old: Declaration, new: Declaration) -> list[ChangeRow]:
    """Every change from ``old`` to ``new``, material ones first, each in plain Chinese."""
    old_look, new_look = Lookup.of(old), Lookup.of(new)
    rows = [_row(c, old_look, new_look) for c in diff(old, new)]
    return sorted(rows, key=lambda r: not r.material)


def _row(change: Change, old: Lookup, new: Lookup) -> ChangeRow:
    look = old if change.kind == "removed" else new
    name = _entity(change, look) or _entity(change, old)
    if change.field:
        leaf = change.field.split(".")[-1]
        part = _FIELDS.get(leaf, _POLICY_FIELDS.get(leaf, leaf))
        name = name if part == name else f"{name}的{part}"
    changed = change.kind == "changed"
    return ChangeRow(
        section=SECTIONS.get(change.section, change.section).split(" ")[0],
        what=f"{_KIND[change.kind]}：{name}",
        before=_show(change.old, look) if changed else "",
        after=_show(change.new, look) if changed else "",
        material=change.material,
        reason=change.reason.split(" (")[0],
    )


def _entity(change: Change, look: Lookup) -> str:
    """The changed entity as the policy names it."""
    d, key = look.declaration, change.key
    match change.section:
        case "policy":
            return _POLICY_FIELDS.get(key, "政策信息")
        case "app":
            return "应用与处理者信息"
        case "elements":
            return look.label(key)
        case "permissions":
            return look.permission(key)
        case "purposes":
            return look.purpose(key)
        case "scenarios":
            return next((s.name for s in d.scenarios if s.id == key), "")
        case "consents":
            return look.consent(key) if key in look.consents else ""
        case "recipients":
            return look.recipients[key].name if key in look.recipients else ""
        case "sdks":
            return next((s.name for s in d.sdks if s.id == key), "")
        case "contacts":
            return look.channels[key].label if key in look.channels else "联系方式"
        case "retention":
            return look.retention[key].label if key in look.retention else ""
        case "rights":
            return next((r.kind.label for r in d.rights.items if r.id == key), "用户权利")
    return ""


def _show(value: Any, look: Lookup) -> str:
    if value is None:
        return "无"
    if isinstance(value, str):
        return _clip(_word(value, look))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _clip("、".join(_word(v, look) for v in value))
    if isinstance(value, dict):
        for field in ("name", "label", "text", "value"):
            if isinstance(value.get(field), str):
                return _clip(value[field])
    return _clip(json.dumps(value, ensure_ascii=False))


def _word(value: str, look: Lookup) -> str:
    """An id as its label (purposes, elements); other text as it is."""
    if value in look.taxonomy.purposes:
        return look.purpose(value)
    if value in look.taxonomy.elements:
        return look.label(value)
    return value


def _clip(text: str) -> str:
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"
