"""The SDK manifest (W12): per SDK, may the app initialise it for this subject now, and why.

The mobile app asks for the manifest at launch and after every consent change, and
initialises only the SDKs marked ``may_initialise``; an element gated apart
(``Sdk.element_consents``, e.g. precise location under the location consent) is passed to
an SDK only when its gate says ``may_receive``. Nothing here is cached per subject: the
manifest is computed from the subject's current consent state on every call, so it
changes the moment a grant or a withdrawal is recorded.

The decisions are those of :func:`yinsi.consent.may_call_sdk` and
:func:`yinsi.consent.sdk_manifest`, under the policy version the subject is decided by
(:meth:`yinsi.consent.RuleBook.rules_for`, X02/W19).

:func:`check_permission_events` runs the permission telemetry check
(:mod:`yinsi.lifecycle.permissions`, W10, W12) against the published declaration, each
use decided on the subject's consent ledger as it stood at the use's time.

This module sits beside :class:`~yinsi.Engine` (service layer), reading through its public
methods only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yinsi.consent import (
    ConsentState,
    Decision,
    Reason,
    RuleBook,
    Rules,
    compile_rules,
    may_call_sdk,
)
from yinsi.consent import sdk_manifest as receivable
from yinsi.declaration import Declaration
from yinsi.declaration.view import sdk_gates
from yinsi.lifecycle.permissions import UseEvent, Violation, check, states_from_ledger
from yinsi.services.consent import Engine

__all__ = [
    "ElementGate",
    "SdkEntry",
    "check_permission_events",
    "explain",
    "manifest_of",
    "rules_of",
    "sdk_manifest",
]

_EXPLANATIONS: dict[str, str] = {
    Reason.CONSENT.value: "用户已同意",
    Reason.NO_CONSENT.value: "用户尚未同意",
    Reason.CONSENT_WITHDRAWN.value: "用户已撤回同意",
    Reason.POLICY_NOT_ACCEPTED.value: "用户尚未同意隐私政策",
    Reason.SEPARATE_CONSENT_REQUIRED.value: "需取得用户的单独同意",
}


def explain(decision: Decision) -> str:
    """A Chinese sentence for the app's settings page: may the SDK run, and why."""
    reason = decision.reason
    if reason.startswith(f"{Reason.LEGAL_BASIS.value}:"):
        why = f"无需同意（合法性基础：{reason.partition(':')[2]}）"
    else:
        why = _EXPLANATIONS.get(reason, reason)
    items = f"（{'、'.join(decision.consent_ids)}）" if decision.consent_ids else ""
    return f"{'可以' if decision.allowed else '不得'}初始化：{why}{items}"


@dataclass(frozen=True, slots=True)
class ElementGate:
    """One element an SDK receives, and whether it may receive it now."""

    element: str
    consent_ids: tuple[str, ...]
    """Every consent that must be granted first: the element's own gate, then the SDK's."""
    may_receive: bool
    gated_apart: bool
    """The element has its own gate (``element_consents``), on top of the SDK's consent."""


@dataclass(frozen=True, slots=True)
class SdkEntry:
    """One SDK of the manifest."""

    id: str
    name: str
    provider: str
    function: str
    may_initialise: bool
    reason: str
    """The decision's reason (``consent``, ``no_consent``, ``legal_basis:<basis>``, …)."""
    explanation: str
    """The same in Chinese, for the app to show."""
    consent_ids: tuple[str, ...]
    """The consents the decision relied on, or that are missing."""
    elements: tuple[ElementGate, ...]
    policy_version: str | None


def manifest_of(declaration: Declaration, rules: Rules, state: ConsentState) -> list[SdkEntry]:
    """The manifest of ``state`` under ``rules`` (compiled from ``declaration``), in
    declaration order. Pure: no I/O."""
    allowed = receivable(rules, state)
    entries = []
    for sdk in declaration.sdks:
        decision = may_call_sdk(rules, state, sdk.id)
        may_receive = set(allowed.get(sdk.id, ()))
        entries.append(
            SdkEntry(
                id=sdk.id,
                name=sdk.name,
                provider=sdk.provider,
                function=sdk.function,
                may_initialise=decision.allowed,
                reason=decision.reason,
                explanation=explain(decision),
                consent_ids=decision.consent_ids,
                elements=tuple(
                    ElementGate(
                        e, tuple(sdk_gates(sdk, e)), e in may_receive, e in sdk.element_consents
                    )
                    for e in sdk.elements
                ),
                policy_version=decision.policy_version,
            )
        )
    return entries


def sdk_manifest(engine: Engine, app_id: str, subject_id: str) -> list[SdkEntry]:
    """The subject's manifest now, from the consent ledger of ``engine``'s database.

    Raises :class:`~yinsi.consent.UnknownName` for an app nobody published. An unknown
    subject gets a manifest (every SDK on consent ``policy_not_accepted``).
    """
    state = engine.state(app_id, subject_id)
    current = engine.declaration(app_id)
    versions = [current]
    accepted = state.accepted_version
    if accepted is not None and accepted != current.policy.version:
        versions.insert(0, engine.declaration(app_id, accepted))
    book = RuleBook.of(*(rules_of(d) for d in versions))
    rules, seen = book.rules_for(state)
    declaration = next(d for d in versions if d.policy.version == rules.version)
    return manifest_of(declaration, rules, seen)


def check_permission_events(
    engine: Engine, app_id: str, events: Sequence[UseEvent], *, version: str | None = None
) -> list[Violation]:
    """Violations of ``events`` against the published declaration ``version`` (None: the
    latest), each use decided on its subject's consent ledger up to the use's time."""
    declaration = engine.declaration(app_id, version)
    subjects = dict.fromkeys(e.subject_id for e in events)
    ledger = {s: engine.events(app_id, s) for s in subjects}
    return check(
        declaration,
        states_from_ledger(ledger, app_id),
        events,
        rules=rules_of(declaration),
    )


_compiled: dict[int, tuple[Declaration, Rules]] = {}
"""Rules per declaration object (the engine hands out the same object for a version)."""


def rules_of(declaration: Declaration) -> Rules:
    """``compile_rules(declaration)``, compiled once per declaration object."""
    found = _compiled.get(id(declaration))
    if found is not None and found[0] is declaration:
        return found[1]
    if len(_compiled) > 256:  # engines come and go in tests; keep the cache small
        _compiled.clear()
    rules = compile_rules(declaration)
    _compiled[id(declaration)] = (declaration, rules)
    return rules
