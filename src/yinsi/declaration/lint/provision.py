"""Rules on who receives PI: entrusted processors delete at the end (PIPL Art. 21), a
transfer abroad is declared (Arts. 38-39), recipients are told with the kinds of PI they
receive (Art. 23), and each SDK provider is classified in law.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import NDSR, PIPL, Citation, Example, rule
from yinsi.taxonomy import RecipientKind

__all__ = ["PLACEHOLDER", "RULES"]

PLACEHOLDER = re.compile(r"(所必需|所需|必要)的?(相关)?(个人)?信息$|^(您的)?(个人|相关)?信息$")
"""Labels that name no kind of PI: "为实现上述目的所必需的个人信息", "与本服务相关的必要
信息", "查询所需相关信息", "您的个人信息" (but not "借款相关信息", which is one)."""

_ENTRUSTED = (
    "recipients: [{id: collector, kind: entrusted_processor, name: 示例催收服务有限公司, "
    "purposes: [post_loan_management], elements: [mobile_number]"
)


@rule(
    "entrusted-deletion",
    "error",
    title="An entrusted processor is not bound to delete PI at the end",
    cites=(PIPL(21, para=2),),
    explanation="When an entrustment ends, the entrusted party returns the PI or deletes "
    "it and keeps none (PIPL Art. 21 para. 2). The declaration says so with "
    "`delete_on_end`, which the deletion instruction relies on.",
    fix="Set `delete_on_end: true` on the recipient (and bind the processor by contract).",
    failing=Example(_ENTRUSTED + "}]"),
    passing=Example(_ENTRUSTED + ", delete_on_end: true}]"),
    stage="load",
    waivable=True,
)
def entrusted_deletion(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        if r.kind is RecipientKind.ENTRUSTED_PROCESSOR and not r.delete_on_end:
            yield Issue(
                ("recipients", i, "delete_on_end"),
                "an entrusted processor must return or delete PI when the entrustment ends "
                "(PIPL Art. 21); set delete_on_end: true",
                subject=r.id,
            )


_ABROAD = (
    "consents: [{id: abroad, label: 向境外提供个人信息的单独同意, kind: separate, "
    "elements: [mobile_number]}]\n"
    "recipients: [{id: overseas, kind: cross_border, name: Example Ltd., contact: "
    "privacy@example.org, purposes: [customer_service], elements: [mobile_number], "
    "consent: abroad, location: abroad}]\n"
)


@rule(
    "cross-border-undeclared",
    "error",
    title="PI goes abroad but no cross-border transfer is declared",
    cites=(PIPL(38), PIPL(39)),
    explanation="A recipient abroad means a cross-border transfer: it needs one of the "
    "mechanisms of PIPL Art. 38 and the notice and separate consent of Art. 39, which the "
    "policy states from `storage.cross_border` and its conditions.",
    fix="Set `storage.cross_border: true` and describe the safeguards in "
    "`storage.cross_border_conditions`, or correct the recipient's location.",
    failing=Example(_ABROAD),
    passing=Example(
        _ABROAD + "storage: {cross_border: true, cross_border_conditions: 按照国家网信部门"
        "制定的标准合同与境外接收方订立合同}"
    ),
    stage="load",
)
def cross_border_undeclared(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        abroad = r.kind is RecipientKind.CROSS_BORDER or r.location == "abroad"
        if abroad and not ctx.d.storage.cross_border:
            yield Issue(
                ("recipients", i, "kind"),
                "PI goes abroad but storage.cross_border is false (PIPL Arts. 38-39); "
                "declare the cross-border transfer and its safeguards",
            )


_PARTNER = (
    "taxonomy: {elements: [{id: necessary_pi, label: 为实现上述目的所必需的个人信息, "
    "category: other}]}\n"
    "consents: [{id: partner, label: 向资金方提供个人信息的单独同意, kind: separate, "
    "elements: [mobile_number]}]\n"
    "recipients: [{id: lender, kind: other_handler, name: 示例消费金融有限公司, "
    "contact: 400-000-0002, purposes: [loan_service], consent: partner, "
)


@rule(
    "recipient-pi-placeholder",
    "warning",
    title="A recipient's PI is a placeholder, not kinds of PI",
    cites=(PIPL(23), NDSR(21, para=2)),
    explanation="The user is told the kinds of PI each recipient receives (PIPL Art. 23), "
    "set out as a list (网络数据安全管理条例 Art. 21 para. 2). A label such as "
    "“为实现上述目的所必需的个人信息” or “相关信息” names no kind: the user cannot tell "
    "what is provided.",
    fix="List the elements the recipient receives; where the source policy lists none, "
    "the warning records that gap.",
    failing=Example(_PARTNER + "elements: [necessary_pi]}]"),
    passing=Example(_PARTNER + "elements: [mobile_number]}]"),
)
def recipient_pi_placeholder(ctx: CheckContext) -> Iterator[Issue]:
    provisions = [("recipients", i, r.name, r.elements) for i, r in enumerate(ctx.d.recipients)]
    provisions += [("sdks", i, s.name, s.elements) for i, s in enumerate(ctx.d.sdks)]
    for section, i, name, elements in provisions:
        for j, eid in enumerate(elements):
            element = ctx.tax.elements.get(eid)
            if element is not None and PLACEHOLDER.search(element.label):
                yield Issue(
                    (section, i, "elements", j),
                    f"{name} receives “{element.label}”, which names no kind of PI: the "
                    "kinds of PI provided must be told (PIPL Art. 23; "
                    "网络数据安全管理条例 Art. 21 para. 2)",
                )


_UNCOLLECTED = (
    "recipients: [{id: collector, kind: entrusted_processor, name: 示例催收服务有限公司, "
    "purposes: [post_loan_management], delete_on_end: true, elements: [mobile_number"
)


@rule(
    "recipient-uncollected",
    "warning",
    title="A recipient receives sensitive PI the policy never says it collects",
    cites=(PIPL(17, item=2), PIPL(29)),
    explanation="The policy tells the kinds of PI processed and how they are collected "
    "(PIPL Art. 17 (2)); sensitive PI is processed only with the person told of its "
    "necessity and with a separate consent (Arts. 29, 30). A recipient receiving sensitive "
    "PI (通讯录, 精确位置) that no scenario, tracking entry or inventory item collects is "
    "provided PI the person was never told about, and no scenario's consent covers. "
    "Financial records (财产信息: transactions, credit information) are left out: the "
    "service itself produces them.",
    fix="Declare the scenario that collects it (with its separate consent), or take it out "
    "of the recipient's elements.",
    failing=Example(_UNCOLLECTED + ", precise_location]}]"),
    passing=Example(_UNCOLLECTED + "]}]"),
)
def recipient_uncollected(ctx: CheckContext) -> Iterator[Issue]:
    d = ctx.d
    collected = {u.id for s in d.scenarios for u in s.elements}
    collected |= {e for t in d.tracking for e in t.elements}
    collected |= {e for item in d.pi_inventory for e in item.elements}
    for i, r in enumerate(d.recipients):
        for j, eid in enumerate(r.elements):
            element = ctx.tax.elements.get(eid)
            produced = element is not None and element.category == "property"
            if eid not in collected and not produced and ctx.tax.needs_separate_consent(eid):
                yield Issue(
                    ("recipients", i, "elements", j),
                    f"{r.name} receives {ctx.tax.elements[eid].label} ({eid}), sensitive PI "
                    "no scenario, tracking entry or inventory item collects: the person is "
                    "never told it is collected (PIPL Arts. 17 (2), 29)",
                    subject=r.id,
                )


_SDK = (
    "consents: [{id: push, label: 消息推送, kind: general}]\n"
    "sdks: [{id: push_sdk, name: 示例推送SDK, function: 消息推送, provider: "
    "示例推送技术有限公司, elements: [device_id], link: 'https://push.example.com/privacy', "
    "consent: push"
)


@rule(
    "sdk-role",
    "warning",
    title="An SDK provider is not classified as entrusted processor or other handler",
    cites=(PIPL(21), PIPL(23), Citation("认定方法", section="二.1")),
    explanation="An SDK that receives PI either processes it on the app's behalf "
    "(受托人, PIPL Art. 21: a contract binds it, no consent of its own) or decides its own "
    "purposes (其他个人信息处理者, Art. 23: the user is told who it is and gives separate "
    "consent), or decides them jointly with the app (PIPL Art. 20). The duties differ, so "
    "the declaration says which; the rules for embedded third-party code "
    "(认定方法 二.1) ask the same of the policy.",
    fix="Set `role: entrusted_processor`, `other_handler` or `joint_handler` on the SDK.",
    failing=Example(_SDK + "}]"),
    passing=Example(_SDK + ", role: entrusted_processor}]"),
)
def sdk_role(ctx: CheckContext) -> Iterator[Issue]:
    for i, sdk in enumerate(ctx.d.sdks):
        if sdk.elements and sdk.role is None:
            yield Issue(
                ("sdks", i),
                f"SDK {sdk.name!r} receives PI but is not classified as entrusted processor "
                "(PIPL Art. 21) or other handler (PIPL Art. 23): set `role`",
            )


RULES = (
    entrusted_deletion,
    cross_border_undeclared,
    recipient_pi_placeholder,
    recipient_uncollected,
    sdk_role,
)
