"""Judging each change: material (prominent notice and fresh consent) or editorial.

One judge per part of a declaration (:data:`JUDGES`); the rules are those listed in
:mod:`yinsi.declaration.diff`. Processing sections (scenarios, recipients, SDKs, H5
pages, tracking) share :func:`_processing_field`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from yinsi.declaration.diff_find import DiffContext, Found
from yinsi.declaration.diff_model import Change, Json
from yinsi.declaration.schema import Declaration, RetentionRule
from yinsi.taxonomy import ConsentKind

Verdict = tuple[bool, str]
Judge = Callable[[Change, DiffContext], Verdict]


def judge(found: Found, ctx: DiffContext) -> Change:
    """``found``'s change with its verdict and reason filled in."""
    material, reason = JUDGES[found.part](found.change, ctx)
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


def _processing_field(change: Change, ctx: DiffContext) -> Verdict | None:
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


def _new_element(element_id: str, ctx: DiffContext) -> Verdict:
    if ctx.new_tax.is_sensitive(element_id):
        return _material(
            f"新增收集敏感个人信息 (sensitive PI newly collected, PIPL Art. 29): {element_id}"
        )
    return _material(f"新增收集个人信息 (new PI element collected): {element_id}")


def _processing_judge(added: str, removed: str) -> Judge:
    """A judge for a processing section: adding an entity is material, removing it is not."""

    def judge(change: Change, ctx: DiffContext) -> Verdict:
        if change.kind == "added":
            return _material(added)
        if change.kind == "removed":
            return _editorial(removed)
        return _processing_field(change, ctx) or _editorial()

    return judge


def _judge_tracking(change: Change, ctx: DiffContext) -> Verdict:
    if change.kind == "added" and change.new.get("elements"):
        return _material("新增Cookie等收集个人信息 (new tracking item collecting PI)")
    if change.kind == "added":
        return _editorial("新增不含个人信息的Cookie等 (new tracking item without PI)")
    if change.kind == "removed":
        return _editorial("删除Cookie等 (tracking item removed)")
    return _processing_field(change, ctx) or _editorial()


def _judge_element(change: Change, ctx: DiffContext) -> Verdict:
    if change.kind == "added":
        return _new_element(change.key, ctx)
    if change.kind == "removed":
        return _editorial("不再收集该个人信息 (element no longer collected)")
    if change.field == "sensitive" and change.new is True:
        return _material("改为敏感个人信息 (element now treated as sensitive PI, PIPL Art. 28)")
    return _editorial("个人信息定义修改 (element definition edited)")


def _judge_purpose(change: Change, ctx: DiffContext) -> Verdict:
    if change.kind == "added":
        return _material("新增处理目的 (new purpose, PIPL Art. 14)")
    if change.kind == "removed":
        return _editorial("不再使用该处理目的 (purpose no longer used)")
    return _editorial("处理目的名称修改 (purpose label edited)")


def _judge_consent(change: Change, ctx: DiffContext) -> Verdict:
    if change.field == "kind" and _CONSENT_RANK[change.new] < _CONSENT_RANK[change.old]:
        return _material(
            f"同意方式弱化 (consent weakened: {change.old} → {change.new}, PIPL Arts. 14 and 29)"
        )
    if change.kind == "added":
        return _editorial("新增同意事项 (new consent item)")
    if change.kind == "removed":
        return _editorial("删除同意事项 (consent item removed)")
    return _editorial()


def _judge_retention(change: Change, ctx: DiffContext) -> Verdict:
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


def _judge_right(change: Change, ctx: DiffContext) -> Verdict:
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


def _judge_refusal_ground(change: Change, ctx: DiffContext) -> Verdict:
    if change.kind == "added":
        return _material("新增拒绝响应请求的理由 (new ground to refuse requests: X35, W19)")
    if change.kind == "removed":
        return _editorial("删除拒绝理由 (refusal ground removed)")
    return _editorial()


def _judge_rights_info(change: Change, ctx: DiffContext) -> Verdict:
    if change.key == "complaint_escalation":
        return _material("外部投诉渠道变更 (complaint escalation changed: X03 D, PIPL Art. 50)")
    return _editorial()


# ---- contacts (X03 D)


def _judge_channel(change: Change, ctx: DiffContext) -> Verdict:
    what = {"added": "新增", "removed": "删除", "changed": "变更"}[change.kind]
    if change.field == "label":
        return _editorial("联系渠道名称修改 (channel label edited)")
    return _material(f"{what}联系或投诉渠道 (contact channel {change.kind}: X03 D)")


def _judge_contacts_info(change: Change, ctx: DiffContext) -> Verdict:
    if change.key == "pi_protection_officer" and change.field != "pi_protection_officer.title":
        return _material("个人信息保护负责人变更 (PI protection officer changed: X03 D, Art. 52)")
    if change.key == "department":
        return _material("责任部门变更 (responsible department changed: X03 D)")
    if change.key == "reply_within_working_days" and _lengthened(change.old, change.new):
        return _material("答复期限延长 (slower reply to contacts: X03 D)")
    return _editorial()


# ---- identity, policy, storage (X03 A, B, E)


def _judge_app(change: Change, ctx: DiffContext) -> Verdict:
    if change.key == "handler":
        return _material("个人信息处理者变更 (handler changed: X03 B, PIPL Art. 22)")
    if change.key == "service_model":
        return _material("服务模式变更 (service model changed: X03 A)")
    return _editorial()


def _judge_policy(change: Change, ctx: DiffContext) -> Verdict:
    if change.key in ("version", "updated", "effective"):
        return _editorial("版本号与日期 (version and dates, X01)")
    if change.key == "high_risk_impact_assessment" and change.new is True:
        return _material("影响评估发现高风险 (high-risk impact assessment: X03 E)")
    if change.key in ("effective_on_acceptance", "changes_need_consent") and change.new is False:
        return _material("新版本不再待用户同意后生效 (changes no longer need acceptance: W19, X02)")
    return _editorial()


def _judge_storage(change: Change, ctx: DiffContext) -> Verdict:
    if (change.key == "cross_border" and change.new is True) or (
        change.key == "location" and change.new == "abroad"
    ):
        return _material("个人信息出境 (PI transferred abroad, PIPL Arts. 38-39)")
    return _editorial()


def _judge_editorial(change: Change, ctx: DiffContext) -> Verdict:
    return _editorial()


JUDGES: dict[str, Judge] = {
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
