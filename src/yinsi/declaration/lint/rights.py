"""Rules on how users reach the handler and exercise their rights: deadlines, complaint
channel, conditions on rights, the rights around automated decisions, and the PI
protection officer.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import NDSR, PIPL, Citation, Example, rule
from yinsi.declaration.view import collected_elements
from yinsi.taxonomy import RightKind

__all__ = [
    "CONDITIONS_FORBIDDEN",
    "CREDIT_PURPOSES",
    "MAX_RIGHTS_WORKING_DAYS",
    "RULES",
]

MAX_RIGHTS_WORKING_DAYS = 15
"""《App违法违规收集使用个人信息行为认定方法》: requests answered within 15 working days."""

CONDITIONS_FORBIDDEN: dict[RightKind, str] = {
    RightKind.ACCESS: "网络数据安全管理条例 Art. 23",
    RightKind.COPY: "网络数据安全管理条例 Art. 23",
    RightKind.CORRECTION: "网络数据安全管理条例 Art. 23; 认定方法 六.2",
    RightKind.DELETION: "网络数据安全管理条例 Art. 23; 认定方法 六.2",
    RightKind.RESTRICT: "网络数据安全管理条例 Art. 23",
    RightKind.CANCEL_ACCOUNT: "网络数据安全管理条例 Art. 23; 认定方法 六.2",
    RightKind.WITHDRAW_CONSENT: "网络数据安全管理条例 Art. 23",
}
"""The rights 网络数据安全管理条例 Art. 23 protects from unreasonable conditions (the
认定方法 六.2 names correction, deletion and cancellation); transfer has the statutory
conditions of its Art. 25 and is not listed."""

CREDIT_PURPOSES = frozenset({"credit_assessment", "credit_line_increase"})
"""Purposes that assess a person's credit standing: automated decision-making when done by
computer programs (PIPL Art. 73 (2))."""

DEADLINE_SECTION = Citation("认定方法", section="六")


@rule(
    "rights-deadline",
    "error",
    title="A rights deadline longer than 15 working days",
    cites=(DEADLINE_SECTION,),
    explanation="Section 六 of the 认定方法 counts not handling requests within the "
    "promised time as a violation, and the promised time may not exceed 15 working days "
    "(item 5 for complaints; the seeds promise the same for every right).",
    fix="Promise at most 15 working days (`deadline.working_days`).",
    failing=Example("rights: {items: [{id: access, deadline: {working_days: 30}}]}"),
    passing=Example("rights: {items: [{id: access, deadline: {working_days: 15}}]}"),
    stage="load",
)
def rights_deadline(ctx: CheckContext) -> Iterator[Issue]:
    for i, right in enumerate(ctx.d.rights.items):
        if right.deadline and right.deadline.working_days > MAX_RIGHTS_WORKING_DAYS:
            yield Issue(
                ("rights", "items", i, "deadline", "working_days"),
                f"{right.kind.label}: {right.deadline.working_days} working days exceeds the "
                f"{MAX_RIGHTS_WORKING_DAYS} allowed (《App违法违规收集使用个人信息行为认定方法》 六)",
            )


@rule(
    "complaint-channel",
    "warning",
    title="No contact channel accepts complaints",
    cites=(PIPL(50, para=1), Citation("认定方法", section="六.5")),
    explanation="A handler runs a convenient mechanism to receive and handle requests and "
    "complaints (PIPL Art. 50), and publishes a complaint channel (认定方法 六.5).",
    fix="Add `complaint` to the `purposes` of a contact channel.",
    failing=Example("contacts: {channels: [{id: hotline, purposes: [inquiry]}]}"),
    passing=Example(""),
    stage="load",
)
def complaint_channel(ctx: CheckContext) -> Iterator[Issue]:
    if not any("complaint" in c.purposes for c in ctx.d.contacts.channels):
        yield Issue(
            ("contacts", "channels"), "no contact channel accepts complaints (PIPL Art. 50)"
        )


@rule(
    "rights-conditions",
    "warning",
    title="Conditions on exercising a right or cancelling the account",
    cites=(NDSR(23), Citation("认定方法", section="六.2")),
    explanation="Requests to access, copy, correct, complete, delete or restrict PI, to "
    "cancel the account or withdraw consent are accepted promptly and no unreasonable "
    "condition may restrict them (网络数据安全管理条例 Art. 23; for correction, deletion "
    "and cancellation also 认定方法 六.2). A condition the policy sets (or a fee) is "
    "reported so that each can be justified, or removed.",
    fix="Keep only conditions a law provides or that are plainly reasonable, and say what "
    "they are; remove vague ones (“如您满足撤回同意的条件”).",
    failing=Example("rights: {items: [{id: cancel, preconditions: [您在本平台没有未清偿的债务]}]}"),
    passing=Example(""),
)
def rights_conditions(ctx: CheckContext) -> Iterator[Issue]:
    for i, right in enumerate(ctx.d.rights.items):
        article = CONDITIONS_FORBIDDEN.get(right.kind)
        if article is None:
            continue
        conditions = [f"「{p}」" for p in right.preconditions]
        if not right.free:
            conditions.append("a fee")
        if conditions:
            path = ("rights", "items", i, "preconditions" if right.preconditions else "free")
            yield Issue(
                path,
                f"the right of {right.kind.label} is subject to {', '.join(conditions)}; no "
                f"unreasonable condition may restrict it ({article}): justify each or remove it",
            )


_AUTOMATED = "scenarios: [{id: scoring, name: 授信审核, function: basic, purposes: "
_AUTOMATED += "[credit_assessment], methods: [user_input], elements: [mobile_number], "
_AUTOMATED += "consents: [policy], retention: account, automated_decision: true}]"


def _missing_art24_rights(ctx: CheckContext) -> list[str]:
    kinds = {r.kind for r in ctx.d.rights.items}
    wanted = {
        RightKind.EXPLANATION: "an explanation",
        RightKind.CONTEST_AUTOMATED_DECISION: "refusing a decision made solely by automated means",
    }
    return [text for kind, text in wanted.items() if kind not in kinds]


@rule(
    "automated-decision-rights",
    "warning",
    title="Automated (credit) decisions without the rights of PIPL Art. 24",
    cites=(PIPL(24, para=3), PIPL(73, item=2)),
    explanation="A decision with a major impact made by automated means gives the person "
    "the right to an explanation and to refuse a decision made solely by automated means "
    "(PIPL Art. 24 para. 3). Assessing credit standing by computer programs is automated "
    "decision-making (Art. 73 (2)): a credit assessment that does not say whether it is "
    "automated, with neither right declared, is reported too.",
    fix="Declare rights of kind `explanation` and `contest_automated_decision`; for a "
    "credit assessment, state `automated_decision` (true or false).",
    failing=Example(_AUTOMATED),
    passing=Example(
        _AUTOMATED + "\nrights: {items: [{id: contest, kind: contest_automated_decision, "
        "channels: [hotline]}]}"
    ),
)
def automated_decision_rights(ctx: CheckContext) -> Iterator[Issue]:
    missing = _missing_art24_rights(ctx)
    if not missing:
        return
    lacks = " or ".join(missing)
    scenarios = list(enumerate(ctx.d.scenarios))
    automated = [(i, s) for i, s in scenarios if s.automated_decision]
    if automated:
        i, _ = automated[0]
        names = ", ".join(s.id for _, s in automated)
        yield Issue(
            ("scenarios", i, "automated_decision"),
            f"automated decisions ({names}) but no way to ask for {lacks} "
            "(PIPL Art. 24 para. 3): declare the rights",
        )
        return
    silent = [
        (i, s)
        for i, s in scenarios
        if CREDIT_PURPOSES & set(s.purposes) and "automated_decision" not in s.model_fields_set
    ]
    if silent:
        i, s = silent[0]
        yield Issue(
            ("scenarios", i, "purposes"),
            f"scenario {s.id!r} assesses credit, which is automated decision-making when done "
            "by computer programs (PIPL Art. 73 (2)), but the declaration says neither whether "
            f"it is automated (`automated_decision`) nor how to ask for {lacks} "
            "(PIPL Art. 24 para. 3)",
        )


@rule(
    "pi-officer",
    "warning",
    title="No PI protection officer is published",
    cites=(PIPL(52, para=2),),
    explanation="A handler whose processing reaches the volume the CAC sets appoints a PI "
    "protection officer and publishes the officer's contact (PIPL Art. 52). The "
    "declaration cannot show the volume; a declaration that processes sensitive PI with no "
    "officer is reported so the threshold is checked.",
    fix="Declare `contacts.pi_protection_officer` with the channels that reach the officer.",
    failing=Example(
        "contacts: {pi_protection_officer: null}\n"
        "consents: [{id: identity, label: 身份信息单独同意, kind: separate, "
        "elements: [id_number]}]\n"
        "scenarios: [{id: signup, elements: [mobile_number, id_number], "
        "consents: [policy, identity]}]"
    ),
    passing=Example(
        "consents: [{id: identity, label: 身份信息单独同意, kind: separate, "
        "elements: [id_number]}]\n"
        "scenarios: [{id: signup, elements: [mobile_number, id_number], "
        "consents: [policy, identity]}]"
    ),
)
def pi_officer(ctx: CheckContext) -> Iterator[Issue]:
    if ctx.d.contacts.pi_protection_officer is not None:
        return
    sensitive = [e for e in collected_elements(ctx.d) if ctx.tax.is_sensitive(e)]
    if sensitive:
        labels = "、".join(ctx.tax.elements[e].label for e in sensitive[:3])
        more = "等" if len(sensitive) > 3 else ""
        yield Issue(
            ("contacts",),
            f"no PI protection officer is published, though the declaration processes "
            f"sensitive PI ({labels}{more}): above the CAC's volume threshold the officer's "
            "contact must be published (PIPL Art. 52 para. 2)",
        )


RULES = (
    rights_deadline,
    complaint_channel,
    rights_conditions,
    automated_decision_rights,
    pi_officer,
)
