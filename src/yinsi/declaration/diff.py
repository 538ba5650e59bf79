"""What changed between two declarations, and which changes are material.

A policy change must be told to users (PIPL Art. 17, second paragraph); a change of the
purposes, methods or kinds of PI processed needs fresh consent (PIPL Art. 14, second
paragraph); a change of handler by merger or transfer must be told with the new
handler's name and contact (PIPL Art. 22). The 小赢卡贷 policy promises that *material*
changes are flagged for prominent notice (X03): A the service model, B ownership (the
handler), C user rights and how to exercise them, D the responsible department,
contact or complaint channel, E a high-risk impact assessment. 我来数科 promises that
rights are never narrowed without explicit consent (W19).

:func:`diff` matches entities by id and compares them field by field, so every change
is one of *added*, *removed* or *changed* (with a dotted field path), and its ``old``
and ``new`` values are JSON. It is symmetric: ``diff(b, a)`` is ``diff(a, b)`` mirrored.
The order of entities is not a change; taxonomy entries are compared only as the
elements and purposes in use resolve them. Each change is then judged:

material
    a new purpose, anywhere (Art. 14); a PI element newly collected, anywhere, above all
    a sensitive one (Art. 29); a new business scenario; a new recipient, SDK or H5 page,
    or one receiving more elements or for more purposes (Art. 23); a scenario's recipient
    added; a legal basis changed (Art. 13); a consent weakened (written > separate >
    general); a retention period lengthened or removed (Art. 19); a new automated
    decision (Art. 24); PI sent abroad (Arts. 38-39); the handler's name or address
    (X03 B, Art. 22); the service model (X03 A); a right removed, its deadline
    lengthened, a channel, a self-service path or a deletion trigger taken away, a
    precondition, a fee or a refusal ground added (X03 C, W19); a contact or complaint
    channel added, removed or changed, the PI protection officer or the responsible
    department changed, a slower reply (X03 D, Art. 52); a high-risk impact assessment
    (X03 E); a new version no longer waiting for the user's acceptance (W19, X02).
editorial
    everything else: wording and labels, the policy's version and dates, less processing
    (elements, purposes, scenarios, recipients removed), shorter deadlines and
    retention, new rights.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from yinsi.declaration.schema import Declaration, RetentionRule
from yinsi.declaration.view import taxonomy_of
from yinsi.taxonomy import ConsentKind, Taxonomy

__all__ = ["SECTIONS", "Change", "diff", "format_text", "mirror", "to_json"]

Kind = Literal["added", "removed", "changed"]
Json = Any
"""A value as ``json.dumps`` takes it: dicts, lists, strings, numbers, booleans, None."""

SECTIONS: Mapping[str, str] = {
    "app": "应用与处理者 app and handler",
    "policy": "政策信息 policy",
    "elements": "收集的个人信息 elements collected",
    "purposes": "处理目的 purposes",
    "scenarios": "业务场景 scenarios",
    "consents": "同意事项 consents",
    "retention": "保存期限 retention",
    "recipients": "接收方 recipients",
    "sdks": "第三方SDK sdks",
    "h5_links": "第三方H5页面 h5_links",
    "tracking": "Cookie及同类技术 tracking",
    "rights": "用户权利 rights",
    "contacts": "联系方式 contacts",
    "storage": "存储地点与跨境 storage",
    "security": "安全措施 security",
    "incident": "安全事件处置 incident",
}
"""Every section a change can belong to, in report order, with its heading."""


_MIRRORED: dict[Kind, Kind] = {"added": "removed", "removed": "added", "changed": "changed"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two declarations.

    ``key`` is the entity's id, or for one-of parts (``app``, ``policy``, the officer and
    department in ``contacts``) the top-level field; refusal grounds, which share the
    ``rights`` section with the rights, are keyed ``refusal_grounds.<id>``. ``field`` is
    the dotted path inside the entity, with list items that have ids named by id
    (``elements.face.required``); it is None for whole entities added or removed.
    """

    section: str
    key: str
    kind: Kind
    field: str | None
    old: Json
    new: Json
    material: bool
    reason: str


