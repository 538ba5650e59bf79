"""Rules on other parties beyond direct recipients: joint handlers (共同处理, PIPL Art. 20)
and recipients that pass PI on, above all abroad (PIPL Arts. 38-39).
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint.minors import cited
from yinsi.declaration.lint.registry import PIPL, Example, rule
from yinsi.taxonomy import LegalBasis

__all__ = ["RULES"]

_JOINT = (
    "joint_handlers: [{id: partner, name: 示例联合运营有限公司, scenarios: [signup], "
    "purposes: [account_registration], elements: [mobile_number]"
)
_ONWARD = (
    "consents: [{id: affiliate, label: 向关联公司提供个人信息, kind: separate, "
    "elements: [mobile_number]}]\n"
    "scenarios: [{id: signup, consents: [policy, affiliate], recipients: [group]}]\n"
    "recipients: [{id: group, kind: affiliate, name: 示例集团有限公司, contact: 400-000-0003, "
    "purposes: [account_registration], elements: [mobile_number], consent: affiliate, "
    "onward: [{to: 示例集团（新加坡）有限公司, location: abroad, country: 新加坡"
)


@rule(
    "parties-reference",
    "error",
    title="A joint handler or onward transfer names nothing declared",
    cites=(PIPL(17, para=1),),
    explanation="A joint handler's scenarios, purposes and elements, and an onward "
    "transfer's purposes and elements, are ids declared elsewhere; the policy names "
    "them from there.",
    fix="Correct the id, or declare it where the message says.",
    failing=Example(
        "joint_handlers: [{id: partner, name: 示例联合运营有限公司, contact: 400-000-1111, "
        "scenarios: [sign_up], purposes: [account_registration], elements: [mobile_number]}]"
    ),
    passing=Example(_JOINT + ", contact: 400-000-1111}]"),
    stage="load",
)
def parties_reference(ctx: CheckContext) -> Iterator[Issue]:
    scenarios = {s.id for s in ctx.d.scenarios}
    for i, j in enumerate(ctx.d.joint_handlers):
        path: Path = ("joint_handlers", i)
        for k, sid in enumerate(j.scenarios):
            yield from cited(
                ctx.ref(sid, scenarios, "scenario", (*path, "scenarios", k), "scenarios")
            )
        yield from cited(ctx.purposes(j.purposes, (*path, "purposes")))
        yield from cited(ctx.elements(j.elements, (*path, "elements")))
    for i, r in enumerate(ctx.d.recipients):
        for k, o in enumerate(r.onward):
            where: Path = ("recipients", i, "onward", k)
            yield from cited(ctx.purposes(o.purposes, (*where, "purposes")))
            yield from cited(ctx.elements(o.elements, (*where, "elements")))


@rule(
    "joint-handler-notice",
    "warning",
    title="A joint handler without its contact, purposes or PI",
    cites=(PIPL(17, item=1), PIPL(17, item=2), PIPL(20)),
    explanation="A joint handler decides purposes and means with us (PIPL Art. 20) and is "
    "a handler of the person's PI: the policy tells its name and contact, the purposes "
    "and the PI kinds (Art. 17 (1), (2)), so that the person can turn to either handler "
    "(Art. 20 para. 1).",
    fix="Give the joint handler `contact`, `purposes` (or `scenarios`) and `elements`.",
    failing=Example(_JOINT + "}]"),
    passing=Example(_JOINT + ", contact: 400-000-1111}]"),
)
def joint_handler_notice(ctx: CheckContext) -> Iterator[Issue]:
    for i, j in enumerate(ctx.d.joint_handlers):
        missing = [
            name
            for name, given in (
                ("contact", bool(j.contact)),
                ("purposes", bool(j.purposes or j.scenarios)),
                ("elements", bool(j.elements)),
            )
            if not given
        ]
        if missing:
            yield Issue(
                ("joint_handlers", i),
                f"joint handler {j.name!r} has no {', '.join(missing)} "
                "(PIPL Art. 17 (1)-(2), Art. 20)",
            )


def _onward_gaps(ctx: CheckContext, index: int) -> Iterator[tuple[int, str]]:
    r = ctx.d.recipients[index]
    item = next((c for c in ctx.d.consents if c.id == r.consent), None)
    separate = item is not None and item.kind.is_separate
    for k, o in enumerate(r.onward):
        if o.location != "abroad":
            continue
        if not ctx.d.storage.cross_border:
            yield k, "storage.cross_border is not true (PIPL Art. 38)"
        if not (o.purposes and o.elements):
            yield k, "its purposes and PI kinds are not told (PIPL Art. 39)"
        if r.legal_basis is LegalBasis.CONSENT and not separate:
            yield k, "no separate consent covers it (PIPL Art. 39)"


@rule(
    "onward-abroad",
    "warning",
    title="A recipient passes PI abroad without the notice and consent of a transfer abroad",
    cites=(PIPL(38), PIPL(39)),
    explanation="A domestic recipient that passes the PI on abroad makes it leave China: "
    "the transfer needs one of the mechanisms of PIPL Art. 38 (declared with "
    "`storage.cross_border`), and the person is told the foreign recipient, purposes and "
    "PI kinds and gives a separate consent (Art. 39).",
    fix="Declare `storage.cross_border: true` with its conditions, give the onward "
    "transfer `purposes` and `elements`, and gate the recipient with a separate consent.",
    failing=Example(_ONWARD + "}]}]"),
    passing=Example(
        _ONWARD + ", purposes: [account_registration], elements: [mobile_number]}]}]\n"
        "storage: {cross_border: true, cross_border_conditions: 按照国家网信部门制定的标准合同"
        "与境外接收方订立合同}"
    ),
)
def onward_abroad(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        for k, gap in _onward_gaps(ctx, i):
            yield Issue(
                ("recipients", i, "onward", k),
                f"{r.name!r} passes PI on abroad, but {gap}",
            )


RULES = (parties_reference, joint_handler_notice, onward_abroad)
