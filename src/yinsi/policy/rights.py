"""The person's rights and how to reach us (chapters 4 and 9).

PIPL Art. 17 (3): how to exercise rights; Art. 50: a refusal gives reasons and the person
may sue; Art. 52: publish the PI protection officer's contact (X42).
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration.schema import Deadline, Right
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import CHANNEL_KIND, CHANNEL_PURPOSES, RIGHT_STATUTE, RIGHT_TITLE
from yinsi.policy.text import clause, sentence
from yinsi.taxonomy import RightKind

__all__ = ["ContactsView", "RightView", "RightsView", "contacts_view", "rights_view"]

ORDER = list(RightKind)
DELETION_ON_REQUEST = "您有权请求删除您的个人信息（《个人信息保护法》第四十七条）。"


@dataclass(frozen=True)
class RightView:
    number: str
    title: str
    label: str
    statute: str
    triggers: list[str]
    restrict_when_retained: bool
    effect: str
    self_service: str
    channels: str
    preconditions: str
    deadline: str
    deadline_short: str
    fee: str

    @property
    def how(self) -> str:
        """One line for the summary: self-service first, then the request channels."""
        parts = [f"自助操作：{self.self_service}"] if self.self_service else []
        if self.channels:
            parts.append(f"通过{self.channels}提出请求")
        return "；".join(parts)


@dataclass(frozen=True)
class RightsView:
    items: list[RightView]
    labels: str
    verification: str
    refusal_grounds: list[str]
    escalation: str
    all_free: bool
    response_number: str


@dataclass(frozen=True)
class ChannelView:
    label: str
    value: str
    purposes: str


@dataclass(frozen=True)
class ContactsView:
    channels: list[ChannelView]
    officer_title: str
    officer_channels: str
    department: str
    reply_days: int | None


def deadline_phrase(deadline: Deadline | None) -> str:
    if deadline is None:
        return ""
    start = "收到您的请求" if deadline.counted_from == "receipt" else "验证您的身份"
    text = f"我们将在{start}后{deadline.working_days}个工作日内答复"
    if deadline.target_working_days:
        text += f"，一般情况下在{deadline.target_working_days}个工作日内处理完成"
    return text + "。"


def right_view(right: Right, number: str, look: Lookup) -> RightView:
    return RightView(
        number=number,
        title=RIGHT_TITLE[right.kind],
        label=right.kind.label,
        statute=(
            DELETION_ON_REQUEST
            if right.kind is RightKind.DELETION and not right.triggers
            else RIGHT_STATUTE[right.kind]
        ),
        triggers=[t.label for t in right.triggers],
        restrict_when_retained=right.restrict_when_retention_required,
        effect=sentence(right.effect),
        self_service=clause(right.self_service),
        channels=look.channel_list(right.channels),
        preconditions="；".join(clause(p) for p in right.preconditions),
        deadline=deadline_phrase(right.deadline),
        deadline_short=f"{right.deadline.working_days}个工作日" if right.deadline else "",
        fee="" if right.free else "对于超出合理限度的重复请求，我们可能收取合理的成本费用。",
    )


def rights_view(look: Lookup, chapter: int) -> RightsView:
    rights = look.declaration.rights
    ordered = sorted(rights.items, key=lambda r: ORDER.index(r.kind))
    items = [right_view(r, f"{chapter}.{i}", look) for i, r in enumerate(ordered, 1)]
    return RightsView(
        items=items,
        labels="、".join(dict.fromkeys(r.kind.label for r in ordered)),
        verification=sentence(rights.verification)
        or "为保障您的账户安全，我们可能需要先验证您的身份，再处理您的请求。",
        refusal_grounds=[clause(g.text) for g in rights.refusal_grounds],
        escalation=sentence(rights.complaint_escalation),
        all_free=all(r.free for r in rights.items),
        response_number=f"{chapter}.{len(items) + 1}",
    )


def contacts_view(look: Lookup) -> ContactsView:
    contacts = look.declaration.contacts
    officer = contacts.pi_protection_officer
    return ContactsView(
        channels=[
            ChannelView(c.label, c.value, "、".join(CHANNEL_PURPOSES[p] for p in c.purposes))
            for c in contacts.channels
        ],
        officer_title=officer.title if officer else "",
        officer_channels="；".join(
            f"{CHANNEL_KIND[c.kind]}{c.value}"
            for c in (look.channels.get(i) for i in (officer.channels if officer else []))
            if c is not None
        ),
        department=contacts.department,
        reply_days=contacts.reply_within_working_days,
    )