# ---------------------------------------------------------------- public API


def diff(old: Declaration, new: Declaration) -> list[Change]:
    """Every change from ``old`` to ``new``, judged; ordered by section, then document."""
    ctx = _Context(old, new, taxonomy_of(old), taxonomy_of(new))
    return [_judge(found, ctx) for found in _find(ctx)]


def mirror(change: Change) -> Change:
    """The same change seen from the other side (``material``/``reason`` kept as they are)."""
    return replace(change, kind=_MIRRORED[change.kind], old=change.new, new=change.old)


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
            "sections": {s: by_section[s] for s in _section_order(changes)},
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
    for section in _section_order(changes):
        lines += ["", SECTIONS.get(section, section)]
        lines += [_format_line(c) for c in changes if c.section == section]
    return "\n".join(lines)


# ---------------------------------------------------------------- finding changes


@dataclass(frozen=True, slots=True)
class _Context:
    old: Declaration
    new: Declaration
    old_tax: Taxonomy
    new_tax: Taxonomy


@dataclass(frozen=True, slots=True)
class _Found:
    """A change not yet judged; ``part`` names where it was found, e.g. ``rights.items``."""

    part: str
    change: Change


def _find(ctx: _Context) -> Iterator[_Found]:
    o, n = ctx.old, ctx.new
    yield from _singleton("app", o.app, n.app)
    yield from _singleton("policy", o.policy, n.policy)
    yield from _entities(
        "elements", _collected(o, ctx.old_tax), _collected(n, ctx.new_tax), context="scenarios"
    )
    yield from _entities(
        "purposes", _purposes(o, ctx.old_tax), _purposes(n, ctx.new_tax), context="used_by"
    )
    yield from _entities("scenarios", _dumps(o.scenarios), _dumps(n.scenarios))
    yield from _entities("consents", _dumps(o.consents), _dumps(n.consents))
    yield from _entities("retention", _dumps(o.retention), _dumps(n.retention))
    yield from _entities("recipients", _dumps(o.recipients), _dumps(n.recipients))
    yield from _entities("sdks", _dumps(o.sdks), _dumps(n.sdks))
    yield from _entities("h5_links", _dumps(o.h5_links), _dumps(n.h5_links))
    yield from _entities("tracking", _dumps(o.tracking), _dumps(n.tracking))
    yield from _entities("rights", _dumps(o.rights.items), _dumps(n.rights.items), "items")
    yield from _entities(
        "rights",
        _dumps(o.rights.refusal_grounds),
        _dumps(n.rights.refusal_grounds),
        "refusal_grounds",
        prefix="refusal_grounds.",
    )
    yield from _singleton("rights", o.rights, n.rights, {"items", "refusal_grounds"})
    yield from _entities(
        "contacts", _dumps(o.contacts.channels), _dumps(n.contacts.channels), "channels"
    )
    yield from _singleton("contacts", o.contacts, n.contacts, {"channels"})
    yield from _singleton("storage", o.storage, n.storage)
    yield from _singleton("security", o.security, n.security)
    yield from _singleton("incident", o.incident, n.incident)


def _entities(
    section: str,
    old: Mapping[str, Json],
    new: Mapping[str, Json],
    part: str = "",
    prefix: str = "",
    context: str = "",
) -> Iterator[_Found]:
    """Changes among entities keyed by id: whole entities added or removed, fields changed.

    ``context`` names a field shown with an added or removed entity but not compared
    (where an element is collected is compared in the scenarios themselves).
    """
    part = f"{section}.{part}" if part else section
    for ident in _union(old, new):
        key = prefix + ident
        if ident not in old:
            yield _Found(part, Change(section, key, "added", None, None, new[ident], False, ""))
        elif ident not in new:
            yield _Found(part, Change(section, key, "removed", None, old[ident], None, False, ""))
        else:
            for path, was, now in _compare(old[ident], new[ident], ""):
                if path.split(".", 1)[0] != context:
                    yield _Found(part, Change(section, key, "changed", path, was, now, False, ""))


