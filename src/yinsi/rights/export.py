"""The copy a user receives (X31): JSON and CSV in a ZIP, with a Chinese index of every field.

``说明.md`` says, per dataset and field, which element it is, its category, whether it is
sensitive, why it is held (the purposes of the scenarios that collect it) and how long it
is kept — so the copy answers "what do you hold about me and why" (PIPL Arts. 44-45).
``data.json`` holds everything in one machine-readable file for transfer to another
handler (PIPL Art. 45 para. 3); one CSV per dataset opens in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from yinsi.declaration.datamap import DataMap
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import taxonomy_of

Rows = Sequence[Mapping[str, Any]]
_FIXED = datetime(1980, 1, 1)  # zip entries' time: the same parts give the same archive


def plain(value: object) -> object:
    """A JSON/CSV-safe form of a stored value (dates ISO, decimals as text, bytes hex)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def _why(declaration: Declaration) -> dict[str, tuple[list[str], list[str]]]:
    """element → (purpose labels, retention labels) over every scenario collecting it."""
    taxonomy = taxonomy_of(declaration)
    rules = {r.id: r for r in declaration.retention}
    out: dict[str, tuple[list[str], list[str]]] = {}
    for scenario in declaration.scenarios:
        for element in scenario.element_ids:
            purposes, kept = out.setdefault(element, ([], []))
            for pid in scenario.purposes:
                label = taxonomy.purposes[pid].label if pid in taxonomy.purposes else pid
                if label not in purposes:
                    purposes.append(label)
            rule = rules.get(scenario.retention or "")
            if rule is not None:
                text = rule.label + (f"（{rule.period.label}）" if rule.period else "")
                if text not in kept:
                    kept.append(text)
    return out


def index(declaration: Declaration, data_map: DataMap, parts: Mapping[str, Rows]) -> str:
    taxonomy = taxonomy_of(declaration)
    why = _why(declaration)
    lines = [
        f"# {declaration.app.name}：您的个人信息副本",
        "",
        "本文件说明副本中每个数据集、每个字段是什么信息、我们为何持有以及保存多久。",
        "`data.json` 包含全部内容，便于转移至其他个人信息处理者；每个数据集另附 CSV 文件。",
        "",
    ]
    for ds in data_map.datasets:
        rows = parts.get(ds.id)
        if not rows:
            continue
        lines += [f"## {ds.label}（{ds.id}.csv，{len(rows)}条）", ""]
        lines += [
            "| 字段 | 个人信息 | 类别 | 敏感 | 处理目的 | 保存期限 |",
            "|---|---|---|---|---|---|",
        ]
        for f in ds.fields:
            element = taxonomy.elements.get(f.element)
            label = element.label if element else f.element
            category = (
                taxonomy.categories[element.category].label
                if element and element.category in taxonomy.categories
                else ""
            )
            sensitive = "是" if element and element.sensitive else "否"
            purposes, kept = why.get(f.element, ([], []))
            lines.append(
                f"| {f.name} | {label} | {category} | {sensitive} | "
                f"{'；'.join(purposes) or '—'} | {'；'.join(kept) or '—'} |"
            )
        lines.append("")
    return "\n".join(lines)


def archive(declaration: Declaration, data_map: DataMap, parts: Mapping[str, Rows]) -> bytes:
    """The ZIP: ``说明.md``, ``data.json`` and one CSV per dataset with records."""
    buffer = io.BytesIO()
    clean = {
        ds: [{k: plain(v) for k, v in row.items()} for row in rows] for ds, rows in parts.items()
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, date_time=_FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))

        put("说明.md", index(declaration, data_map, clean))
        payload = {"app": declaration.app.id, "datasets": clean}
        put("data.json", json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True))
        for ds_id, rows in sorted(clean.items()):
            if not rows:
                continue
            out = io.StringIO()
            columns = list(dict.fromkeys(k for row in rows for k in row))
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                        for k, v in row.items()
                    }
                )
            put(f"{ds_id}.csv", "\ufeff" + out.getvalue())  # BOM: Excel reads UTF-8
    return buffer.getvalue()
