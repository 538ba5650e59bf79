"""Storage, retention periods and tracking technologies (chapters 5 and 6), as statements.

The words of a retention period are :mod:`.retention`'s (the declared modality); this
module says where they come from and says nothing the declaration leaves out: no storage
location, no "not abroad", no notice before the service ends unless declared.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import RetentionRule
from yinsi.policy.lookup import Lookup
from yinsi.policy.provenance import Statement, at, fixed, merged, said, stated
from yinsi.policy.retention import period_cell, retention_phrase
from yinsi.policy.statements import retention_sources
from yinsi.policy.text import clause, sentence

__all__ = ["RetentionRow", "StorageView", "TrackingRow", "storage_view", "tracking_rows"]

NOTHING = Statement("")


@dataclass(frozen=True)
class RetentionRow:
    label: Statement
    phrase: Statement
    period: Statement
    starts: Statement
    then: Statement
    basis: Statement
    scenarios: Statement


@dataclass(frozen=True)
class StorageView:
    location: Statement
    cross_border: bool
    no_cross_border: Statement
    cross_border_conditions: Statement
    service_end_notice: Statement
    on_service_end: Statement
    service_end_note: Statement
    rows: list[RetentionRow]


@dataclass(frozen=True)
class TrackingRow:
    name: Statement
    kind: Statement
    elements: Statement
    purposes: Statement
    retention: Statement
    how_to_clear: Statement
    note: Statement


def _label(rule: RetentionRule, path: str, look: Lookup) -> Statement:
    """The rule's label, with the elements it names: ``金融鉴别信息（银行卡安全码*）``."""
    label = said(rule.label, f"{path}.label")
    if not rule.elements:
        return label
    elements = Statement(look.elements(rule.elements), [f"{path}.elements"])
    return merged([label, "（", elements, "）"])


def _row(rule: RetentionRule, i: int, look: Lookup) -> RetentionRow:
    d = look.declaration
    path = at("retention", i)
    users = [
        at("scenarios", j, "retention") for j, s in enumerate(d.scenarios) if s.retention == rule.id
    ]
    users += [
        at("tracking", j, "retention") for j, t in enumerate(d.tracking) if t.retention == rule.id
    ]
    names = [s.name for s in d.scenarios if s.retention == rule.id]
    names += [t.name for t in d.tracking if t.retention == rule.id]
    sources = retention_sources(rule, look)
    starts = getattr(rule, "starts", None)
    return RetentionRow(
        label=_label(rule, path, look),
        phrase=said(retention_phrase(rule), *sources, kind="commitment"),
        period=said(
            period_cell(rule),
            *[s for s in sources if s.endswith((".period", ".bound", ".not_retained", ".kept_as"))]
            or [path],
            kind="commitment",
        ),
        starts=said(starts.label, f"{path}.starts") if rule.period and starts else NOTHING,
        then=said(rule.then.label, f"{path}.then", kind="commitment") if rule.then else NOTHING,
        basis=said(clause(rule.basis), f"{path}.basis"),
        scenarios=said("、".join(names), *users),
    )


def _location(look: Lookup) -> Statement:
    storage = look.declaration.storage
    if not stated(storage, "location"):
        return NOTHING
    if storage.location == "mainland_china":
        text = "我们在中华人民共和国境内运营中收集和产生的个人信息，存储在中华人民共和国境内。"
    else:
        text = "我们收集和产生的个人信息存储在中华人民共和国境外。"
    return fixed(text, f"storage.location.{storage.location}", "storage.location", kind="fact")


def storage_view(look: Lookup) -> StorageView:
    d = look.declaration
    storage = d.storage
    notice = stated(storage, "service_end_notice") and storage.service_end_notice
    return StorageView(
        location=_location(look),
        cross_border=storage.cross_border,
        no_cross_border=fixed(
            "目前我们不向境外提供您的个人信息。",
            "storage.no_cross_border",
            "storage.cross_border",
            kind="negative",
        )
        if stated(storage, "cross_border") and not storage.cross_border
        else NOTHING,
        cross_border_conditions=said(
            sentence(storage.cross_border_conditions), "storage.cross_border_conditions"
        ),
        service_end_notice=fixed(
            "提前向您通知",  # the commitment alone: how is not said unless declared
            "storage.service_end_notice",
            "storage.service_end_notice",
            kind="commitment",
        )
        if notice
        else NOTHING,
        on_service_end=said(
            storage.on_service_end.label, "storage.on_service_end", kind="commitment"
        )
        if stated(storage, "on_service_end")
        else NOTHING,
        service_end_note=said(
            sentence(storage.service_end_note), "storage.service_end_note", kind="commitment"
        ),
        rows=[_row(rule, i, look) for i, rule in enumerate(d.retention)],
    )


def tracking_rows(look: Lookup) -> list[TrackingRow]:
    rows = []
    for i, t in enumerate(look.declaration.tracking):
        path = at("tracking", i)
        rule = look.retention.get(t.retention or "")
        retention = NOTHING
        if rule is not None:
            sources = retention_sources(rule, look)
            retention = said(
                retention_phrase(rule), f"{path}.retention", *sources, kind="commitment"
            )
        rows.append(
            TrackingRow(
                name=said(t.name, f"{path}.name"),
                kind=said(t.kind.label, f"{path}.kind"),
                elements=Statement(look.elements(t.elements), [f"{path}.elements"]),
                purposes=said(look.purposes(t.purposes), f"{path}.purposes"),
                retention=retention,
                how_to_clear=said(clause(t.how_to_clear), f"{path}.how_to_clear"),
                note=said(clause(t.note), f"{path}.note"),
            )
        )
    return rows
