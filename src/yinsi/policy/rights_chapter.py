"""The person's rights and how to reach us (chapters 4 and 9), as statements.

PIPL Art. 17 (3): how to exercise rights; Art. 50: a refusal gives reasons and the person
may sue; Art. 52: publish the PI protection officer's contact (X42). The deadline's words
are :func:`yinsi.policy.rights.deadline_phrase` (the declared modality).

A right's statutory text explains the right; when the declaration gives the app's own
words for it (``effect``), the statute's explanatory sentences are left out and any
statutory sentence the declared text already says is not said twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yinsi.declaration.schema import Deadline, Right
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import (
    CHANNEL_KIND,
    CHANNEL_PURPOSES,
    RIGHT_EXPLAINED,
    RIGHT_STATUTE,
    RIGHT_TITLE,
)
from yinsi.policy.provenance import TEMPLATE, Statement, at, fixed, merged, said, stated
from yinsi.policy.rights import deadline_phrase, reply_phrase
from yinsi.policy.text import clause, sentence
from yinsi.taxonomy import Likelihood, RightKind

__all__ = ["ContactsView", "RightView", "RightsView", "contacts_view", "rights_view"]

ORDER = list(RightKind)
DELETION_ON_REQUEST = "您有权请求删除您的个人信息（《个人信息保护法》第四十七条）。"
RESTRICT_WHEN_RETAINED = (
    "法律、行政法规规定的保存期限未届满，或者删除个人信息从技术上难以实现的，"
    "我们将停止除存储和采取必要的安全保护措施之外的处理。"
)
NOTHING = Statement("")
_CITATION = re.compile(r"（《[^）]*》[^）]*）")
_HAN = re.compile(r"[\u4e00-\u9fff]")
SAID_ALREADY = 0.5
"""Share of a statutory sentence's character pairs found in the declared text above which
the declared text is taken to say it already (so it is not printed twice)."""


@dataclass(frozen=True)
class RightView:
    number: Statement
    title: Statement
    label: Statement
    statute: Statement
    triggers: list[Statement]
    restrict_when_retained: Statement
    effect: Statement
    self_service: Statement
    channels: Statement
    preconditions: Statement
    deadline: Statement
    deadline_short: Statement
    fee: Statement

    @property
    def how(self) -> Statement:
        """One line for the summary: self-service first, then the request channels."""
        parts = [merged(["自助操作：", self.self_service])] if self.self_service else []
        if self.channels:
            parts.append(merged(["通过", self.channels, "提出请求"]))
        return merged(parts, "；")


@dataclass(frozen=True)
class RefusalGroup:
    """Refusal grounds said with one modality, under their lead-in sentence."""

    lead: Statement
    grounds: list[Statement]


@dataclass(frozen=True)
class RightsView:
    items: list[RightView]
    labels: Statement
    verification: Statement
    refusal_groups: list[RefusalGroup]
    escalation: Statement
    all_free: Statement
    response_number: Statement


@dataclass(frozen=True)
class ChannelView:
    label: Statement
    value: Statement
    purposes: Statement


@dataclass(frozen=True)
class ContactsView:
    channels: list[ChannelView]
    officer_title: Statement
    officer_channels: Statement
    department: Statement
    reply: Statement
    complain_words: Statement
    """"投诉、举报" only where a channel is declared for reports, else "投诉" (issue 13)."""


def _pairs(text: str) -> set[str]:
    han = "".join(_HAN.findall(_CITATION.sub("", text)))
    return {han[i : i + 2] for i in range(len(han) - 1)}


def said_already(statute_sentence: str, declared: str) -> bool:
    """Whether ``declared`` already says ``statute_sentence`` (shared character pairs)."""
    pairs = _pairs(statute_sentence)
    return bool(pairs) and len(pairs & _pairs(declared)) / len(pairs) >= SAID_ALREADY


def _sentences(text: str) -> list[str]:
    return [s + "。" for s in text.split("。") if s.strip()]


def _statute(right: Right, path: str, look: Lookup) -> Statement:
    kind = right.kind
    if kind is RightKind.DELETION and not right.triggers:
        return fixed(DELETION_ON_REQUEST, "rights.statute.deletion_on_request", f"{path}.kind")
    text = RIGHT_STATUTE[kind]
    if kind is RightKind.COMPLAINT:  # 举报 too only where a channel takes reports
        words = _complain_words(look)
        channels = [s for s in words.sources if not s.startswith(TEMPLATE)]
        text = text.replace("投诉", str(words))
        return fixed(text, f"rights.statute.{kind.value}", f"{path}.kind", *channels)
    if right.effect and kind is not RightKind.DELETION:
        text = "".join(s for s in _sentences(text) if not said_already(s, right.effect))
    elif not right.effect and kind in RIGHT_EXPLAINED:
        text += RIGHT_EXPLAINED[kind]
    return fixed(text, f"rights.statute.{kind.value}", f"{path}.kind") if text else NOTHING


def deadline_sources(deadline: Deadline, path: str) -> list[str]:
    """The deadline's fields its phrase is made of."""
    names = [n for n in type(deadline).model_fields if getattr(deadline, n) is not None]
    return [f"{path}.deadline.{n}" for n in names]


