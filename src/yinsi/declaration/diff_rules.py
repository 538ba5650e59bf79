"""The judgement table: for every part of a declaration, what each change means.

A :class:`Part` says whether adding or removing an entity is material, and gives one
:class:`Rule` per field path (``*`` stands for an id: ``elements.*.required``). A rule
pairs an effect (:mod:`.diff_effects`, :mod:`.diff_effects_refs`) with the reason a
material change is reported with, which names the effect and cites the law or the
seed's promise. To judge a new field, add one line to its part; a field without a line
is judged material (:data:`UNKNOWN`), so a field added to the schema is never waved
through. The table is kept one entry a line (``fmt: off``) so that it reads as a table.
:class:`Rule` and :class:`Part` are in :mod:`.diff_rule_types`; the lines for minors,
joint handlers, onward transfers, switches and the change log in :mod:`.diff_rules_parties`;
those for names, sources, promises and fees, read beyond wording, in :mod:`.diff_rules_text`.
"""

from __future__ import annotations

from collections.abc import Mapping

from yinsi.declaration import diff_effects as fx
from yinsi.declaration import diff_effects_inventory as inv
from yinsi.declaration import diff_effects_refs as refs
from yinsi.declaration import diff_rules_text as text
from yinsi.declaration.diff_effects import Effect
from yinsi.declaration.diff_find import DiffContext, compare
from yinsi.declaration.diff_model import Change, Json
from yinsi.declaration.diff_rule_types import UNKNOWN as UNKNOWN
from yinsi.declaration.diff_rule_types import WORDING, Part, R
from yinsi.declaration.diff_rule_types import Rule as Rule
from yinsi.declaration.diff_rules_parties import JOINT_HANDLERS, MINORS, ONWARD, SWITCH
from yinsi.declaration.schema import Declaration, RetentionRule


def rule_for(part: str, path: str) -> Rule:
    """The rule for field ``path`` of ``part``; :data:`UNKNOWN` when the table has none."""
    table = TABLE.get(part)
    return UNKNOWN if table is None else _match(table.fields, path)


def _match(fields: Mapping[str, Rule], path: str) -> Rule:
    steps = path.split(".")
    for pattern, rule in fields.items():
        want = pattern.split(".")
        if len(want) == len(steps) and all(w in ("*", s) for w, s in zip(want, steps, strict=True)):
            return rule
    return UNKNOWN


def _rule_of(d: Declaration, ident: Json) -> RetentionRule | None:
    return next((r for r in d.retention if r.id == ident), None)


def retention_moved(change: Change, ctx: DiffContext) -> str | None:
    """An entity kept under another retention rule: judged as if that rule's fields changed."""
    old, new = _rule_of(ctx.old, change.old), _rule_of(ctx.new, change.new)
    if old is None:
        return None
    if new is None:
        return ""
    details = []
    dumps = [r.model_dump(mode="json", exclude={"id"}) for r in (old, new)]
    for path, was, now in compare(dumps[0], dumps[1], ""):
        moved = Change("retention", old.id, "changed", path, was, now, False, "")
        if _match(RETENTION, path).effect(moved, ctx) is not None:
            details.append(f"{path}: {fx.arrow(moved)}")
    return "; ".join(details) or None


def _entity(added: str, removed: str, effect: Effect = fx.always) -> tuple[Rule, Rule]:
    """Adding is material (``effect`` decides), removing is not."""
    return R(effect, added, removed), R(fx.never, "", removed)


# fmt: off
# ---------------------------------------------------------------- orders: higher = more processing, less choice

