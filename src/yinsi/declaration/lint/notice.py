"""Rules on what the policy must tell (PIPL Art. 17; 网络数据安全管理条例 Art. 21): how
long PI is kept and what happens then, how to exercise each right, who receives PI, how
changes are told. :func:`yinsi.policy.completeness` is this family.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint.registry import NDSR, PIPL, Citation, Example, rule
from yinsi.taxonomy import (
    LegalBasis,
    RecipientKind,
    RetentionBound,
    RightKind,
)

__all__ = ["ART21_RIGHTS", "RULES", "STATUTORY_RIGHTS"]

_ART21 = NDSR(21, item=4)

STATUTORY_RIGHTS: dict[RightKind, tuple[Citation, ...]] = {
    RightKind.ACCESS: (PIPL(45), _ART21),
    RightKind.COPY: (PIPL(45), _ART21),
    RightKind.TRANSFER: (PIPL(45, para=3), _ART21),
    RightKind.CORRECTION: (PIPL(46), _ART21),
    RightKind.DELETION: (PIPL(47), _ART21),
    RightKind.RESTRICT: (PIPL(44), _ART21),
    RightKind.WITHDRAW_CONSENT: (PIPL(15), _ART21),
    RightKind.CANCEL_ACCOUNT: (_ART21, NDSR(23)),
    RightKind.EXPLANATION: (PIPL(48),),
    RightKind.DECEASED_RELATIVES: (PIPL(49),),
    RightKind.COMPLAINT: (PIPL(50),),
}
"""Each right the policy must say how to exercise, and every article that asks it."""

ART21_RIGHTS: tuple[RightKind, ...] = tuple(k for k, c in STATUTORY_RIGHTS.items() if _ART21 in c)
"""The rights 网络数据安全管理条例 Art. 21 (4) says the rules must say how to exercise."""


@rule(
    "right-missing",
    "warning",
    title="The policy does not say how to exercise a right",
    cites=(PIPL(17, item=3), _ART21, PIPL(44), PIPL(45), PIPL(48), PIPL(49), PIPL(50)),
    explanation="The policy tells how to exercise each right of PIPL Chapter IV "
    "(Art. 17 (3)); 网络数据安全管理条例 Art. 21 (4) lists access, copy, transfer, "
    "correction, completion, deletion, restriction, account cancellation and withdrawal "
    "of consent. A missing right is reported once, citing every article that asks for it.",
    fix="Add a right of that kind under `rights.items` with its channels or self-service.",
    failing=Example(
        "rights: {items: [{id: access, kind: access, channels: [hotline]}]}",
        replaces=("rights.items",),
    ),
    passing=Example(""),
    stage="load",
)
def right_missing(ctx: CheckContext) -> Iterator[Issue]:
    kinds = {r.kind for r in ctx.d.rights.items}
    for kind, citations in STATUTORY_RIGHTS.items():
        if kind not in kinds:
            cited = "; ".join(str(c) for c in citations)
            yield Issue(
                ("rights", "items"),
                f"the declaration does not say how to exercise the right of {kind.label} "
                f"({kind.value}; {cited})",
            )


@rule(
    "right-unreachable",
    "error",
    title="A right with no way to exercise it",
    cites=(PIPL(17, item=3),),
    explanation="For each right the policy says how to exercise it (PIPL Art. 17 (3)): "
    "through contact channels, self-service in the app, or both.",
    fix="Give the right `channels` (contact channel ids) or `self_service`.",
    failing=Example("rights: {items: [{id: access, channels: []}]}"),
    passing=Example("rights: {items: [{id: access, channels: [], self_service: 我的-个人信息}]}"),
)
def right_unreachable(ctx: CheckContext) -> Iterator[Issue]:
    for i, right in enumerate(ctx.d.rights.items):
        if not right.channels and not right.self_service:
            yield Issue(
                ("rights", "items", i),
                f"the right of {right.kind.label} has neither channels nor self_service, so the "
                "policy cannot say how to exercise it (PIPL Art. 17 (3))",
            )


@rule(
    "retention-missing",
    "error",
    title="A scenario with no retention rule",
    cites=(PIPL(17, item=2),),
    explanation="The policy tells how long the PI of each processing is kept "
    "(PIPL Art. 17 (2)); a scenario names the retention rule that says it.",
    fix="Add `retention:` naming a rule of `retention`.",
    failing=Example("scenarios: [{id: signup, retention: null}]"),
    passing=Example(""),
)
def retention_missing(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        if s.retention is None:
            yield Issue(
                ("scenarios", i, "retention"),
                f"scenario {s.name} has no retention rule, so the policy cannot tell how long "
                "its PI is kept (PIPL Art. 17 (2)); add `retention:` naming a rule",
            )


@rule(
    "retention-period",
    "warning",
    title="A retention rule with no period",
    cites=(NDSR(21, item=3),),
    explanation="The rules state the retention period, or how it is determined when it "
    "is hard to fix (网络数据安全管理条例 Art. 21 (3)). A rule without `period` can only "
    "say how it is determined (`basis`).",
    fix="Give `period:` where the source states one; otherwise say in `basis` how the "
    "period is determined.",
    failing=Example("retention: [{id: account, period: null, bound: null}]"),
    passing=Example(""),
)
def retention_period(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.retention):
        if r.period is None and not r.not_retained:  # not kept: there is no period
            how = " (its basis says how it is determined)" if r.basis else ""
            yield Issue(
                ("retention", i, "period"),
                f"retention rule {r.label} names no period{how}; 网络数据安全管理条例 Art. 21 (3) "
                "asks for the period or how it is determined — give `period:` where one exists",
            )


@rule(
    "retention-end-action",
    "warning",
    title="A retention rule silent on what happens when the period ends",
    cites=(NDSR(21, item=3),),
    explanation="The rules state what happens to PI when its retention period ends "
    "(网络数据安全管理条例 Art. 21 (3)): deletion, anonymisation, or either.",
    fix="State `then:` (delete, anonymise or delete_or_anonymise).",
    failing=Example(
        "retention: [{id: account, label: 账户信息, period: 5y, bound: at_most}]",
        replaces=("retention",),
    ),
    passing=Example(""),
)
def retention_end_action(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.retention):
        if r.then is None and not r.not_retained:  # not kept: no period ends
            yield Issue(
                ("retention", i),
                f"retention rule {r.label} does not say what happens when the period ends "
                "(网络数据安全管理条例 Art. 21 (3)), so the policy says nothing about it — "
                "state `then:`",
            )


@rule(
    "retention-below-minimum",
    "warning",
    title="A retention maximum shorter than the legal minimum it names",
    cites=(PIPL(19),),
    explanation="PI is kept for the shortest time the purpose needs unless a law or "
    "administrative regulation sets another period (PIPL Art. 19). A rule kept “at most” "
    "for less than the legal minimum it names (`minimum`) makes the policy promise both "
    "(“最长不超过3年（法律、行政法规规定的最短保存期限为5年）”): one of them is broken.",
    fix="Make `period` at least `minimum`, or correct `minimum`.",
    failing=Example(
        "retention: [{id: account, label: 账户信息, period: 3y, bound: at_most, minimum: 5y, "
        "then: delete}]",
        replaces=("retention",),
    ),
    passing=Example(""),
)
def retention_below_minimum(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.retention):
        if r.period is None or r.minimum is None or r.bound is not RetentionBound.AT_MOST:
            continue
        if r.period.approx_days < r.minimum.approx_days:
            yield Issue(
                ("retention", i, "period"),
                f"retention rule {r.label} is kept at most {r.period.label}, less than the "
                f"legal minimum of {r.minimum.label} it names (PIPL Art. 19): the policy "
                "would promise both",
            )


_SOURCED = (
    "scenarios: [{id: signup, methods: [user_input, partner], "
    "source: 经您授权从合作的人力资源服务机构获取, elements: [mobile_number, "
)


@rule(
    "source-elements",
    "warning",
    title="A scenario that collects both directly and from a third party does not say "
    "which PI comes from the third party",
    cites=(PIPL(17, item=2), Citation("GB/T 35273-2020", section="§5.4")),
    explanation="The policy tells the kinds of PI processed and how each is obtained "
    "(PIPL Art. 17 (2)); PI obtained indirectly is named with its source (GB/T 35273-2020 "
    "§5.4). In a scenario that collects from the person (`user_input`, `automatic`…) and "
    "from a third party (`data_service_query`, `partner`, `account_authorisation`, or "
    "`source`), the policy can name as obtained from the third party only the elements "
    "marked `sourced: true`; with none marked it names none.",
    fix="Mark the elements obtained from the source: `- {id: occupation, sourced: true}`.",
    failing=Example(_SOURCED + "occupation]}]"),
    passing=Example(_SOURCED + "{id: occupation, sourced: true}]}]"),
)
def source_elements(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        indirect = any(m.indirect for m in s.methods) or s.source.strip()
        direct = [m for m in s.methods if not m.indirect]
        if indirect and direct and s.elements and not any(u.sourced for u in s.elements):
            yield Issue(
                ("scenarios", i, "elements"),
                f"{s.name}: collected both from the person and from a third party, but no "
                "element is marked `sourced: true`, so the policy cannot say which PI comes "
                "from the third party (PIPL Art. 17 (2); GB/T 35273-2020 §5.4)",
                subject=s.id,
            )


_NOTIFIED = (
    RecipientKind.AFFILIATE,
    RecipientKind.OTHER_HANDLER,
    RecipientKind.CROSS_BORDER,
    RecipientKind.PUBLIC_DISCLOSURE,
)

_LENDER = (
    "consents: [{id: partner, label: 向资金方提供个人信息的单独同意, kind: separate, "
    "elements: [mobile_number]}]\n"
    "recipients: [{id: lender, kind: other_handler, name: 示例消费金融有限公司, "
    "purposes: [loan_service], elements: [mobile_number], consent: partner"
)


@rule(
    "recipient-identity",
    "warning",
    title="A recipient without a name or contact",
    cites=(PIPL(23), NDSR(21, para=2)),
    explanation="Before PI goes to another handler, the user is told the recipient's name "
    "and contact (PIPL Art. 23), set out as a list (网络数据安全管理条例 Art. 21 para. 2). "
    "A type of recipient (`is_category`) names no one. Entrusted processors and "
    "provisions a law requires are not reported.",
    fix="Name the recipient and give `contact`; set `is_category: false`.",
    failing=Example(_LENDER + "}]"),
    passing=Example(_LENDER + ", contact: 400-000-0002}]"),
)
def recipient_identity(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        if r.kind not in _NOTIFIED or r.legal_basis is LegalBasis.LEGAL_DUTY:
            continue
        missing = [
            *(["its name (only a type of recipient is given)"] if r.is_category else []),
            *(["its contact"] if not r.contact else []),
        ]
        if missing:
            yield Issue(
                ("recipients", i),
                f"recipient {r.name}: the policy cannot tell {' or '.join(missing)} "
                "(PIPL Art. 23, 网络数据安全管理条例 Art. 21 para. 2)",
            )


@rule(
    "change-notice",
    "error",
    title="No way to tell users about changes",
    cites=(PIPL(17, para=2),),
    explanation="When what the policy tells changes, the change is told to the user "
    "(PIPL Art. 17 para. 2); the policy says how (`policy.notice_methods`).",
    fix="List the ways, e.g. `notice_methods: [弹窗, 站内信]`.",
    failing=Example("policy: {notice_methods: []}"),
    passing=Example("policy: {notice_methods: [弹窗]}"),
)
def change_notice(ctx: CheckContext) -> Iterator[Issue]:
    if not ctx.d.policy.notice_methods:
        path: Path = ("policy", "notice_methods")
        yield Issue(
            path,
            "no way is declared to tell users about changes to the policy (PIPL Art. 17 para. 2)",
        )


@rule(
    "policy-dates",
    "warning",
    title="The policy takes effect before it was updated",
    cites=(PIPL(17, para=1),),
    explanation="Every version has an update date and an effective date (X01); a version "
    "cannot take effect before it exists, so the dates would tell the user something "
    "untrue.",
    fix="Correct `policy.effective` or `policy.updated`.",
    failing=Example("policy: {effective: 2023-12-01}"),
    passing=Example(""),
    stage="load",
)
def policy_dates(ctx: CheckContext) -> Iterator[Issue]:
    policy = ctx.d.policy
    if policy.effective < policy.updated:
        yield Issue(
            ("policy", "effective"),
            "the effective date is before the update date (X01; PIPL Art. 17)",
        )


# ---------------------------------------------------------------- topics left unstated
# (added with the renderer's provenance, issue 13: a default no longer says anything in
# the policy, so a topic PIPL Art. 17 requires and the declaration leaves out is silent.)


@rule(
    "change-notice-unstated",
    "warning",
    title="The policy does not say how users are told about changes",
    cites=(PIPL(17, para=2),),
    explanation="The policy says how a change of what it tells is told to the user (PIPL "
    "Art. 17 para. 2). The policy says it only from `policy.notice_methods` written in the "
    "declaration; left out, the rendered policy is silent on it (no default is stated).",
    fix="Write the ways the policy names, e.g. `notice_methods: [弹窗]`.",
    failing=Example(
        'policy: {title: 示例贷隐私保护政策, version: "1.0", updated: 2024-01-01, '
        "effective: 2024-01-01}",
        replaces=("policy",),
    ),
    passing=Example("policy: {notice_methods: [弹窗]}"),
)
def change_notice_unstated(ctx: CheckContext) -> Iterator[Issue]:
    if "notice_methods" not in ctx.d.policy.model_fields_set:
        yield Issue(
            ("policy",),
            "the declaration does not say how users are told about changes to the policy, so "
            "the policy says nothing about it (PIPL Art. 17 para. 2); write "
            "`policy.notice_methods`",
        )


@rule(
    "continued-use-acceptance",
    "warning",
    title="Continued use is deemed acceptance of a changed policy",
    cites=(PIPL(14), PIPL(14, para=2)),
    explanation="Consent is given voluntarily and explicitly, fully informed (PIPL Art. 14 "
    "para. 1); when the purpose, the method or the kinds of PI change, consent is obtained "
    "again (Art. 14 para. 2). Continuing to use the service is neither: a policy that deems "
    "continued use acceptance of its changes (如果您继续使用…则视为您接受…) cannot rely on it "
    "for such a change, whatever else it promises.",
    fix="Ask for consent to changes of purpose, method or kinds of PI (`policy."
    "changes_need_consent: true`) and drop the deemed acceptance from the policy "
    "(`continued_use_as_acceptance`), or limit it to changes that need no consent.",
    failing=Example("policy: {continued_use_as_acceptance: true}"),
    passing=Example("policy: {continued_use_as_acceptance: false}"),
)
def continued_use_acceptance(ctx: CheckContext) -> Iterator[Issue]:
    if ctx.d.policy.continued_use_as_acceptance:
        yield Issue(
            ("policy", "continued_use_as_acceptance"),
            "the policy deems continued use acceptance of its changes; continued use is not "
            "consent to a change of the purpose, method or kinds of PI, which needs consent "
            "again (PIPL Art. 14 para. 2)",
        )


RULES = (
    right_missing,
    right_unreachable,
    retention_missing,
    retention_period,
    retention_end_action,
    retention_below_minimum,
    source_elements,
    recipient_identity,
    change_notice,
    policy_dates,
    change_notice_unstated,
    continued_use_acceptance,
)
