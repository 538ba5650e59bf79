"""Consent ledger events, derived state and the decision engine (PIPL Arts. 13-16, 29).

The ledger, decisions and errors are imported at once (plain dataclasses: the HTTP client
uses them); compiling rules from a declaration (:mod:`.rules`, which loads the pydantic
schema) and the age checks (the region tables) on first use (:mod:`yinsi._lazy`).
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

# eager: `decide` is also the name of its submodule (see yinsi._lazy)
from yinsi.consent.decide import RuleBook, decide, may_call_sdk, sdk_manifest, single_use
from yinsi.consent.decision import Decision, DecisionRequest, Reason
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

if TYPE_CHECKING:
    from yinsi.consent.age import (
        IdNumber,
        age_on,
        check_registration,
        is_minor,
        is_under_14,
        parse_id_number,
    )
    from yinsi.consent.rules import Rule, Rules, compile_rules, policy_consent_items
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "age": (
                "IdNumber",
                "age_on",
                "check_registration",
                "is_minor",
                "is_under_14",
                "parse_id_number",
            ),
            "rules": ("Rule", "Rules", "compile_rules", "policy_consent_items"),
        },
    )

__all__ = [
    "ALL_ELEMENTS",
    "Channel",
    "ConsentError",
    "ConsentEvent",
    "ConsentState",
    "Decision",
    "DecisionRequest",
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
    "policy_consent_items",
    "replay",
    "sdk_manifest",
    "single_use",
]
