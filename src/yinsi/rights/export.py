"""The copy a user receives (X31): JSON and CSV in a ZIP, with a Chinese index of every field.

``说明.md`` says, per dataset and field, which element it is, its category, whether it is
sensitive, why it is held (the purposes of the scenarios that collect it) and how long it
is kept — so the copy answers "what do you hold about me and why" (PIPL Arts. 44-45).
``data.json`` holds everything in one machine-readable file for transfer to another
handler (PIPL Art. 45 para. 3); one CSV per dataset opens in a spreadsheet.

Both also list the provisions of the subject's PI from the provision ledger (recipient,
elements, purpose, basis, time), so the copy tells the user who received their PI
(PIPL Arts. 23, 45; X19, X31).
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Protocol

from yinsi.declaration.datamap import DataMap
from yinsi.declaration.schema import Declaration
from yinsi.declaration.view import taxonomy_of
from yinsi.taxonomy import LegalBasis
from yinsi.taxonomy.timezone import CHINA

Rows = Sequence[Mapping[str, Any]]
_FIXED = datetime(1980, 1, 1)  # zip entries' time: the same parts give the same archive


class ProvisionEntry(Protocol):
    """One provision of the subject's PI as the ledger keeps it
    (:class:`yinsi.lifecycle.sharing.Provision` fits)."""

    @property
    def recipient(self) -> str: ...
    @property
    def elements(self) -> tuple[str, ...]: ...
    @property
    def purpose(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def consent_id(self) -> str | None: ...
    @property
    def de_identified(self) -> str: ...
    @property
    def at(self) -> datetime: ...


def plain(value: object) -> object:
    """A JSON/CSV-safe form of a stored value, whatever type the driver gave it: dates and
    times ISO, decimals as text, bytes hex, a JSON column's document kept as a document,
    anything else (a UUID, an IP address, an interval, a range) as its text."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)  # Decimal (exact), UUID, IPv4Address, timedelta, …


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


def basis_label(basis: str) -> str:
    """The Chinese of a provision's basis: ``consent``, ``entrusted``, ``legal_basis:<b>``."""
    if basis == "consent":
        return "您的单独同意"
    if basis == "entrusted":
        return "委托处理（《个人信息保护法》第二十一条）"
    kind, _, value = basis.partition(":")
    found = LegalBasis._value2member_map_.get(value) if kind == "legal_basis" else None
    return found.label if isinstance(found, LegalBasis) else basis


def provisions_section(declaration: Declaration, provisions: Sequence[ProvisionEntry]) -> list[str]:
    """The Markdown lines of ``说明.md`` that list who received the subject's PI."""
    lines = ["## 向他人提供您的个人信息的记录", ""]
    if not provisions:
        return [*lines, "我们没有向他人提供您的个人信息的记录。", ""]
    taxonomy = taxonomy_of(declaration)
    names = {r.id: r.name for r in declaration.recipients}
    lines += [
        "以下是我们向其他个人信息处理者或受托方提供您的个人信息的记录（北京时间）。",
        "",
        "| 时间 | 接收方 | 个人信息 | 处理目的 | 依据 |",
        "|---|---|---|---|---|",
    ]
    for p in provisions:
        elements = "、".join(
            taxonomy.elements[e].label if e in taxonomy.elements else e for e in p.elements
        )
        purpose = (
            taxonomy.purposes[p.purpose].label if p.purpose in taxonomy.purposes else p.purpose
        )
        basis = basis_label(p.basis)
        if p.de_identified == "always":
            basis += "；已去标识化"
        at = p.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"| {at} | {names.get(p.recipient, p.recipient)} | {elements} | {purpose} | {basis} |"
        )
    return [*lines, ""]


def provisions_json(
    declaration: Declaration, provisions: Sequence[ProvisionEntry]
) -> list[dict[str, Any]]:
    """The provisions as ``data.json`` lists them (ids with their Chinese names)."""
    names = {r.id: r.name for r in declaration.recipients}
    return [
        {
            "recipient": p.recipient,
            "recipient_name": names.get(p.recipient, p.recipient),
            "elements": list(p.elements),
            "purpose": p.purpose,
            "basis": p.basis,
            "basis_label": basis_label(p.basis),
            "consent_id": p.consent_id,
            "de_identified": p.de_identified,
            "at": p.at.isoformat(),
        }
        for p in provisions
    ]


def archive(
    declaration: Declaration,
    data_map: DataMap,
    parts: Mapping[str, Rows],
    provisions: Sequence[ProvisionEntry] = (),
) -> bytes:
    """The ZIP: ``说明.md``, ``data.json`` and one CSV per dataset with records; both
    files list ``provisions`` (the subject's, oldest first)."""
    buffer = io.BytesIO()
    clean = {
        ds: [{k: plain(v) for k, v in row.items()} for row in rows] for ds, rows in parts.items()
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, date_time=_FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))

        text = index(declaration, data_map, clean)
        put("说明.md", "\n".join([text, *provisions_section(declaration, provisions)]))
        payload = {
            "app": declaration.app.id,
            "datasets": clean,
            "provisions": provisions_json(declaration, provisions),
        }
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
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in row.items()
                    }
                )
            put(f"{ds_id}.csv", "\ufeff" + out.getvalue())  # BOM: Excel reads UTF-8
    return buffer.getvalue()
