"""The sharing gate: may these PI elements go to this recipient for this purpose now?

:func:`provide` is pure (the declaration and the subject's :class:`ConsentState` in, a
:class:`ProvisionDecision` out). The checks run in the order of the law's priorities; the
first that fails is the reason:

1. ``not_declared``: the recipient, the purpose or an element is not declared for it
   (PIPL Arts. 14, 23: provision beyond what the user was told). ``missing`` names them.
2. ``public_disclosure_not_declared`` / ``cross_border_not_declared``: a public
   disclosure or a transfer abroad to a recipient the declaration does not declare as
   such (``kind: public_disclosure`` / ``kind: cross_border`` or ``location: abroad``;
   PIPL Arts. 25, 38, 39; X24, X37).
3. ``restricted``: the subject restricted processing of an element (X28); statutory
   provisions (e.g. to state organs on a lawful request) still go ahead.
4. a legal basis other than consent (PIPL Art. 13 (2)-(7), X19) → allowed
   ``legal_basis:<basis>`` — except a public disclosure or a transfer abroad, which
   always needs the separate consent here (Arts. 25, 39).
5. an entrusted processor without a consent item of its own (Art. 21: it acts on the
   handler's behalf, X21) → allowed ``entrusted``.
6. ``separate_consent_required``: the recipient declares no consent item, or the
   subject never granted it (Art. 23; X22, W11); ``consent_withdrawn`` when the subject
   granted it and withdrew it (Art. 15) — else allowed ``consent``.

An allowed decision carries the recipient's de-identification (``de_identified``) and,
when it is ``always``, the :class:`DeidentificationProfile` to apply to the record
before it leaves (:func:`deidentify_record`).

:func:`end_entrustment` gives the deletion instruction owed to an entrusted processor when
the entrustment ends (X21; PIPL Art. 21 para. 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from yinsi.consent import ALL_ELEMENTS, ConsentState
from yinsi.declaration.datamap import Strategy
from yinsi.declaration.schema import Declaration, Recipient
from yinsi.declaration.view import taxonomy_of
from yinsi.lifecycle.deidentify import DeidentificationProfile, apply_profile
from yinsi.taxonomy import LegalBasis, RecipientKind
from yinsi.taxonomy.formats import Format, format_of

__all__ = [
    "EntrustmentEnd",
    "EntrustmentEndStatus",
    "NotEntrusted",
    "Provision",
    "ProvisionDecision",
    "ProvisionReason",
    "UnknownRecipient",
    "default_profile",
    "deidentify_record",
    "end_entrustment",
    "provide",
    "recipient_of",
]

UNSPECIFIED = "unspecified_pi"
"""The element a declaration uses when its source names no kinds ("您的个人信息")."""


class ProvisionReason(StrEnum):
    """Machine-readable reasons, in the style of :class:`yinsi.consent.Reason`."""

    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"  # rendered as ``legal_basis:<basis>``
    ENTRUSTED = "entrusted"
    NOT_DECLARED = "not_declared"
    PUBLIC_DISCLOSURE_NOT_DECLARED = "public_disclosure_not_declared"
    CROSS_BORDER_NOT_DECLARED = "cross_border_not_declared"
    RESTRICTED = "restricted"
    SEPARATE_CONSENT_REQUIRED = "separate_consent_required"
    CONSENT_WITHDRAWN = "consent_withdrawn"


_MESSAGES_ZH: dict[str, str] = {
    ProvisionReason.NOT_DECLARED: "隐私政策未声明向该接收方提供这些信息或用于该目的",
    ProvisionReason.PUBLIC_DISCLOSURE_NOT_DECLARED: "隐私政策未声明公开披露，不得公开",
    ProvisionReason.CROSS_BORDER_NOT_DECLARED: "隐私政策未声明向境外提供，不得出境",
    ProvisionReason.RESTRICTED: "用户已要求限制处理相关个人信息",
    ProvisionReason.SEPARATE_CONSENT_REQUIRED: "需要取得用户的单独同意",
    ProvisionReason.CONSENT_WITHDRAWN: "用户已撤回单独同意",
}


@dataclass(frozen=True, slots=True)
class ProvisionDecision:
    """Whether ``elements`` may go to ``recipient`` for ``purpose``, and on which basis."""

    allowed: bool
    reason: str
    """A :class:`ProvisionReason` value, or ``legal_basis:<basis>``."""
    recipient: str
    elements: tuple[str, ...]
    purpose: str
    consent_id: str | None = None
    """The consent item relied on (allowed) or missing (refused)."""
    missing: tuple[str, ...] = ()
    """What is not declared: ``recipient:<id>``, ``purpose:<id>``, ``element:<id>``."""
    de_identified: str = "no"
    """The recipient's declared de-identification: ``no``, ``where_possible``, ``always``."""
    profile: DeidentificationProfile | None = None
    """Applied to every record before it leaves when ``de_identified`` is ``always``."""
    cross_border: bool = False
    public: bool = False

    @property
    def basis(self) -> str:
        """What the ledger records as the basis of an allowed provision."""
        return self.reason

    @property
    def message_zh(self) -> str:
        """What staff or the user are told when the provision is refused."""
        if self.allowed:
            return "允许提供"
        text = _MESSAGES_ZH.get(self.reason, self.reason)
        if self.missing:
            text += "：" + "、".join(self.missing)
        return text


