"""Storage, retention periods and tracking technologies (chapters 5 and 6).

网络数据安全管理条例 Art. 21 asks for the retention period *and* what happens when it
ends; every phrase here says both.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import Declaration, RetentionRule
from yinsi.policy.lookup import Lookup
from yinsi.policy.text import Md, clause, sentence

__all__ = [
    "RetentionRow",
    "StorageView",
    "TrackingRow",
    "retention_phrase",
    "storage_view",
    "tracking_rows",
]

NECESSARY = "实现处理目的所必需的最短期间"


def period_phrase(rule: RetentionRule) -> str:
    if rule.period is None:
        return f"在{NECESSARY}内保存"
    return f"自{rule.starts.label}起保存{rule.period.label}"


def retention_phrase(rule: RetentionRule | None) -> str:
    """``自注销账户之日起保存5年，期限届满后删除或匿名化处理`` (no final full stop)."""
    if rule is None:
        return f"在{NECESSARY}内保存，期限届满后删除或匿名化处理"
    phrase = f"{period_phrase(rule)}，期限届满后{rule.then.label}"
    if rule.minimum is not None:
        phrase += f"（法律、行政法规规定的最短保存期限为{rule.minimum.label}）"
    return phrase


@dataclass(frozen=True)
class RetentionRow:
    label: str
    phrase: str
    period: str
    starts: str
    then: str
    basis: str
    scenarios: str


@dataclass(frozen=True)
class StorageView:
    in_mainland: bool
    cross_border: bool
    cross_border_conditions: str
    service_end_notice: bool
    on_service_end: str
    rows: list[RetentionRow]


@dataclass(frozen=True)
class TrackingRow:
    name: str
    kind: str
    elements: Md
    purposes: str
    retention: str
    how_to_clear: str
    note: str


def storage_view(d: Declaration) -> StorageView:
    rows = []
    for rule in d.retention:
        users = [s.name for s in d.scenarios if s.retention == rule.id]
        users += [t.name for t in d.tracking if t.retention == rule.id]
        rows.append(
            RetentionRow(
                label=rule.label,
                phrase=retention_phrase(rule),
                period=rule.period.label if rule.period else NECESSARY,
                starts=rule.starts.label if rule.period else "",
                then=rule.then.label,
                basis=clause(rule.basis),
                scenarios="、".join(users),
            )
        )
    return StorageView(
        in_mainland=d.storage.location == "mainland_china",
        cross_border=d.storage.cross_border,
        cross_border_conditions=sentence(d.storage.cross_border_conditions),
        service_end_notice=d.storage.service_end_notice,
        on_service_end=d.storage.on_service_end.label,
        rows=rows,
    )


def tracking_rows(d: Declaration, look: Lookup) -> list[TrackingRow]:
    return [
        TrackingRow(
            name=t.name,
            kind=t.kind.label,
            elements=look.elements(t.elements) if t.elements else Md(""),
            purposes=look.purposes(t.purposes),
            retention=retention_phrase(rule)
            if (rule := look.retention.get(t.retention or ""))
            else "",
            how_to_clear=clause(t.how_to_clear),
            note=clause(t.note),
        )
        for t in d.tracking
    ]