END_ACTION = {"delete": 0, "delete_or_anonymise": 1, "anonymise": 2}
ASKED = {"each_time": 0, "in_settings": 1, "on_first_use": 2, "at_registration": 3, None: 4}
WHEN = {"necessary_steps": 0, "on_use": 0, "on_first_use": 0, "at_login": 1, "at_launch": 2, None: 3}
RECIPIENT_KIND = {"entrusted_processor": 0, "affiliate": 1, "other_handler": 1, "sdk": 1, "cross_border": 2, "public_disclosure": 3}
GRADE = {None: 0, "C1": 0, "C2": 1, "C3": 2}
ON_DECLINE = {"previous_version": 0, "browse_only": 1, "stop_service": 2}
BOUND = {"at_most": 0, "exactly": 1, None: 2}
LIKELIHOOD = {"may": 0, "will": 1, None: 1}
SDK_ROLE = {"entrusted_processor": 0, "joint_handler": 1, "other_handler": 2, None: 3}
VERB = {"complete": 0, "process": 1, "answer": 2, "process_or_reply": 2, None: 3}
QUALIFIER = {None: 0, "generally": 1, "in_principle": 1}
COUNTED_FROM = {"receipt": 0, "receipt_and_verification": 1, "verification": 1, None: 2}

# ---------------------------------------------------------------- rules shared by several parts

PURPOSE = R(fx.gained, "新增处理目的 (new purpose, PIPL Art. 14)")
MORE_PI = R(fx.gained, "接收或收集更多个人信息 (more PI elements, PIPL Art. 14)")
RECIPIENTS = R(fx.gained, "向新的接收方提供 (PI provided to more recipients, PIPL Art. 23)")
LEGAL_BASIS = R(fx.always, "处理的法律依据变更 (legal basis changed, PIPL Art. 13)")
CONSENT_REF = R(refs.consent_ref, "同意方式弱化或取消 (weaker or no consent, PIPL Arts. 14, 23)")
KEPT = R(retention_moved, "保存期限延长或不再说明 (kept longer or no longer bounded, PIPL Art. 19)")
ABROAD = R(fx.ranked({"mainland_china": 0, "abroad": 1}), "个人信息出境 (PI transferred abroad, PIPL Arts. 38-39)")
HANDLER = R(fx.always, "个人信息处理者变更 (handler changed: X03 B, PIPL Art. 22)")
DATES = R(fx.never, "", "版本号与日期 (version and dates, X01)")
CHANNEL = R(fx.always, "联系或投诉渠道变更 (contact channel changed: X03 D, PIPL Art. 50)")
OFFICER = R(fx.always, "个人信息保护负责人变更 (PI protection officer changed: X03 D, PIPL Art. 52)")
SLOWER = R(fx.more, "处理期限延长 (slower deadline: X03 C, W19)")
UNSTATED = R(fx.gained, "不再列明个人信息种类或目的 (PI kinds or purposes no longer stated, PIPL Arts. 17, 23)")
LIST_DROPPED = R(fx.dropped, "不再告知清单的公布位置 (no longer told where the list is published, 网络数据安全管理条例 Art. 21 para. 2)")
LIST_MOVED = R(fx.never, "", "清单位置或名称修改 (list moved or renamed)")
ACCEPTANCE = R(fx.left(True), "新版本不再待用户同意后生效 (changes no longer need acceptance: W19, X02)")

# ---------------------------------------------------------------- fields of each part

