"""Rules on what the user can switch off and on the policy's own history: an opt-out says
where it is turned off (PIPL Art. 15), personalised push and marketing come with a
convenient way to refuse (Art. 24 para. 2; 网络数据安全管理条例 Art. 42), and the change
log agrees with the version it describes (Art. 17).
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import NDSR, PIPL, Example, rule
from yinsi.taxonomy import ConsentKind, RightKind

__all__ = ["PERSONALISED", "RULES"]

PERSONALISED = frozenset({"personalised_recommendation"})
"""Purposes that push information or market to a person by automated decision-making."""

_PERSONALISED = (
    "scenarios: [{id: recommend, name: 个性化推荐, function: extended, "
    "purposes: [personalised_recommendation], methods: [automatic], "
    "elements: [mobile_number], consents: [policy, personalised], retention: account}]\n"
    "consents: [{id: personalised, label: 个性化推荐, kind: opt_out"
)


@rule(
    "opt-out-switch",
    "warning",
    title="An opt-out does not say how to turn it off",
    cites=(PIPL(15), PIPL(24, para=2)),
    explanation="Something on by default (kind `opt_out`, 默认开启) is only acceptable "
    "when it can be turned off conveniently: the handler provides a convenient way to "
    "withdraw consent (PIPL Art. 15 para. 1), and personalised push or marketing a "
    "convenient way to refuse (Art. 24 para. 2). The policy says where the switch is.",
    fix="Give the consent item `switch` (where in the app it is turned off, e.g. "
    "我的-设置-个性化推荐) or `withdraw_via`.",
    failing=Example(_PERSONALISED + "}]"),
    passing=Example(_PERSONALISED + ", switch: 我的-设置-个性化推荐}]"),
)
def opt_out_switch(ctx: CheckContext) -> Iterator[Issue]:
    for i, c in enumerate(ctx.d.consents):
        if c.kind is ConsentKind.OPT_OUT and not (c.switch or c.withdraw_via):
            yield Issue(
                ("consents", i),
                f"{c.label!r} is on by default but the policy does not say how to turn it "
                "off (PIPL Art. 15, Art. 24 para. 2): give `switch` or `withdraw_via`",
            )


def _refusable(ctx: CheckContext, consents: list[str]) -> bool:
    """A gating consent can be withdrawn somewhere, or the right to refuse is declared."""
    for c in ctx.d.consents:
        if c.id in consents and c.kind is not ConsentKind.GENERAL and (c.switch or c.withdraw_via):
            return True
    return any(
        r.kind is RightKind.OPT_OUT_PERSONALISATION and (r.channels or r.self_service)
        for r in ctx.d.rights.items
    )


@rule(
    "personalisation-refusal",
    "warning",
    title="Personalised recommendation without a convenient way to refuse",
    cites=(PIPL(24, para=2), NDSR(42)),
    explanation="Information pushed or marketed to a person by automated decision-making "
    "comes with an option not based on their characteristics or a convenient way to "
    "refuse (PIPL Art. 24 para. 2); a platform sets an easy-to-use option to turn "
    "personalised recommendation off (网络数据安全管理条例 Art. 42). A scenario for "
    "personalised recommendation is gated by a consent that can be turned off (its "
    "`switch` or `withdraw_via`), or the declaration has the right "
    "`opt_out_personalisation` with its channels or self-service.",
    fix="Gate the scenario with a consent (e.g. `kind: opt_out`) with its `switch`, or "
    "declare the right `opt_out_personalisation`.",
    failing=Example(
        "scenarios: [{id: recommend, name: 个性化推荐, function: extended, "
        "purposes: [personalised_recommendation], methods: [automatic], "
        "elements: [mobile_number], consents: [policy], retention: account}]"
    ),
    passing=Example(_PERSONALISED + ", switch: 我的-设置-个性化推荐}]"),
)
def personalisation_refusal(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        if PERSONALISED & set(s.purposes) and not _refusable(ctx, list(s.consents)):
            yield Issue(
                ("scenarios", i),
                f"{s.name!r} recommends by the person's characteristics but offers no "
                "convenient way to refuse (PIPL Art. 24 para. 2; 网络数据安全管理条例 Art. 42)",
            )


@rule(
    "change-log-current",
    "warning",
    title="The change log does not agree with the policy's version",
    cites=(PIPL(17, para=1),),
    explanation="A change log (`policy.changes`) is part of what the policy tells, truly "
    "and accurately (PIPL Art. 17 para. 1): it has an entry for the current version, and "
    "no entry is dated after the policy's update date.",
    fix="Add an entry for `policy.version` dated no later than `policy.updated`, or "
    "correct the entry.",
    failing=Example("policy: {changes: [{version: '0.9', date: 2023-06-01, summary: 首次发布}]}"),
    passing=Example(
        "policy: {changes: [{version: '0.9', date: 2023-06-01, summary: 首次发布}, "
        "{version: '1.0', date: 2024-01-01, summary: 新增第三方SDK清单}]}"
    ),
)
def change_log_current(ctx: CheckContext) -> Iterator[Issue]:
    p = ctx.d.policy
    if not p.changes:
        return
    if all(c.version != p.version for c in p.changes):
        yield Issue(
            ("policy", "changes"),
            f"the change log has no entry for the current version {p.version!r} "
            "(PIPL Art. 17 para. 1)",
        )
    for i, c in enumerate(p.changes):
        if c.date > p.updated:
            yield Issue(
                ("policy", "changes", i, "date"),
                f"entry {c.version!r} is dated {c.date}, after the policy's update date "
                f"{p.updated} (PIPL Art. 17 para. 1)",
            )


RULES = (opt_out_switch, personalisation_refusal, change_log_current)
