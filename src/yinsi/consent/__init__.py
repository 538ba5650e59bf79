"""Consent ledger events, derived state and the decision engine (PIPL Arts. 13-16, 29)."""

from yinsi.consent.decision import Decision, Reason
from yinsi.consent.ledger import (
    Channel,
    ConsentEvent,
    ConsentState,
    EventKind,
    Evidence,
    apply,
    replay,
)

__all__ = [
    "Channel",
    "ConsentEvent",
    "ConsentState",
    "Decision",
    "EventKind",
    "Evidence",
    "Reason",
    "apply",
    "replay",
]