def _deadline(right: Right, path: str) -> tuple[Statement, Statement]:
    deadline = right.deadline
    if deadline is None:
        return NOTHING, NOTHING
    sources = deadline_sources(deadline, path)
    verb = getattr(deadline, "verb", None)
    hedge = deadline.qualifier.label if deadline.qualifier else ""  # 原则上 is not dropped
    short = f"{hedge}{deadline.working_days}个工作日内" + (verb.label if verb is not None else "")
    if deadline.target_working_days:
        target = deadline.target_verb.label if deadline.target_verb else ""
        short += f"，一般情况下{deadline.target_working_days}个工作日内{target}"
    return (
        said(deadline_phrase(deadline), *sources, kind="commitment"),
        said(short, *sources, kind="commitment"),
    )


def right_view(right: Right, number: str, look: Lookup) -> RightView:
    path = look.path("rights.items", right.id)
    restrict = NOTHING
    if right.restrict_when_retention_required and not said_already(
        RESTRICT_WHEN_RETAINED, right.effect
    ):
        restrict = fixed(
            RESTRICT_WHEN_RETAINED,
            "rights.restrict_when_retained",
            f"{path}.restrict_when_retention_required",
            kind="commitment",
        )
    deadline, short = _deadline(right, path)
    return RightView(
        number=fixed(number, "numbering"),
        title=fixed(RIGHT_TITLE[right.kind], f"rights.title.{right.kind.value}", f"{path}.kind"),
        label=said(right.kind.label, f"{path}.kind"),
        statute=_statute(right, path, look),
        triggers=[
            said(t.label, at(path, "triggers", i), kind="commitment")
            for i, t in enumerate(right.triggers)
        ],
        restrict_when_retained=restrict,
        effect=said(sentence(right.effect), f"{path}.effect", kind="commitment"),
        self_service=said(clause(right.self_service), f"{path}.self_service"),
        channels=said(look.channel_list(right.channels), f"{path}.channels"),
        preconditions=said(
            "；".join(clause(p) for p in right.preconditions), f"{path}.preconditions"
        ),
        deadline=deadline,
        deadline_short=short,
        fee=NOTHING
        if right.free
        else fixed(
            "对于超出合理限度的重复请求，我们可能收取合理的成本费用。",
            "rights.fee",
            f"{path}.free",
            kind="commitment",
        ),
    )


def _all_free(look: Lookup) -> Statement:
    items = look.declaration.rights.items
    if not items or not all(r.free and stated(r, "free") for r in items):
        return NOTHING
    paths = [look.path("rights.items", r.id, "free") for r in items]
    return fixed(
        "对于您合理的请求，我们原则上不收取费用。", "rights.all_free", *paths, kind="commitment"
    )


