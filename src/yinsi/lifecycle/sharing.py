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

This module is the gate; the decision and ledger entry live in :mod:`.provisions`, the
de-identification on the way out in :mod:`.sharing_profiles`, the entrustment end in
:mod:`.entrustment`. Every name of ``__all__`` is importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from yinsi.consent import ALL_ELEMENTS, ConsentState
from yinsi.declaration.schema import Declaration, Recipient
from yinsi.lifecycle.entrustment import (
    EntrustmentEnd,
    EntrustmentEndStatus,
    NotEntrusted,
    end_entrustment,
)
from yinsi.lifecycle.provisions import Provision, ProvisionDecision, ProvisionReason
from yinsi.lifecycle.sharing_profiles import default_profile, deidentify_record
from yinsi.taxonomy import LegalBasis, RecipientKind

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


class UnknownRecipient(LookupError):
    def __init__(self, recipient: str, declared: Sequence[str]) -> None:
        super().__init__(
            f"recipient {recipient!r} is not declared; declared recipients: "
            f"{', '.join(declared) or 'none'} — add it under `recipients` and publish again"
        )
        self.recipient = recipient


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