class UnknownRecipient(LookupError):
    def __init__(self, recipient: str, declared: Sequence[str]) -> None:
        super().__init__(
            f"recipient {recipient!r} is not declared; declared recipients: "
            f"{', '.join(declared) or 'none'} — add it under `recipients` and publish again"
        )
        self.recipient = recipient


class NotEntrusted(ValueError):
    def __init__(self, recipient: Recipient) -> None:
        super().__init__(
            f"recipient {recipient.id!r} is a {recipient.kind.value}, not an "
            "entrusted_processor: only an entrustment ends with a deletion instruction (PIPL "
            "Art. 21); ask the recipient to delete under your agreement instead"
        )
        self.recipient = recipient.id


def recipient_of(declaration: Declaration, recipient_id: str) -> Recipient:
    """The declared recipient ``recipient_id``; raises :class:`UnknownRecipient`."""
    for r in declaration.recipients:
        if r.id == recipient_id:
            return r
    raise UnknownRecipient(recipient_id, [r.id for r in declaration.recipients])


def is_cross_border(recipient: Recipient) -> bool:
    return recipient.kind is RecipientKind.CROSS_BORDER or recipient.location == "abroad"


def _undeclared(recipient: Recipient, elements: Sequence[str], purpose: str) -> list[str]:
    missing = [] if purpose in recipient.purposes else [f"purpose:{purpose}"]
    # "Your personal information" without kinds covers any element only where the law,
    # not the user's consent, fixes what is provided (a lawful request of a state organ).
    statutory_any = (
        UNSPECIFIED in recipient.elements and recipient.legal_basis is not LegalBasis.CONSENT
    )
    if not statutory_any:
        missing += [f"element:{e}" for e in elements if e not in recipient.elements]
    return missing