SCENARIO: Mapping[str, Rule] = {
    "name": WORDING,
    "description": WORDING,
    "function": R(fx.ranked({"extended": 0, "basic": 1}), "改为基本业务功能，拒绝即无法使用 (now a basic function: refusing blocks it, GB/T 35273 §5.3)"),
    "purposes": PURPOSE,
    "methods": R(fx.gained, "新增收集方式 (new collection method, PIPL Art. 14)"),
    "elements": MORE_PI,
    "elements.*": R(refs.element_added, "新增收集个人信息 (new PI element collected, PIPL Art. 14)"),
    "elements.*.required": R(fx.became(True), "可选个人信息改为必填 (optional PI made required, PIPL Art. 16)"),
    "elements.*.note": WORDING,
    "elements.*.sourced": R(fx.became(True), "改为从第三方间接获取该个人信息 (PI now obtained from the scenario's third-party source, X18)"),
    "legal_basis": LEGAL_BASIS,
    "consents": R(refs.consents_dropped, "场景不再征得所需同意 (a consent the scenario asked for is no longer asked, PIPL Arts. 14, 29)"),
    "permissions": R(fx.gained, "新增调用系统权限 (new device permission requested, GB/T 41391-2022)"),
    "permissions.*": R(refs.permission_added, "新增调用系统权限 (new device permission requested, GB/T 41391-2022)"),
    "permissions.*.required": R(fx.became(True), "系统权限改为必需 (device permission made mandatory, GB/T 41391-2022)"),
    "permissions.*.when": R(fx.ranked(WHEN), "系统权限申请时机提前 (permission requested before it is needed, GB/T 41391-2022)"),
    "permissions.*.limit": R(fx.dropped, "取消权限调用次数限制 (permission call limit removed)"),
    "permissions.*.limit.per_stage": R(fx.more, "权限调用次数增加 (permission called more often)"),
    "permissions.*.limit.per_flow": R(fx.more, "权限调用次数增加 (permission called more often)"),
    "permissions.*.limit.stages": R(fx.gained, "权限在更多环节调用 (permission called at more stages)"),
    "permissions.*.fallback": R(fx.reworded_promise, "拒绝权限后的替代方式变更或取消 (alternative when refused changed or withdrawn)"),
    "permissions.*.note": WORDING,
    "retention": KEPT,
    "recipients": RECIPIENTS,
    "on_refusal": R(fx.changed_text, "拒绝的后果变更，可能更严 (effect of refusing changed: may be harsher, PIPL Art. 16)"),
    "automated_decision": R(fx.became(True), "新增自动化决策 (new automated decision-making, PIPL Art. 24)"),
    "source": text.SOURCE,
    "likelihood": R(fx.ranked(LIKELIHOOD), "由“可能需要收集”改为“需要收集” (PI will be collected, not may, PIPL Art. 17)"),
    "not_stated": UNSTATED,
}

RECIPIENT: Mapping[str, Rule] = {
    "kind": R(fx.ranked(RECIPIENT_KIND), "接收方可处理的范围扩大 (recipient may do more with the PI, PIPL Arts. 21, 23, 25)"),
    "name": text.RECIPIENT_NAME,
    "is_category": R(fx.became(True), "接收方不再具名 (recipient no longer named, PIPL Art. 23)"),
    "contact": R(fx.cleared_text, "不再提供接收方联系方式 (recipient's contact withdrawn, PIPL Art. 23)"),
    "purposes": PURPOSE,
    "method": R(fx.changed_text, "接收方处理方式变更 (recipient's processing method changed, PIPL Art. 23)"),
    "elements": MORE_PI,
    "legal_basis": LEGAL_BASIS,
    "consent": CONSENT_REF,
    "likelihood": R(fx.ranked(LIKELIHOOD), "由“可能提供”改为“会提供” (PI will be provided, not may, PIPL Art. 23)"),
    "de_identified": R(fx.ranked({"always": 0, "where_possible": 1, "no": 2}), "去标识化承诺减弱 (less de-identification)"),
    "delete_on_end": R(fx.left(True), "委托结束后不再承诺删除 (no longer deleted when entrustment ends, PIPL Art. 21)"),
    "location": ABROAD,
    "country": R(fx.stated_text, "境外接收方所在国家或地区变更 (PI sent to another country, PIPL Art. 39)"),
    "negative_info_notice": R(fx.reworded_promise, "报送不良信息前的告知变更或取消 (notice before reporting negative information changed, 征信业管理条例 Art. 15)"),
    "onward": ONWARD,
    "not_stated": UNSTATED,
    "note": WORDING,
}

SDK: Mapping[str, Rule] = {
    "name": WORDING,
    "function": R(fx.changed_text, "第三方SDK功能变更 (SDK's function changed, PIPL Art. 14)"),
    "provider": text.SDK_PROVIDER,
    "role": R(fx.ranked(SDK_ROLE), "SDK提供方可自行处理的范围扩大 (SDK provider may do more with the PI, PIPL Arts. 20, 21, 23)"),
    "elements": MORE_PI,
    "link": WORDING,
    "purposes": PURPOSE,
    "legal_basis": LEGAL_BASIS,
    "consent": CONSENT_REF,
    "element_consents.*": CONSENT_REF,
    "platforms": R(fx.gained, "SDK在更多平台运行 (SDK runs on more platforms)"),
    "de_identified": R(fx.left(True), "不再去标识化 (no longer de-identified)"),
    "not_stated": UNSTATED,
    "note": WORDING,
}

