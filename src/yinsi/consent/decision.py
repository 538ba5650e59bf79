"""What a decision is asked (:class:`DecisionRequest`) and what it says (:class:`Decision`):
allowed or not, why, and under which policy version."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reasons. Allowed decisions carry ``consent`` or a legal basis."""

    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"  # rendered as ``legal_basis:<basis>``
    NO_CONSENT = "no_consent"
    SEPARATE_CONSENT_REQUIRED = "separate_consent_required"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    POLICY_NOT_ACCEPTED = "policy_not_accepted"
    MINOR = "minor"
    RESTRICTED = "restricted"
    NOT_DECLARED = "not_declared"
    BROWSE_ONLY = "browse_only"
    """Allowed: a scenario of the browse-only (guest) mode a declining user keeps (X02)."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    """A :class:`Reason` value, or ``legal_basis:<basis>`` (e.g. ``legal_basis:contract``)."""
    policy_version: str | None
    consent_ids: tuple[str, ...] = ()
    """The consent items the decision relied on, or that are missing."""


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One processing step to decide, as :meth:`yinsi.Engine.decide` and the HTTP client
    take it (a plain value: the client builds it without loading the engine)."""

    element: str
    purpose: str
    scenario: str
    minor: bool = False
    restricted: bool = False
    under_14: bool = False