_REFUSAL_MODAL: dict[Likelihood | None, str] = {
    Likelihood.WILL: "将无法",
    Likelihood.MAY: "可能无法",
    None: "无法",
}


def _refusal_groups(look: Lookup) -> list[RefusalGroup]:
    """The refusal grounds grouped by their declared modality, in declaration order."""
    groups: dict[Likelihood | None, list[int]] = {}
    grounds = look.declaration.rights.refusal_grounds
    for i, g in enumerate(grounds):
        groups.setdefault(g.likelihood, []).append(i)
    out = []
    for likelihood, indices in groups.items():
        leaf = "likelihood" if likelihood else "text"
        lead = fixed(
            f"在以下情形中，我们{_REFUSAL_MODAL[likelihood]}响应您的请求：",
            f"rights.refusal_lead.{likelihood.value if likelihood else 'plain'}",
            *(at("rights", "refusal_grounds", i, leaf) for i in indices),
            kind="negative",
        )
        items = [
            said(clause(grounds[i].text), at("rights", "refusal_grounds", i, "text"))
            for i in indices
        ]
        out.append(RefusalGroup(lead, items))
    return out


def rights_view(look: Lookup, chapter: int) -> RightsView:
    rights = look.declaration.rights
    ordered = sorted(rights.items, key=lambda r: ORDER.index(r.kind))
    items = [right_view(r, f"{chapter}.{i}", look) for i, r in enumerate(ordered, 1)]
    return RightsView(
        items=items,
        labels=merged(dict.fromkeys(i.label for i in items), "、"),
        verification=said(sentence(rights.verification), "rights.verification", kind="commitment"),
        refusal_groups=_refusal_groups(look),
        escalation=said(sentence(rights.complaint_escalation), "rights.complaint_escalation"),
        all_free=_all_free(look),
        response_number=fixed(f"{chapter}.{len(items) + 1}", "numbering"),
    )


def _channel(look: Lookup, i: int) -> ChannelView:
    c = look.declaration.contacts.channels[i]
    path = at("contacts", "channels", i)
    purposes = "、".join(CHANNEL_PURPOSES[p] for p in c.purposes)
    return ChannelView(
        label=said(c.label, f"{path}.label"),
        value=said(c.value, f"{path}.value"),
        purposes=said(purposes, f"{path}.purposes") if stated(c, "purposes") else NOTHING,
    )


def contacts_view(look: Lookup) -> ContactsView:
    contacts = look.declaration.contacts
    officer = contacts.pi_protection_officer
    officer_channels = [
        (look.path("contacts.channels", c.id), c)
        for c in (look.channels.get(i) for i in (officer.channels if officer else []))
        if c is not None
    ]
    reply = NOTHING
    if contacts.reply_within_working_days:
        days = contacts.reply_within_working_days
        hedge = ["contacts.reply_qualifier"] if contacts.reply_qualifier else []
        reply = said(
            reply_phrase(days, contacts.reply_qualifier),
            "contacts.reply_within_working_days",
            *hedge,
            kind="commitment",
        )
    return ContactsView(
        channels=[_channel(look, i) for i in range(len(contacts.channels))],
        officer_title=said(officer.title, "contacts.pi_protection_officer") if officer else NOTHING,
        officer_channels=merged(
            [said(f"{CHANNEL_KIND[c.kind]}{c.value}", f"{p}.value") for p, c in officer_channels],
            "；",
        ).with_source("contacts.pi_protection_officer.channels"),
        department=said(contacts.department, "contacts.department"),
        reply=reply,
        complain_words=_complain_words(look),
    )


def _complain_words(look: Lookup) -> Statement:
    channels = look.declaration.contacts.channels
    reported = [i for i, c in enumerate(channels) if "report" in c.purposes]
    if reported:
        return said("投诉、举报", *(at("contacts", "channels", i, "purposes") for i in reported))
    return fixed("投诉", "contacts.complaint", "contacts.channels")
