"""Rules on minors (``policy.minors``): a child under 14 is served only with a guardian's
consent and under rules of its own (PIPL Art. 31; 网络数据安全管理条例 Arts. 21 para. 2,
22 (3)), and what the policy says about minors does not contradict itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint.registry import NDSR, PIPL, Example, rule
from yinsi.taxonomy import ConsentKind

__all__ = ["RULES", "cited", "serves_children"]

PATH: Path = ("policy", "minors")
CHILD = 14
ADULT = 18


def cited(issues: Iterator[Issue]) -> Iterator[Issue]:
    """Reference findings with the article that asks the policy to be accurate."""
    for issue in issues:
        yield Issue(issue.path, f"{issue.message} (PIPL Art. 17 para. 1)")


def serves_children(ctx: CheckContext) -> bool:
    """The declaration says children under 14 may use the app."""
    p = ctx.d.policy
    under_14 = p.minors.under_14 if p.minors is not None else None
    if under_14 is not None:
        return under_14 == "guardian_consent"
    return "minimum_age" in p.model_fields_set and p.minimum_age < CHILD


@rule(
    "minors-reference",
    "error",
    title="What the policy says about minors names nothing declared, or contradicts itself",
    cites=(PIPL(17, para=1), PIPL(31)),
    explanation="`policy.minors.guardian_consent` names a consent item of kind `guardian` "
    "and `closed_features` names scenarios; the policy tells truly and accurately "
    "(PIPL Art. 17), so it cannot both admit children under 14 with a guardian's consent "
    "(Art. 31) and refuse everyone under `minimum_age` 14 or more.",
    fix="Name a declared consent of kind guardian and declared scenarios; make "
    "`minors.under_14` agree with `policy.minimum_age`.",
    failing=Example("policy: {minors: {under_14: guardian_consent, guardian_consent: policy}}"),
    passing=Example(
        "policy: {minimum_age: 0, minors: {under_14: guardian_consent, "
        "guardian_consent: guardian, children_rules: {title: 儿童个人信息保护规则}}}\n"
        "consents: [{id: guardian, label: 监护人同意, kind: guardian}]\n"
        "scenarios: [{id: signup, consents: [policy, guardian]}]"
    ),
    stage="load",
)
def minors_reference(ctx: CheckContext) -> Iterator[Issue]:
    p = ctx.d.policy
    m = p.minors
    if m is None:
        return
    if m.guardian_consent is not None:
        where: Path = (*PATH, "guardian_consent")
        item = next((c for c in ctx.d.consents if c.id == m.guardian_consent), None)
        if item is None:
            yield from cited(ctx.consent(m.guardian_consent, where))
        elif item.kind is not ConsentKind.GUARDIAN:
            yield Issue(
                where,
                f"consent {item.id!r} is of kind {item.kind.value}, not guardian: a guardian's "
                "consent is its own kind (PIPL Art. 31)",
            )
    scenarios = {s.id for s in ctx.d.scenarios}
    for j, sid in enumerate(m.closed_features):
        yield from cited(
            ctx.ref(sid, scenarios, "scenario", (*PATH, "closed_features", j), "scenarios")
        )
    stated = "minimum_age" in p.model_fields_set
    if m.under_14 == "guardian_consent" and stated and p.minimum_age >= CHILD:
        yield Issue(
            (*PATH, "under_14"),
            f"children under 14 are said to be served with a guardian's consent, but "
            f"minimum_age {p.minimum_age} refuses them (PIPL Art. 17 para. 1, Art. 31)",
        )


@rule(
    "minors-guardian-consent",
    "warning",
    title="Children under 14 are served without a guardian's consent",
    cites=(PIPL(31), NDSR(22, item=3)),
    explanation="Processing the PI of a child under 14 needs the consent of a parent or "
    "other guardian (PIPL Art. 31 para. 1; 网络数据安全管理条例 Art. 22 (3)). A declaration "
    "that admits children (`minors.under_14: guardian_consent`, or a `minimum_age` under "
    "14) says how that consent is obtained: a consent item of kind `guardian`.",
    fix="Declare a consent item with `kind: guardian` and name it in "
    "`policy.minors.guardian_consent`; or say `minors.under_14: not_served`.",
    failing=Example("policy: {minimum_age: 0, minors: {under_14: guardian_consent}}"),
    passing=Example(
        "policy: {minimum_age: 0, minors: {under_14: guardian_consent, "
        "guardian_consent: guardian, children_rules: {title: 儿童个人信息保护规则}}}\n"
        "consents: [{id: guardian, label: 监护人同意, kind: guardian}]\n"
        "scenarios: [{id: signup, consents: [policy, guardian]}]"
    ),
)
def minors_guardian_consent(ctx: CheckContext) -> Iterator[Issue]:
    if not serves_children(ctx):
        return
    if any(c.kind is ConsentKind.GUARDIAN for c in ctx.d.consents):
        return
    yield Issue(
        PATH if ctx.d.policy.minors is not None else ("policy", "minimum_age"),
        "children under 14 may use the app, but no consent item of kind guardian says how a "
        "parent or guardian consents (PIPL Art. 31; 网络数据安全管理条例 Art. 22 (3))",
    )


@rule(
    "minors-rules",
    "warning",
    title="Children under 14 are served without rules of their own",
    cites=(PIPL(31, para=2), NDSR(21, para=2)),
    explanation="A handler of the PI of children under 14 makes special rules for it "
    "(PIPL Art. 31 para. 2; 网络数据安全管理条例 Art. 21 para. 2). The policy names them "
    "(`policy.minors.children_rules`, with their link where published).",
    fix="Give `policy.minors.children_rules: {title: 儿童个人信息保护规则, url: …}`.",
    failing=Example(
        "policy: {minimum_age: 0, minors: {under_14: guardian_consent, "
        "guardian_consent: guardian}}\n"
        "consents: [{id: guardian, label: 监护人同意, kind: guardian}]\n"
        "scenarios: [{id: signup, consents: [policy, guardian]}]"
    ),
    passing=Example(
        "policy: {minimum_age: 0, minors: {under_14: guardian_consent, "
        "guardian_consent: guardian, children_rules: {title: 儿童个人信息保护规则, "
        "url: 'https://example.com/children'}}}\n"
        "consents: [{id: guardian, label: 监护人同意, kind: guardian}]\n"
        "scenarios: [{id: signup, consents: [policy, guardian]}]"
    ),
)
def minors_rules(ctx: CheckContext) -> Iterator[Issue]:
    m = ctx.d.policy.minors
    if serves_children(ctx) and (m is None or m.children_rules is None):
        yield Issue(
            PATH if m is not None else ("policy", "minimum_age"),
            "children under 14 may use the app, but the policy names no special rules for "
            "their PI (PIPL Art. 31 para. 2; 网络数据安全管理条例 Art. 21 para. 2)",
        )


@rule(
    "minors-not-served",
    "warning",
    title="Children under 14 are said not to be served, yet admitted or given a guardian's consent",
    cites=(PIPL(17, para=1), PIPL(31)),
    explanation="`minors.under_14: not_served` says the app refuses children under 14. A "
    "written `minimum_age` under 14 admits them, and `minors.guardian_consent` names the "
    "consent through which a guardian agrees to processing their PI (PIPL Art. 31): "
    "either says they are served. The policy tells truly and accurately (PIPL Art. 17 "
    "para. 1); yinsi renders `not_served` and does not render the guardian's consent.",
    fix="If children under 14 are not served, leave `minimum_age` out or write 14 or more, "
    "and remove `minors.guardian_consent`; if they are, write `under_14: guardian_consent`.",
    failing=Example(
        "policy: {minimum_age: 0, minors: {under_14: not_served, guardian_consent: guardian}}\n"
        "consents: [{id: guardian, label: 监护人同意, kind: guardian}]\n"
        "scenarios: [{id: signup, consents: [policy, guardian]}]"
    ),
    passing=Example("policy: {minimum_age: 14, minors: {under_14: not_served}}"),
)
def minors_not_served(ctx: CheckContext) -> Iterator[Issue]:
    p = ctx.d.policy
    m = p.minors
    if m is None or m.under_14 != "not_served":
        return
    if "minimum_age" in p.model_fields_set and p.minimum_age < CHILD:
        yield Issue(
            ("policy", "minimum_age"),
            f"children under 14 are said not to be served (minors.under_14), but "
            f"minimum_age {p.minimum_age} admits them (PIPL Art. 17 para. 1, Art. 31)",
        )
    if m.guardian_consent is not None:
        yield Issue(
            (*PATH, "guardian_consent"),
            "children under 14 are said not to be served, yet the consent through which a "
            "guardian agrees to processing their PI is named; it is not rendered "
            "(PIPL Art. 17 para. 1, Art. 31)",
        )


@rule(
    "minors-closed-adults-only",
    "warning",
    title="Functions are closed to minors in an app closed to all minors",
    cites=(PIPL(17, para=1),),
    explanation="With a written `minimum_age` of 18 or more no function is open to "
    "minors; a policy that lists some as closed to them (`minors.closed_features`) tells "
    "the reader the others are open, which is not true (PIPL Art. 17 para. 1: truly, "
    "accurately, in clear language). yinsi does not render the list in an adults-only "
    "app; the age says it.",
    fix="Remove `minors.closed_features`; or, if minors from 14 may use the app except "
    "those functions, write that age (`minimum_age: 14`, `minors.under_14: not_served`).",
    failing=Example("policy: {minimum_age: 18, minors: {closed_features: [signup]}}"),
    passing=Example(
        "policy: {minimum_age: 14, minors: {under_14: not_served, closed_features: [signup]}}"
    ),
)
def minors_closed_adults_only(ctx: CheckContext) -> Iterator[Issue]:
    p = ctx.d.policy
    m = p.minors
    if m is None or not m.closed_features:
        return
    if "minimum_age" in p.model_fields_set and p.minimum_age >= ADULT:
        yield Issue(
            (*PATH, "closed_features"),
            f"minimum_age {p.minimum_age} already closes every function to minors; listing "
            "some as closed would say the others are open, so the list is not rendered "
            "(PIPL Art. 17 para. 1)",
        )


RULES = (
    minors_reference,
    minors_guardian_consent,
    minors_rules,
    minors_not_served,
    minors_closed_adults_only,
)
