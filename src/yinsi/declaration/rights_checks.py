"""Cross-reference rules on how users reach the app: contact channels and their rights.

Each function is one rule family of :func:`yinsi.declaration.checks.check`, taking the
shared :class:`~yinsi.declaration.check_context.CheckContext` and yielding findings in
document order.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.taxonomy import RightKind

MAX_RIGHTS_WORKING_DAYS = 15
"""《App违法违规收集使用个人信息行为认定方法》: requests answered within 15 working days."""

STATUTORY_RIGHTS: dict[RightKind, str] = {
    RightKind.ACCESS: "PIPL Art. 45",
    RightKind.COPY: "PIPL Art. 45",
    RightKind.TRANSFER: "PIPL Art. 45",
    RightKind.CORRECTION: "PIPL Art. 46",
    RightKind.DELETION: "PIPL Art. 47",
    RightKind.WITHDRAW_CONSENT: "PIPL Art. 15",
    RightKind.CANCEL_ACCOUNT: "网络数据安全管理条例 Art. 24",
    RightKind.EXPLANATION: "PIPL Art. 48",
    RightKind.DECEASED_RELATIVES: "PIPL Art. 49",
    RightKind.COMPLAINT: "PIPL Art. 50",
}


def contacts(ctx: CheckContext) -> Iterator[Issue]:
    """Contact channels: declared ids, and one accepting complaints (PIPL Art. 50)."""
    d = ctx.d
    if d.contacts.pi_protection_officer:
        for j, cid in enumerate(d.contacts.pi_protection_officer.channels):
            yield from ctx.channel(cid, ("contacts", "pi_protection_officer", "channels", j))
    if not any("complaint" in c.purposes for c in d.contacts.channels):
        yield Issue(
            ("contacts", "channels"),
            "no contact channel accepts complaints (PIPL Art. 50)",
            "warning",
        )
    for j, cid in enumerate(d.incident.contacts):
        yield from ctx.channel(cid, ("incident", "contacts", j))


def rights(ctx: CheckContext) -> Iterator[Issue]:
    """Rights: declared channels, deadlines, and every statutory right described.

    Deadlines at most :data:`MAX_RIGHTS_WORKING_DAYS` (《App违法违规收集使用个人信息行为认定方法》);
    each right of :data:`STATUTORY_RIGHTS` (PIPL Arts. 15, 45-50; 网络数据安全管理条例
    Art. 24) says how to exercise it (a warning otherwise).
    """
    items = ctx.d.rights.items
    for i, right in enumerate(items):
        path: Path = ("rights", "items", i)
        for j, cid in enumerate(right.channels):
            yield from ctx.channel(cid, (*path, "channels", j))
        if right.deadline and right.deadline.working_days > MAX_RIGHTS_WORKING_DAYS:
            yield Issue(
                (*path, "deadline", "working_days"),
                f"{right.kind.label}: {right.deadline.working_days} working days exceeds the "
                f"{MAX_RIGHTS_WORKING_DAYS} allowed (《App违法违规收集使用个人信息行为认定方法》)",
            )
    kinds = {r.kind for r in items}
    for kind, article in STATUTORY_RIGHTS.items():
        if kind not in kinds:
            yield Issue(
                ("rights", "items"),
                f"the declaration does not say how to exercise the right of {kind.label} "
                f"({kind.value}, {article})",
                "warning",
            )