H5: Mapping[str, Rule] = {
    "name": WORDING,
    "domain": R(fx.stated_text, "第三方H5页面域名变更 (H5 page on another domain)"),
    "elements": MORE_PI,
    "note": WORDING,
}

TRACKING: Mapping[str, Rule] = {
    "kind": R(fx.always, "Cookie等技术类型变更 (another tracking technology)"),
    "name": WORDING,
    "elements": MORE_PI,
    "purposes": PURPOSE,
    "retention": KEPT,
    "how_to_clear": R(fx.cleared_text, "不再说明如何清除 (no longer told how to clear it)"),
    "note": WORDING,
}

CONSENT: Mapping[str, Rule] = {
    "label": WORDING,
    "description": WORDING,
    "kind": R(refs.consent_kind, "同意方式弱化 (weaker consent, PIPL Arts. 14, 29)"),
    "elements": R(refs.consent_coverage, "同意覆盖的个人信息变更 (consent stretched to other PI, PIPL Arts. 14, 29)"),
    "asked": R(fx.ranked(ASKED), "征求同意的频次或时机减少 (consent asked less often)"),
    "switch": SWITCH,
    "term": WORDING,  # the policy's word for the kind; the kind is judged above
    "withdraw_via": text.promises("撤回同意的途径减少 (fewer ways to withdraw, PIPL Art. 15)"),
    "on_refusal": R(fx.changed_text, "拒绝或撤回的后果变更，可能更严 (effect of refusing changed: may be harsher, PIPL Arts. 15-16)"),
}

RETENTION: Mapping[str, Rule] = {
    "label": WORDING,
    "basis": WORDING,
    "period": R(fx.longer, "保存期限延长或取消 (retention lengthened or removed, PIPL Art. 19)"),
    "bound": R(fx.ranked(BOUND), "由“最长不超过”改为固定保存期限 (a maximum became a fixed period, PIPL Art. 19)"),
    "starts": R(fx.later_start, "保存期限起算点推后或不再说明 (retention counted from a later event, or from one no longer stated, PIPL Art. 19)"),
    "then": R(fx.ranked(END_ACTION), "期限届满后的处理减弱 (weaker action at the end, PIPL Art. 47)"),
    "minimum": R(fx.minimum_longer, "新增或延长最短保存期限 (kept at least longer, PIPL Art. 47)"),
    "elements": R(inv.retention_elements, "保存期限规则适用于更多个人信息 (more PI kept under this rule, PIPL Art. 19)"),
    "not_retained": R(fx.left(True), "不再承诺不保存 (PI no longer said to be not retained, PIPL Art. 19)"),
    "kept_as": R(fx.dropped, "不再承诺仅保存摘要 (the PI itself kept, not only its digest, PIPL Art. 19)"),
}

RIGHT: Mapping[str, Rule] = {
    "kind": R(fx.always, "用户权利种类变更 (right changed: X03 C, W19)"),
    "channels": R(fx.lost, "行使权利的渠道减少 (fewer channels for the right: X03 C, W19)"),
    "self_service": R(fx.cleared_text, "取消自助行使途径 (self-service removed: X03 C, W19)"),
    "deadline": R(fx.dropped, "不再承诺处理期限 (deadline withdrawn: X03 C, W19)"),
    "deadline.working_days": SLOWER,
    "deadline.target_working_days": SLOWER,
    "deadline.counted_from": R(fx.ranked(COUNTED_FROM), "处理期限起算推后 (deadline counted later: X03 C, W19)"),
    "deadline.verb": R(fx.ranked(VERB), "期限内承诺的事项减弱 (less promised within the deadline, e.g. 处理完成 → 答复: X03 C, W19)"),
    "deadline.target_verb": R(fx.ranked(VERB), "期限内承诺的事项减弱 (less promised within the deadline, e.g. 处理完成 → 答复: X03 C, W19)"),
    "deadline.qualifier": R(fx.ranked(QUALIFIER), "处理期限附加保留 (deadline hedged, e.g. 原则上: X03 C, W19)"),
    "free": text.FEE,
    "preconditions": text.PRECONDITIONS,
    "triggers": R(fx.lost, "删除情形减少 (fewer deletion triggers: X03 C, W19, PIPL Art. 47)"),
    "restrict_when_retention_required": R(fx.became(True), "保存期限内限制行使权利 (right restricted while retention runs: X03 C, W19)"),
    "effect": R(fx.reworded_promise, "行使权利的效果变更或不再说明 (effect of exercising the right changed: X03 C, W19)"),
}

