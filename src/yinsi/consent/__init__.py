"""Consent ledger events, derived state and the decision engine (PIPL Arts. 13-16, 29)."""

from yinsi.consent.age import (
    IdNumber,
    age_on,
    check_registration,
    is_minor,
    is_under_14,
    parse_id_number,
)
from yinsi.consent.decide import RuleBook, decide, may_call_sdk, sdk_manifest, single_use
from yinsi.consent.decision import Decision, Reason
from yinsi.consent.errors import ConsentError, InvalidIdNumber, NotSingleUse, UnknownName
from yinsi.consent.ledger import (
    ALL_ELEMENTS,
    Channel,
    ConsentEvent,
    ConsentState,
    EventKind,
    Evidence,
    apply,
    replay,
)
from yinsi.consent.rules import Rule, Rules, compile_rules

__all__ = [
    "ALL_ELEMENTS",
    "Channel",
    "ConsentError",
    "ConsentEvent",
    "ConsentState",
    "Decision",
    "EventKind",
    "Evidence",
    "IdNumber",
    "InvalidIdNumber",
    "NotSingleUse",
    "Reason",
    "Rule",
    "RuleBook",
    "Rules",
    "UnknownName",
    "age_on",
    "apply",
    "check_registration",
    "compile_rules",
    "decide",
    "is_minor",
    "is_under_14",
    "may_call_sdk",
    "parse_id_number",
    "replay",
    "sdk_manifest",
    "single_use",
]
