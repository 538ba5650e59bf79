"""A provision of PI to a recipient: the gate's decision, and the ledger's record of it.

:class:`ProvisionDecision` is what :func:`yinsi.lifecycle.sharing.provide` answers (with a
:class:`ProvisionReason`); :class:`Provision` is what the provision ledger keeps once an
allowed provision happened (PIPL Art. 23; X27, X31: an access request shows them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from yinsi.lifecycle.deidentify import DeidentificationProfile


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