APP: Mapping[str, Rule] = {
    "id": WORDING,
    "name": WORDING,
    "platform_name": WORDING,
    "about": WORDING,
    "channels": R(fx.gained, "政策适用于更多渠道 (policy covers more channels)"),
    "handler.name": HANDLER,
    "handler.address": HANDLER,
    "handler.registered_address": HANDLER,
    "service_model": R(fx.always, "服务模式变更 (service model changed: X03 A)"),
}

POLICY: Mapping[str, Rule] = {
    "title": WORDING,
    "version": DATES,
    "updated": DATES,
    "effective": DATES,
    "precedence": WORDING,
    "effective_on_acceptance": ACCEPTANCE,
    "changes_need_consent": ACCEPTANCE,
    "change_commitments": text.promises("关于政策变更的承诺减少 (fewer promises about changes: W19, PIPL Art. 14)"),
    "drafted_under": WORDING,
    "continued_use_as_acceptance": R(fx.became(True), "继续使用视为接受变更 (continued use deemed acceptance of changes: PIPL Art. 14)"),
    "on_decline": R(fx.ranked(ON_DECLINE), "拒绝新版本的后果更严 (harsher effect of declining a new version: X02, W19)"),
    "notice_methods": text.promises("变更通知方式减少 (fewer ways of notice, PIPL Art. 17)"),
    "material_change_notice": R(fx.reworded_promise, "重大变更提示方式变更 (notice of material changes changed: X03)"),
    "high_risk_impact_assessment": R(fx.became(True), "影响评估发现高风险 (high-risk impact assessment: X03 E)"),
    "signature_required": R(fx.left(True), "不再要求签署确认 (acceptance no longer signed: X41)"),
    "minimum_age": R(fx.fewer, "适用年龄降低 (younger users admitted, PIPL Art. 31)"),
    "applies_to": R(fx.stated_text, "政策适用范围变更 (policy scope changed)"),
    **MINORS,
}