def _singleton(
    section: str, old: BaseModel, new: BaseModel, exclude: set[str] | None = None
) -> Iterator[_Found]:
    """Changes of a one-of model; each is keyed by the top-level field it falls under."""
    dumped = [m.model_dump(mode="json", exclude=exclude) for m in (old, new)]
    for path, was, now in _compare(dumped[0], dumped[1], ""):
        key = path.split(".", 1)[0]
        yield _Found(section, Change(section, key, "changed", path, was, now, False, ""))


def _compare(old: Json, new: Json, path: str) -> Iterator[tuple[str, Json, Json]]:
    """Leaf differences of two JSON values; lists of objects with ids are matched by id."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for name in _union(old, new):
            yield from _compare(old.get(name), new.get(name), _join(path, name))
        return
    if isinstance(old, list) and isinstance(new, list) and (key := _list_key(old, new)):
        olds = {item[key]: item for item in old}
        news = {item[key]: item for item in new}
        for ident in _union(olds, news):
            yield from _compare(olds.get(ident), news.get(ident), _join(path, ident))
        return
    yield path, old, new


def _list_key(old: list[Json], new: list[Json]) -> str | None:
    """The field that identifies the items of both lists (``id``, ``permission``), if any."""
    for key in ("id", "permission"):
        ids = [
            [item.get(key) if isinstance(item, dict) else None for item in x] for x in (old, new)
        ]
        if all(
            all(isinstance(i, str) for i in side) and len(set(side)) == len(side) for side in ids
        ):
            return key
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Keys of both, in the first's order and then the second's."""
    return list(dict.fromkeys([*first, *second]))


def _dumps(items: Sequence[BaseModel]) -> dict[str, Json]:
    dumps = [item.model_dump(mode="json") for item in items]
    return {dump["id"]: dump for dump in dumps}


def _collected(d: Declaration, tax: Taxonomy) -> dict[str, Json]:
    """Every element a scenario collects, as the taxonomy defines it, with its scenarios."""
    scenarios: dict[str, list[str]] = {}
    for scenario in d.scenarios:
        for element_id in scenario.element_ids:
            scenarios.setdefault(element_id, []).append(scenario.id)
    out: dict[str, Json] = {}
    for element_id, used_by in scenarios.items():
        e = tax.elements.get(element_id)
        out[element_id] = {
            "label": e.label if e else element_id,
            "category": e.category if e else None,
            "sensitive": bool(e and e.sensitive),
            "grade": e.grade.value if e and e.grade else None,
            "scenarios": used_by,
        }
    return out