def provide(
    declaration: Declaration,
    state: ConsentState,
    *,
    recipient: str,
    elements: Sequence[str],
    purpose: str,
    cross_border: bool = False,
    public: bool = False,
) -> ProvisionDecision:
    """The decision for one provision (see the module docstring for the order of checks).

    ``state`` is the subject's consent state; an unknown subject is the empty state. An
    undeclared recipient is refused ``not_declared`` (never an exception).
    """
    wanted = tuple(dict.fromkeys(elements))

    def refuse(
        reason: str, missing: tuple[str, ...] = (), consent_id: str | None = None
    ) -> ProvisionDecision:
        return ProvisionDecision(
            False,
            reason,
            recipient,
            wanted,
            purpose,
            consent_id=consent_id,
            missing=missing,
            cross_border=cross_border,
            public=public,
        )

    found = next((r for r in declaration.recipients if r.id == recipient), None)
    if found is None:
        return refuse(ProvisionReason.NOT_DECLARED.value, missing=(f"recipient:{recipient}",))
    missing = _undeclared(found, wanted, purpose)
    if missing:
        return refuse(ProvisionReason.NOT_DECLARED.value, missing=tuple(missing))
    is_public = public or found.kind is RecipientKind.PUBLIC_DISCLOSURE
    abroad = cross_border or is_cross_border(found)
    if public and found.kind is not RecipientKind.PUBLIC_DISCLOSURE:
        return refuse(ProvisionReason.PUBLIC_DISCLOSURE_NOT_DECLARED.value)
    if cross_border and not is_cross_border(found):
        return refuse(ProvisionReason.CROSS_BORDER_NOT_DECLARED.value)
    statutory = found.legal_basis is not LegalBasis.CONSENT
    restricted = [e for e in wanted if e in state.restricted or ALL_ELEMENTS in state.restricted]
    if restricted and not statutory:
        return refuse(ProvisionReason.RESTRICTED.value, missing=tuple(restricted))

    def allow(reason: str) -> ProvisionDecision:
        return ProvisionDecision(
            True,
            reason,
            recipient,
            wanted,
            purpose,
            consent_id=found.consent if reason == ProvisionReason.CONSENT else None,
            de_identified=found.de_identified,
            profile=default_profile(declaration, found)
            if found.de_identified == "always"
            else None,
            cross_border=abroad,
            public=is_public,
        )

    special = is_public or abroad
    if statutory and not special:
        return allow(f"{ProvisionReason.LEGAL_BASIS.value}:{found.legal_basis.value}")
    if found.kind is RecipientKind.ENTRUSTED_PROCESSOR and found.consent is None and not special:
        return allow(ProvisionReason.ENTRUSTED.value)
    if found.consent is None:
        return refuse(ProvisionReason.SEPARATE_CONSENT_REQUIRED.value)
    if found.consent in state.granted:
        return allow(ProvisionReason.CONSENT.value)
    if found.consent in state.withdrawn:
        return refuse(ProvisionReason.CONSENT_WITHDRAWN.value, consent_id=found.consent)
    return refuse(ProvisionReason.SEPARATE_CONSENT_REQUIRED.value, consent_id=found.consent)


# ------------------------------------------------------------------ de-identification

_BY_FORMAT: Mapping[Format, Strategy] = {
    Format.PHONE_CN: Strategy.MASK,
    Format.ID_NUMBER: Strategy.MASK,
    Format.BANK_CARD: Strategy.MASK,
    Format.EMAIL: Strategy.MASK,
    Format.NAME_CN: Strategy.MASK,
    Format.DATE: Strategy.GENERALISE,
    Format.ADDRESS: Strategy.GENERALISE,
}


def default_profile(declaration: Declaration, recipient: Recipient) -> DeidentificationProfile:
    """The profile of a recipient declared ``de_identified: always``.

    Identifiers (phone, ID number, bank card, e-mail, name) are masked, dates and
    addresses generalised (year, province), every other element is dropped unless it is
    a plain record (text, number) that identifies nobody alone: those are kept. Sensitive
    elements without a format (face, ID photo, …) are always dropped.
    """
    taxonomy = taxonomy_of(declaration)
    strategies: dict[str, Strategy] = {}
    keep: set[str] = set()
    for element in recipient.elements:
        fmt = format_of(element)
        if fmt in _BY_FORMAT:
            strategies[element] = _BY_FORMAT[fmt]
        elif taxonomy.is_sensitive(element):
            strategies[element] = Strategy.DELETE
        else:
            keep.add(element)
    return DeidentificationProfile(recipient.id, strategies, frozenset(keep))


