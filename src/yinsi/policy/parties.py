"""Joint handlers (共同处理, PIPL Art. 20), onward transfers by a recipient (Arts. 23,
38-39) and where an opt-out is switched off (Art. 24 para. 2), as statements.

Joint processing is said only as declared: a subsection of chapter 2 lists the joint
handlers; "我们未与其他个人信息处理者共同决定…" is written only when the file writes
``joint_handlers: []``. The user's right to turn to either handler is the law's (Art. 20
para. 1) and is restated as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import ConsentItem, JointHandler, Recipient
from yinsi.policy.lookup import Lookup
from yinsi.policy.provenance import Statement, at, fixed, merged, said
from yinsi.policy.text import clause

__all__ = ["JointView", "JointsView", "joints_view", "onward_transfers", "withdrawal"]

NOTHING = Statement("")


@dataclass(frozen=True)
class JointView:
    name: Statement
    contact: Statement
    scenarios: Statement
    purposes: Statement
    elements: Statement
    duties: Statement
    note: Statement


@dataclass(frozen=True)
class JointsView:
    items: list[JointView]
    none: Statement
    """The negative, only when the file writes ``joint_handlers: []``."""

    @property
    def names(self) -> Statement:
        return merged((j.name for j in self.items), "、")


def _duties(j: JointHandler, path: str) -> Statement:
    parts = []
    if j.our_duties:
        parts.append(merged(["我们负责", said(clause(j.our_duties), f"{path}.our_duties")]))
    if j.their_duties:
        parts.append(
            merged(
                [
                    said(j.name, f"{path}.name"),
                    "负责",
                    said(clause(j.their_duties), f"{path}.their_duties"),
                ]
            )
        )
    if not parts:
        return NOTHING
    return merged(["双方约定：", merged(parts, "；"), "。"], kind="fact")


def _joint(j: JointHandler, i: int, look: Lookup) -> JointView:
    path = at("joint_handlers", i)
    names = [s.name for s in look.declaration.scenarios if s.id in j.scenarios]
    return JointView(
        name=said(j.name, f"{path}.name"),
        contact=said(clause(j.contact), f"{path}.contact"),
        scenarios=said("、".join(names), f"{path}.scenarios"),
        purposes=said(look.purposes(j.purposes), f"{path}.purposes"),
        elements=Statement(look.elements(j.elements), [f"{path}.elements"]),
        duties=_duties(j, path),
        note=said(clause(j.note), f"{path}.note"),
    )


def joints_view(look: Lookup) -> JointsView:
    d = look.declaration
    written = "joint_handlers" in d.model_fields_set and not d.joint_handlers
    return JointsView(
        items=[_joint(j, i, look) for i, j in enumerate(d.joint_handlers)],
        none=fixed(
            "我们未与其他个人信息处理者共同决定您的个人信息的处理目的和处理方式。",
            "joint.none",
            "joint_handlers",
            kind="negative",
        )
        if written
        else NOTHING,
    )


def onward_transfers(r: Recipient, path: str, look: Lookup) -> Statement:
    """``接收方再向X提供（位于境外：新加坡）…`` for each party the recipient passes PI on to."""
    out = []
    for i, o in enumerate(r.onward):
        here = f"{path}.onward[{i}]"
        where = NOTHING
        if o.location == "abroad":
            country = f"：{clause(o.country)}" if o.country else ""
            where = said(
                f"（位于境外{country}）",
                f"{here}.location",
                *([f"{here}.country"] if o.country else []),
            )
        elif o.location == "mainland_china":
            where = said("（位于境内）", f"{here}.location")
        parts: list[str] = ["接收方再向", said(o.to, f"{here}.to"), where, "提供"]
        if o.elements:
            parts += [Statement(look.elements(o.elements), [f"{here}.elements"])]
        if o.purposes:
            parts += ["，用于", said(look.purposes(o.purposes), f"{here}.purposes")]
        if o.note:
            parts += ["，", said(clause(o.note), f"{here}.note")]
        out.append(merged(parts, kind="fact"))
    return merged(out, "；")


def withdrawal(item: ConsentItem, path: str) -> Statement:
    """How to withdraw or switch off: the switch (``在“…”中关闭``), then the other ways."""
    ways = said("、".join(clause(w) for w in item.withdraw_via), f"{path}.withdraw_via")
    if not item.switch:
        return ways
    switch = merged(
        ["在“", said(clause(item.switch), f"{path}.switch", kind="commitment"), "”中关闭"]
    )
    return merged([switch, ways], "；")