class _UsesPurposes(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def purposes(self) -> list[str]: ...


def _purposes(d: Declaration, tax: Taxonomy) -> dict[str, Json]:
    """Every purpose in use, with its label and the entities that use it."""
    used_by: dict[str, list[str]] = {}
    users: list[tuple[str, Sequence[_UsesPurposes]]] = [
        ("scenarios", d.scenarios),
        ("recipients", d.recipients),
        ("sdks", d.sdks),
        ("tracking", d.tracking),
    ]
    for section, items in users:
        for item in items:
            for purpose_id in item.purposes:
                used_by.setdefault(purpose_id, []).append(f"{section}.{item.id}")
    return {
        pid: {"label": p.label if (p := tax.purposes.get(pid)) else pid, "used_by": by}
        for pid, by in used_by.items()
    }


# ---------------------------------------------------------------- judging materiality

Verdict = tuple[bool, str]
Judge = Callable[[Change, _Context], Verdict]


def _judge(found: _Found, ctx: _Context) -> Change:
    material, reason = _JUDGES[found.part](found.change, ctx)
    return replace(found.change, material=material, reason=reason)


_EDITED = "措辞或细节修改 (edited)"


def _material(reason: str) -> Verdict:
    return True, reason


def _editorial(reason: str = _EDITED) -> Verdict:
    return False, reason


def _gained(old: Json, new: Json) -> list[str]:
    """Ids in list ``new`` that list ``old`` lacks (all of ``new`` if ``old`` is not a list)."""
    before = set(_ids(old))
    return [x for x in dict.fromkeys(_ids(new)) if x not in before]


def _ids(value: Json) -> list[str]:
    """A list's items as ids: strings as they are, objects by their ``id``."""
    if not isinstance(value, list):
        return []
    return [str(x.get("id")) if isinstance(x, dict) else str(x) for x in value]


def _head(change: Change) -> tuple[str, str]:
    head, _, rest = (change.field or "").partition(".")
    return head, rest


_CONSENT_RANK: dict[str, int] = {
    ConsentKind.GENERAL.value: 1,
    ConsentKind.SEPARATE.value: 2,
    ConsentKind.WRITTEN.value: 3,
}
"""Written consent is at least as specific as separate consent, which is more than general."""


def _consent_rank(d: Declaration, ids: Json) -> int:
    """The strongest kind of consent among ``ids`` (one id, a list, or None), 0 for none."""
    wanted = set(ids) if isinstance(ids, list) else {ids}
    return max((_CONSENT_RANK[c.kind] for c in d.consents if c.id in wanted), default=0)


def _period_days(rule: RetentionRule | None) -> int | None:
    """How long PI may be kept, in days; None when no maximum is stated."""
    return rule.period.approx_days if rule and rule.period else None


def _rule(d: Declaration, rule_id: Json) -> RetentionRule | None:
    return next((r for r in d.retention if r.id == rule_id), None)


def _lengthened(before: int | None, after: int | None) -> bool:
    """True when a stated maximum grows or disappears."""
    return before is not None and (after is None or after > before)


def _processing_field(change: Change, ctx: _Context) -> Verdict | None:
    """Rules shared by everything that processes PI: scenarios, recipients, SDKs, H5, tracking."""
    head, rest = _head(change)
    if head == "purposes" and (gained := _gained(change.old, change.new)):
        return _material(f"新增处理目的 (new purpose): {', '.join(gained)}")
    if head == "elements" and not rest and (gained := _gained(change.old, change.new)):
        return _material(f"接收或收集更多个人信息 (more PI elements): {', '.join(gained)}")
    if head == "elements" and rest and "." not in rest and change.old is None:
        return _new_element(rest, ctx)
    if head == "recipients" and (gained := _gained(change.old, change.new)):
        return _material(f"向新的接收方提供 (PI provided to more recipients): {', '.join(gained)}")
    if head == "legal_basis":
        return _material("处理的法律依据变更 (legal basis changed, PIPL Art. 13)")
    if head in ("consent", "consents") and _consent_rank(ctx.new, change.new) < _consent_rank(
        ctx.old, change.old
    ):
        return _material("同意方式弱化 (weaker consent, PIPL Arts. 14 and 29)")
    if head == "retention" and _lengthened(
        _period_days(_rule(ctx.old, change.old)), _period_days(_rule(ctx.new, change.new))
    ):
        return _material("保存期限延长或取消 (retention lengthened or removed)")
    if head == "location" and change.new == "abroad":
        return _material("个人信息出境 (PI transferred abroad, PIPL Arts. 38-39)")
    if head == "automated_decision" and change.new is True:
        return _material("新增自动化决策 (new automated decision-making, PIPL Art. 24)")
    return None


def _new_element(element_id: str, ctx: _Context) -> Verdict:
    if ctx.new_tax.is_sensitive(element_id):
        return _material(
            f"新增收集敏感个人信息 (sensitive PI newly collected, PIPL Art. 29): {element_id}"
        )
    return _material(f"新增收集个人信息 (new PI element collected): {element_id}")


def _processing_judge(added: str, removed: str) -> Judge:
    """A judge for a processing section: adding an entity is material, removing it is not."""

    def judge(change: Change, ctx: _Context) -> Verdict:
        if change.kind == "added":
            return _material(added)
        if change.kind == "removed":
            return _editorial(removed)
        return _processing_field(change, ctx) or _editorial()

    return judge


def _judge_tracking(change: Change, ctx: _Context) -> Verdict:
    if change.kind == "added" and change.new.get("elements"):
        return _material("新增Cookie等收集个人信息 (new tracking item collecting PI)")
    if change.kind == "added":
        return _editorial("新增不含个人信息的Cookie等 (new tracking item without PI)")
    if change.kind == "removed":
        return _editorial("删除Cookie等 (tracking item removed)")
    return _processing_field(change, ctx) or _editorial()


def _judge_element(change: Change, ctx: _Context) -> Verdict:
    if change.kind == "added":
        return _new_element(change.key, ctx)
    if change.kind == "removed":
        return _editorial("不再收集该个人信息 (element no longer collected)")
    if change.field == "sensitive" and change.new is True:
        return _material("改为敏感个人信息 (element now treated as sensitive PI, PIPL Art. 28)")
    return _editorial("个人信息定义修改 (element definition edited)")


def _judge_purpose(change: Change, ctx: _Context) -> Verdict:
    if change.kind == "added":
        return _material("新增处理目的 (new purpose, PIPL Art. 14)")
    if change.kind == "removed":
        return _editorial("不再使用该处理目的 (purpose no longer used)")
    return _editorial("处理目的名称修改 (purpose label edited)")


def _judge_consent(change: Change, ctx: _Context) -> Verdict:
    if change.field == "kind" and _CONSENT_RANK[change.new] < _CONSENT_RANK[change.old]:
        return _material(
            f"同意方式弱化 (consent weakened: {change.old} → {change.new}, PIPL Arts. 14 and 29)"
        )
    if change.kind == "added":
        return _editorial("新增同意事项 (new consent item)")
    if change.kind == "removed":
        return _editorial("删除同意事项 (consent item removed)")
    return _editorial()


def _judge_retention(change: Change, ctx: _Context) -> Verdict:
    if change.field == "period" and _lengthened(
        _period_days(_rule(ctx.old, change.key)), _period_days(_rule(ctx.new, change.key))
    ):
        return _material("保存期限延长或取消 (retention lengthened or removed)")
    if change.kind == "added":
        return _editorial("新增保存期限规则 (new retention rule)")
    if change.kind == "removed":
        return _editorial("删除保存期限规则 (retention rule removed)")
    return _editorial()


# ---- rights (X03 C, W19)


def _judge_right(change: Change, ctx: _Context) -> Verdict:
    if change.kind == "added":
        return _editorial("新增用户权利 (new right)")
    if change.kind == "removed":
        return _material("删除用户权利 (right removed: X03 C, W19)")
    head, rest = _head(change)
    if _narrows(head, rest, change.old, change.new):
        return _material(f"用户权利或其行使方式收窄 (right narrowed: {change.field}; X03 C, W19)")
    return _editorial()


def _narrows(head: str, rest: str, old: Json, new: Json) -> bool:
    """Whether changing this field of a right takes something from the user (W19)."""
    match head:
        case "kind":
            return True
        case "deadline":
            return _deadline_lengthened(rest, old, new)
        case "self_service":
            return bool(old) and not new
        case "preconditions":
            return bool(_gained(old, new))
        case "channels" | "triggers":
            return bool(_gained(new, old))
        case "free":
            return old is True and new is False
    return False


def _deadline_lengthened(rest: str, old: Json, new: Json) -> bool:
    if not rest:  # the whole deadline was set or removed
        return old is not None and new is None
    if rest == "counted_from":
        return bool(old == "receipt" and new == "verification")
    before = old if isinstance(old, int) else None
    after = new if isinstance(new, int) else None
    return _lengthened(before, after)


def _judge_refusal_ground(change: Change, ctx: _Context) -> Verdict:
    if change.kind == "added":
        return _material("新增拒绝响应请求的理由 (new ground to refuse requests: X35, W19)")
    if change.kind == "removed":
        return _editorial("删除拒绝理由 (refusal ground removed)")
    return _editorial()


def _judge_rights_info(change: Change, ctx: _Context) -> Verdict:
    if change.key == "complaint_escalation":
        return _material("外部投诉渠道变更 (complaint escalation changed: X03 D, PIPL Art. 50)")
    return _editorial()


# ---- contacts (X03 D)


def _judge_channel(change: Change, ctx: _Context) -> Verdict:
    what = {"added": "新增", "removed": "删除", "changed": "变更"}[change.kind]
    if change.field == "label":
        return _editorial("联系渠道名称修改 (channel label edited)")
    return _material(f"{what}联系或投诉渠道 (contact channel {change.kind}: X03 D)")


def _judge_contacts_info(change: Change, ctx: _Context) -> Verdict:
    if change.key == "pi_protection_officer" and change.field != "pi_protection_officer.title":
        return _material("个人信息保护负责人变更 (PI protection officer changed: X03 D, Art. 52)")
    if change.key == "department":
        return _material("责任部门变更 (responsible department changed: X03 D)")
    if change.key == "reply_within_working_days" and _lengthened(change.old, change.new):
        return _material("答复期限延长 (slower reply to contacts: X03 D)")
    return _editorial()


# ---- identity, policy, storage (X03 A, B, E)


def _judge_app(change: Change, ctx: _Context) -> Verdict:
    if change.key == "handler":
        return _material("个人信息处理者变更 (handler changed: X03 B, PIPL Art. 22)")
    if change.key == "service_model":
        return _material("服务模式变更 (service model changed: X03 A)")
    return _editorial()


def _judge_policy(change: Change, ctx: _Context) -> Verdict:
    if change.key in ("version", "updated", "effective"):
        return _editorial("版本号与日期 (version and dates, X01)")
    if change.key == "high_risk_impact_assessment" and change.new is True:
        return _material("影响评估发现高风险 (high-risk impact assessment: X03 E)")
    if change.key in ("effective_on_acceptance", "changes_need_consent") and change.new is False:
        return _material("新版本不再待用户同意后生效 (changes no longer need acceptance: W19, X02)")
    return _editorial()


def _judge_storage(change: Change, ctx: _Context) -> Verdict:
    if (change.key == "cross_border" and change.new is True) or (
        change.key == "location" and change.new == "abroad"
    ):
        return _material("个人信息出境 (PI transferred abroad, PIPL Arts. 38-39)")
    return _editorial()


def _judge_editorial(change: Change, ctx: _Context) -> Verdict:
    return _editorial()


_JUDGES: dict[str, Judge] = {
    "app": _judge_app,
    "policy": _judge_policy,
    "elements": _judge_element,
    "purposes": _judge_purpose,
    "scenarios": _processing_judge(
        "新增业务场景 (new business scenario)", "删除业务场景 (scenario removed: less processing)"
    ),
    "consents": _judge_consent,
    "retention": _judge_retention,
    "recipients": _processing_judge(
        "新增个人信息接收方 (new recipient, PIPL Art. 23)",
        "删除接收方 (recipient removed: less sharing)",
    ),
    "sdks": _processing_judge("新增第三方SDK (new SDK, X20)", "删除第三方SDK (SDK removed)"),
    "h5_links": _processing_judge(
        "新增第三方H5页面 (new third-party H5 page, X20)", "删除第三方H5页面 (H5 page removed)"
    ),
    "tracking": _judge_tracking,
    "rights.items": _judge_right,
    "rights.refusal_grounds": _judge_refusal_ground,
    "rights": _judge_rights_info,
    "contacts.channels": _judge_channel,
    "contacts": _judge_contacts_info,
    "storage": _judge_storage,
    "security": _judge_editorial,
    "incident": _judge_editorial,
}


# ---------------------------------------------------------------- text report


def _section_order(changes: list[Change]) -> list[str]:
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