TABLE: Mapping[str, Part] = {
    "app": Part(UNKNOWN, UNKNOWN, APP),
    "policy": Part(UNKNOWN, UNKNOWN, POLICY),
    "elements": Part(
        *_entity("新增收集个人信息 (new PI element collected, PIPL Art. 14)", "不再收集该个人信息 (element no longer collected)", refs.element_added),
        {
            "label": R(fx.never, "", "个人信息定义修改 (element definition edited)"),
            "category": R(fx.never, "", "个人信息定义修改 (element definition edited)"),
            "sensitive": R(fx.became(True), "改为敏感个人信息 (element now treated as sensitive PI, PIPL Art. 28)"),
            "grade": R(fx.ranked(GRADE), "个人金融信息级别提高 (element graded higher, JR/T 0171-2020)"),
        },
    ),
    "permissions": Part(
        *_entity("新增调用系统权限 (new device permission requested, GB/T 41391-2022)", "不再调用该权限 (permission no longer requested)", refs.permission_added),
        {
            "label": WORDING,
            "android": R(fx.gained, "权限包含更多系统权限 (permission maps to more OS permissions)"),
            "ios": R(fx.gained, "权限包含更多系统权限 (permission maps to more OS permissions)"),
            "sensitive": R(fx.became(True), "改为敏感权限 (permission now sensitive)"),
        },
    ),
    "purposes": Part(
        *_entity("新增处理目的 (new purpose, PIPL Art. 14)", "不再使用该处理目的 (purpose no longer used)"),
        {"label": R(fx.never, "", "处理目的名称修改 (purpose label edited)")},
    ),
    "scenarios": Part(*_entity("新增业务场景 (new business scenario, PIPL Art. 14)", "删除业务场景 (scenario removed: less processing)"), SCENARIO),
    "consents": Part(
        R(fx.never, "", "新增同意事项 (new consent item)"),
        R(refs.still_used, "删除仍在使用的同意事项 (consent item removed while still needed, PIPL Art. 14)", "删除同意事项 (consent item removed)"),
        CONSENT,
    ),
    "retention": Part(
        R(fx.never, "", "新增保存期限规则 (new retention rule)"),
        R(refs.still_used, "删除仍在使用的保存期限规则 (retention rule removed while still used, PIPL Art. 19)", "删除保存期限规则 (retention rule removed)"),
        RETENTION,
    ),
    "recipients": Part(*_entity("新增个人信息接收方 (new recipient, PIPL Art. 23)", "删除接收方 (recipient removed: less sharing)"), RECIPIENT),
    "sdks": Part(*_entity("新增第三方SDK (new SDK, X20)", "删除第三方SDK (SDK removed)"), SDK),
    "sdk_notes": Part(UNKNOWN, UNKNOWN, {
        "by_function": R(fx.stated_text, "第三方SDK获取个人信息的说明变更，可能更多 (what SDKs receive reworded: may be more, X20, PIPL Art. 23)"),
        "vetting": R(fx.reworded_promise, "对第三方SDK的安全检测或约束承诺变更 (promise on vetting SDKs changed or withdrawn, X20)"),
        "not_listed": R(fx.stated_text, "未列明的第三方SDK的说明变更 (SDKs left out of the list reworded, X20)"),
    }),
    "h5_links": Part(*_entity("新增第三方H5页面 (new third-party H5 page, X20)", "删除第三方H5页面 (H5 page removed)"), H5),
    "joint_handlers": JOINT_HANDLERS,
    "tracking": Part(
        R(refs.tracking_with_pi, "新增Cookie等收集个人信息 (new tracking item collecting PI)", "新增不含个人信息的Cookie等 (new tracking item without PI)"),
        R(fx.never, "", "删除Cookie等 (tracking item removed)"),
        TRACKING,
    ),
    "pi_inventory": Part(
        R(inv.inventory_added, "列明处理此前未处理的个人信息或目的 (PI or purposes not processed before, PIPL Art. 14)", "新增个人信息清单条目 (inventory group for PI already processed)"),
        R(fx.never, "", "删除个人信息清单条目 (inventory group removed)"),
        {
            "label": WORDING,
            "elements": R(inv.inventory_elements, "列明处理此前未处理的个人信息 (PI not processed before, PIPL Art. 14)"),
            "purposes": PURPOSE,
            "methods": R(fx.gained, "新增收集方式 (new collection method, PIPL Art. 14)"),
            "source": text.SOURCE,
            "note": WORDING,
        },
    ),
    "app_permissions": Part(
        *_entity("新增调用系统权限 (new device permission requested, GB/T 41391-2022)", "不再调用该权限 (permission no longer requested)", inv.permission_listed),
        {
            "purpose": R(fx.changed_text, "权限使用目的变更 (permission used for another purpose, 认定方法 二.3)"),
            "when": R(fx.ranked(WHEN), "系统权限申请时机提前 (permission requested before it is needed, GB/T 41391-2022)"),
            "required": R(fx.became(True), "系统权限改为必需 (device permission made mandatory, GB/T 41391-2022)"),
            "fallback": R(fx.reworded_promise, "拒绝权限后的替代方式变更或取消 (alternative when refused changed or withdrawn)"),
            "note": WORDING,
        },
    ),
    "published_elsewhere": Part(UNKNOWN, UNKNOWN, {
        f"{name}{leaf}": LIST_DROPPED if not leaf else LIST_MOVED
        for name in ("sdks", "recipients", "permissions", "collected")
        for leaf in ("", ".title", ".url", ".where")
    }),
    "rights.items": Part(R(fx.never, "", "新增用户权利 (new right)"), R(fx.always, "删除用户权利 (right removed: X03 C, W19)"), RIGHT),
    "rights.refusal_grounds": Part(
        R(fx.always, "新增拒绝响应请求的理由 (new ground to refuse requests: X35, W19)"),
        R(fx.never, "", "删除拒绝理由 (refusal ground removed)"),
        {
            "text": R(fx.changed_text, "拒绝理由变更，可能更宽 (ground to refuse reworded: may be wider, X35, W19)"),
            "likelihood": R(fx.ranked(LIKELIHOOD), "由“可能无法响应”改为“将无法响应” (request will be refused, not may: X35, W19)"),
        },
    ),
    "rights": Part(UNKNOWN, UNKNOWN, {
        "verification": R(fx.stated_text, "身份验证要求变更 (identity verification changed: X35, W19)"),
        "complaint_escalation": R(fx.always, "外部投诉渠道变更 (complaint escalation changed: X03 D, PIPL Art. 50)"),
    }),
    "contacts.channels": Part(
        R(fx.always, "新增联系或投诉渠道 (contact channel added: X03 D)"),
        R(fx.always, "删除联系或投诉渠道 (contact channel removed: X03 D, PIPL Art. 50)"),
        {"label": R(fx.never, "", "联系渠道名称修改 (channel label edited)"), "kind": CHANNEL, "value": CHANNEL, "purposes": CHANNEL},
    ),
    "contacts": Part(UNKNOWN, UNKNOWN, {
        "pi_protection_officer": OFFICER,
        "pi_protection_officer.title": WORDING,
        "pi_protection_officer.channels": OFFICER,
        "department": R(fx.always, "责任部门变更 (responsible department changed: X03 D)"),
        "reply_within_working_days": R(fx.more, "答复期限延长 (slower reply to contacts: X03 D)"),
        "reply_qualifier": R(fx.ranked(QUALIFIER), "答复期限附加保留 (reply time hedged, e.g. 一般情况下: X03 D)"),
    }),
    "storage": Part(UNKNOWN, UNKNOWN, {
        "location": ABROAD,
        "cross_border": R(fx.became(True), "个人信息出境 (PI transferred abroad, PIPL Arts. 38-39)"),
        "cross_border_conditions": R(fx.stated_text, "出境条件变更 (conditions of transfer abroad changed, PIPL Art. 38)"),
        "service_end_notice": R(fx.left(True), "停止运营时不再提前告知 (no notice before the service ends, PIPL Art. 47)"),
        "service_end_note": R(fx.changed_text, "停止运营时的说明变更 (what happens when the service ends reworded: may do more, PIPL Art. 47)"),
        "on_service_end": R(fx.ranked(END_ACTION), "停止运营后的处理减弱 (weaker action when the service ends, PIPL Art. 47)"),
    }),
    "security": Part(UNKNOWN, UNKNOWN, {
        "measures": text.MEASURES,
        "lead": R(fx.reworded_promise, "安全保护措施的总体承诺变更 (lead-in promise on security changed, PIPL Art. 51)"),
    }),
    "incident": Part(UNKNOWN, UNKNOWN, {
        "notify_via": text.promises("安全事件告知方式减少 (fewer ways to tell users of incidents, PIPL Art. 57)"),
        "public_notice_when_impractical": R(fx.left(True), "不再承诺公告 (no public notice promised, PIPL Art. 57)"),
        "report_to_regulator": R(fx.left(True), "不再承诺向监管部门报告 (no report to the regulator promised, PIPL Art. 57)"),
        "contacts": R(fx.lost, "安全事件联系渠道减少 (fewer incident contacts, PIPL Art. 57)"),
    }),
}
"""Every part :func:`yinsi.declaration.diff_find.find` reports, by its ``part`` name."""
# fmt: on
