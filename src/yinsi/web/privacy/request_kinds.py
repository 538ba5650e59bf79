"""The rights a user can exercise in the privacy center, as the declaration offers them.

Every right of the declaration except a deceased user's relatives' (a relative is not the
signed-in user); withdrawing consent, cancellation and complaints have pages of their
own, the others share the request form. Deadlines are said as the declaration states them
(working days from receipt or from verification, X35, X36).
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.declaration import Declaration
from yinsi.declaration.schema import Right
from yinsi.policy.text import clause, sentence
from yinsi.rights.requests import REQUEST_KINDS
from yinsi.taxonomy import RightKind
from yinsi.web.privacy.route import NotFound
from yinsi.web.privacy.views import NOT_FOR_USERS

__all__ = [
    "KINDS",
    "OWN_PAGES",
    "KindChoice",
    "channels",
    "choose_kind",
    "deadline_text",
    "kind_choices",
    "right_of",
]

KINDS = {k.value: k for k in RightKind}
OWN_PAGES = {
    RightKind.WITHDRAW_CONSENT: "/privacy/consents",
    RightKind.CANCEL_ACCOUNT: "/privacy/cancel",
    RightKind.COMPLAINT: "/privacy/complaints",
}
"""Kinds done on a page of their own rather than with the request form."""


@dataclass(frozen=True, slots=True)
class KindChoice:
    """A right the user can exercise here, as the declaration describes it."""

    kind: str
    label: str
    effect: str
    self_service: str
    deadline: str
    page: str
    """The page of its own (consents, cancellation, complaints), else the request form."""


def deadline_text(right: Right | None) -> str:
    if right is None or right.deadline is None:
        return ""
    d = right.deadline  # in the declared modality: the verbs, hedge and start it states
    start = _START[d.counted_from]
    usual = d.target_verb.label if d.target_verb else ""
    target = f"一般在{d.target_working_days}个工作日内{usual}，" if d.target_working_days else ""
    hedge = d.qualifier.label if d.qualifier else ""
    verb = d.verb.label if d.verb else ""
    return f"{target}{hedge}最迟在{start}{d.working_days}个工作日内{verb}"


_START: dict[str | None, str] = {
    "receipt": "收到申请后",
    "verification": "身份验证通过后",
    "receipt_and_verification": "收到申请并身份验证通过后",
    None: "",
}


def kind_choices(declaration: Declaration) -> list[KindChoice]:
    out = []
    for right in declaration.rights.items:
        kind = right.kind
        if kind in NOT_FOR_USERS or (kind not in REQUEST_KINDS):
            continue
        out.append(
            KindChoice(
                kind=kind.value,
                label=kind.label,
                effect=sentence(right.effect),
                self_service=clause(right.self_service),
                deadline=deadline_text(right),
                page=OWN_PAGES.get(kind, f"/privacy/requests/new?kind={kind.value}"),
            )
        )
    return out


def right_of(declaration: Declaration, kind: RightKind) -> Right | None:
    return next((r for r in declaration.rights.items if r.kind is kind), None)


def choose_kind(declaration: Declaration, value: str) -> RightKind:
    offered = {c.kind for c in kind_choices(declaration) if c.page.startswith("/privacy/requests/")}
    if value not in offered:
        raise NotFound("没有这项权利申请。")
    return KINDS[value]


def channels(declaration: Declaration, purpose: str) -> list[tuple[str, str]]:
    """(label, value) of the contact channels declared for ``purpose``."""
    return [(c.label, c.value) for c in declaration.contacts.channels if purpose in c.purposes]