def deidentify_record(
    decision: ProvisionDecision, record: Mapping[str, object], *, key: bytes | None = None
) -> dict[str, object]:
    """``record`` (element id → value) as it may leave under an allowed ``decision``.

    Fields outside the decision's elements are refused (they were not decided on); with a
    profile, :func:`~yinsi.lifecycle.deidentify.apply_profile` transforms the rest.
    """
    if not decision.allowed:
        raise ValueError(
            f"the provision to {decision.recipient!r} was refused ({decision.reason}); "
            "nothing may leave"
        )
    extra = sorted(set(record) - set(decision.elements))
    if extra:
        raise ValueError(
            f"the record holds {', '.join(extra)}, which the decision for "
            f"{decision.recipient!r} did not cover; decide on every element it carries"
        )
    if decision.profile is None:
        return dict(record)
    return apply_profile(decision.profile, record, key=key)


# ------------------------------------------------------------------ entrustment end


@dataclass(frozen=True, slots=True)
class EntrustmentEnd:
    """The deletion instruction owed to an entrusted processor when the entrustment ends."""

    recipient: str
    name: str
    elements: tuple[str, ...]
    idempotency_key: str
    text_zh: str


def end_entrustment(recipient: Recipient, *, app_id: str = "") -> EntrustmentEnd:
    """The instruction to delete (or return) everything entrusted to ``recipient`` (X21).

    Raises :class:`NotEntrusted` for a recipient that is not an entrusted processor.
    """
    if recipient.kind is not RecipientKind.ENTRUSTED_PROCESSOR:
        raise NotEntrusted(recipient)
    elements = tuple(recipient.elements)
    return EntrustmentEnd(
        recipient=recipient.id,
        name=recipient.name,
        elements=elements,
        idempotency_key=f"entrustment-end:{app_id}:{recipient.id}",
        text_zh=(
            f"委托处理关系已终止。请{recipient.name}依照《个人信息保护法》第二十一条及双方协议，"
            "删除（或返还）受托处理的全部个人信息，不得保留，并回复删除确认编号。"
        ),
    )


@dataclass(frozen=True, slots=True)
class EntrustmentEndStatus:
    """Where a deletion instruction to an entrusted processor stands (X21)."""

    app_id: str
    recipient: str
    status: str
    """``sent`` (waiting for the processor's confirmation), ``confirmed`` or ``failed``."""
    instructed_at: datetime
    actor: str
    dataset: str | None = None
    """The processor's dataset of the data map the instruction went through."""
    subjects: int = 0
    """Subjects whose records the instruction named (from the provision ledger)."""
    affected: int = 0
    confirmation: str | None = None
    confirmed_at: datetime | None = None
    error: str | None = None


# ------------------------------------------------------------------ the provision ledger


@dataclass(frozen=True, slots=True)
class Provision:
    """One provision as the ledger keeps it: who received what, when, on which basis.

    Never a PI value: element ids, the purpose, the basis and the consent item relied on.
    """

    app_id: str
    subject_id: str
    recipient: str
    elements: tuple[str, ...]
    purpose: str
    basis: str
    """The allowed decision's reason: ``consent``, ``entrusted`` or ``legal_basis:<basis>``."""
    at: datetime
    actor: str
    consent_id: str | None = None
    de_identified: str = "no"
    policy_version: str | None = None
    id: int | None = None
    """Assigned by the ledger."""

    @classmethod
    def of(
        cls,
        decision: ProvisionDecision,
        *,
        app_id: str,
        subject_id: str,
        at: datetime,
        actor: str,
        policy_version: str | None = None,
    ) -> Provision:
        """The ledger entry of an allowed decision; a refused one is never recorded."""
        if not decision.allowed:
            raise ValueError(
                f"the provision to {decision.recipient!r} was refused ({decision.reason}); "
                "only provisions that happened are recorded"
            )
        return cls(
            app_id=app_id,
            subject_id=subject_id,
            recipient=decision.recipient,
            elements=decision.elements,
            purpose=decision.purpose,
            basis=decision.basis,
            at=at,
            actor=actor,
            consent_id=decision.consent_id,
            de_identified=decision.de_identified,
            policy_version=policy_version,
        )
