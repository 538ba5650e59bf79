"""Deciding: may this PI element be processed for this purpose in this scenario?

:func:`decide` is pure and cheap: one dict look-up into compiled :class:`Rules`, then set
operations on the subject's :class:`ConsentState`. The order of the checks is the order
of the law's priorities; the first that fails is the reason:

1. not declared (names unknown → :class:`UnknownName`; known but not combined this way in
   the declaration → ``not_declared``, PIPL Arts. 14, 17: processing beyond what was told);
2. restricted → ``restricted``, except the security purposes of PIPL Art. 47 para. 2,
   allowed as ``legal_basis:other_law`` (Art. 13 (7): the law itself allows them);
3. minor → ``minor`` (X04);
4. a browse-only scenario → allowed ``browse_only`` (X02, X06);
5. a legal basis other than consent → allowed ``legal_basis:<basis>``: Art. 13 para. 2
   needs no consent for them, so neither accepting the policy nor a grant matters (X19);
6. no policy version accepted, or a newer one declined where declining stops the service
   (``policy.on_decline: stop_service``, W19) → ``policy_not_accepted``. Where declining
   leaves browse-only or the previous version (X02), processing continues under the
   accepted version: ``Decision.policy_version`` is always ``state.accepted_version``;
7. a required consent withdrawn → ``consent_withdrawn`` (Art. 15; X29, W15: only the
   triples that require that item stop; earlier events and decisions are untouched);
8. a sensitive element (or any element of a child under 14, Art. 28) without its
   covering separate consent → ``separate_consent_required`` (Art. 29; X05);
9. any other consent missing → ``no_consent``; else allowed ``consent``.

The policy's own consent item (e.g. ``privacy_policy``) is an ordinary consent item: the
caller records its grant next to the ``policy_accepted`` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from yinsi.consent.decision import Decision, Reason
from yinsi.consent.errors import UnknownName
from yinsi.consent.ledger import ALL_ELEMENTS, ConsentState
from yinsi.taxonomy import LegalBasis

if TYPE_CHECKING:  # compiling rules needs the declaration schema; deciding does not
    from yinsi.consent.rules import Rules

_NOT_DECLARED = Reason.NOT_DECLARED.value
_RESTRICTED = Reason.RESTRICTED.value
_MINOR = Reason.MINOR.value
_BROWSE_ONLY = Reason.BROWSE_ONLY.value
_POLICY_NOT_ACCEPTED = Reason.POLICY_NOT_ACCEPTED.value
_WITHDRAWN = Reason.CONSENT_WITHDRAWN.value
_SEPARATE = Reason.SEPARATE_CONSENT_REQUIRED.value
_NO_CONSENT = Reason.NO_CONSENT.value
_CONSENT = Reason.CONSENT.value
_RESTRICTION_BASIS = f"{Reason.LEGAL_BASIS.value}:{LegalBasis.OTHER_LAW.value}"


def decide(
    rules: Rules,
    state: ConsentState,
    *,
    element: str,
    purpose: str,
    scenario: str,
    restricted: bool = False,
    minor: bool = False,
    under_14: bool = False,
) -> Decision:
    """The decision for one processing step (see the module docstring for the order).

    ``rules`` must be those of the version the subject accepted (X02, W19);
    :meth:`RuleBook.decide` picks them. An unknown subject is an empty state: the answer
    is ``policy_not_accepted``, never an exception.
    """
    return _decide(rules, rules, state, scenario, element, purpose, restricted, minor, under_14)


def _decide(
    rules: Rules,
    names: Rules,
    state: ConsentState,
    scenario: str,
    element: str,
    purpose: str,
    restricted: bool,
    minor: bool,
    under_14: bool,
) -> Decision:
    version = state.accepted_version
    rule = rules.triples.get((scenario, element, purpose))
    if rule is None:
        names.check_names(scenario, element, purpose)
        return Decision(False, _NOT_DECLARED, version)
    if restricted or (
        state.restricted and (element in state.restricted or ALL_ELEMENTS in state.restricted)
    ):
        if purpose in rules.restricted_purposes:
            return Decision(True, _RESTRICTION_BASIS, version)
        return Decision(False, _RESTRICTED, version)
    if minor:
        return Decision(False, _MINOR, version)
    if rule.browse_only:
        return Decision(True, _BROWSE_ONLY, version)
    if rule.basis is not LegalBasis.CONSENT:
        return Decision(True, rule.basis_reason, version)
    if version is None or (state.declined_version is not None and rules.stops_on_decline):
        return Decision(False, _POLICY_NOT_ACCEPTED, version)
    return _by_consent(
        rule.required, rule.order, state, rule.needs_separate or under_14, rule.separate, version
    )


def _by_consent(
    required: frozenset[str],
    order: tuple[str, ...],
    state: ConsentState,
    needs_separate: bool,
    separate: frozenset[str],
    version: str | None,
) -> Decision:
    missing = required - state.granted
    if missing:
        gone = missing & state.withdrawn
        if gone:
            return Decision(False, _WITHDRAWN, version, tuple(c for c in order if c in gone))
    if needs_separate:
        if not separate:  # the declaration names no covering separate consent at all
            return Decision(False, _SEPARATE, version)
        lacking = separate & missing
        if lacking:
            return Decision(False, _SEPARATE, version, tuple(c for c in order if c in lacking))
    if missing:
        return Decision(False, _NO_CONSENT, version, tuple(c for c in order if c in missing))
    return Decision(True, _CONSENT, version, order)


def single_use(rules: Rules, decision: Decision) -> tuple[str, ...]:
    """The single-use consents (``asked: each_time``, X15) an allowed decision used up.

    After the processing, append one ``consent_used`` event per id: the grant no longer
    counts and the next survey asks again (the item is not marked withdrawn).
    """
    if not decision.allowed:
        return ()
    return tuple(c for c in decision.consent_ids if c in rules.each_time)


# ---------------------------------------------------------------- SDK gates (W12)


def may_call_sdk(rules: Rules, state: ConsentState, sdk_id: str) -> Decision:
    """Whether the app may call (initialise) an SDK: never without its consent (W12)."""
    sdk = rules.sdk(sdk_id)
    version = state.accepted_version
    if sdk.basis is LegalBasis.CONSENT and (
        version is None or (state.declined_version is not None and rules.stops_on_decline)
    ):
        return Decision(False, _POLICY_NOT_ACCEPTED, version)
    if sdk.basis is not LegalBasis.CONSENT and not sdk.call:
        return Decision(True, f"{Reason.LEGAL_BASIS.value}:{sdk.basis.value}", version)
    if sdk.ungated:
        return Decision(False, _NO_CONSENT, version)
    return _by_consent(frozenset(sdk.call), sdk.call, state, False, frozenset(), version)


def sdk_manifest(rules: Rules, state: ConsentState) -> dict[str, tuple[str, ...]]:
    """SDK id → the elements it may receive now, for every SDK the app may call (W12).

    An element gated by ``element_consents`` (e.g. precise location) is left out until
    that consent is granted too; a sensitive element no gating separate consent names
    (:attr:`~yinsi.consent.rules.SdkRule.blocked`, PIPL Art. 29) is always left out.
    """
    granted = state.granted
    return {
        sdk_id: tuple(
            e
            for e, gates in sdk.elements.items()
            if e not in sdk.blocked and all(g in granted for g in gates)
        )
        for sdk_id, sdk in rules.sdks.items()
        if may_call_sdk(rules, state, sdk_id).allowed
    }


# ---------------------------------------------------------------- several policy versions


class Step(Protocol):
    """One processing step to decide (:class:`~yinsi.consent.decision.DecisionRequest` is one)."""

    @property
    def element(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def scenario(self) -> str: ...
    @property
    def restricted(self) -> bool: ...
    @property
    def minor(self) -> bool: ...
    @property
    def under_14(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The rules of every published version of one app; decides under the accepted one.

    X02/W19: a new version applies to a subject only once that subject accepts it, so a
    subject who accepted 1.3 is decided under 1.3's rules even when 1.4 is current. A
    version with ``effective_on_acceptance: false`` applies to everyone from publication.
    """

    versions: Mapping[str, Rules]
    current: Rules

    @classmethod
    def of(cls, *rules: Rules) -> RuleBook:
        """Versions in publication order; the last is current."""
        if not rules:
            raise ValueError("a rule book needs at least one policy version")
        apps = {r.app_id for r in rules}
        if len(apps) > 1:
            raise ValueError(f"a rule book holds one app's versions, got {sorted(apps)}")
        return cls({r.version: r for r in rules}, rules[-1])

    def rules_for(self, state: ConsentState) -> tuple[Rules, ConsentState]:
        """The rules ``state`` is decided under, and the state as those rules see it."""
        accepted = state.accepted_version
        current = self.current
        if accepted is None or accepted == current.version:
            return current, state
        if not current.effective_on_acceptance:
            return current, replace(state, accepted_version=current.version)
        rules = self.versions.get(accepted)
        if rules is None:
            raise UnknownName("policy version", accepted, self.versions)
        return rules, state

    def decide(
        self,
        state: ConsentState,
        *,
        element: str,
        purpose: str,
        scenario: str,
        restricted: bool = False,
        minor: bool = False,
        under_14: bool = False,
    ) -> Decision:
        """:func:`decide` under the accepted version; names are checked against the current."""
        rules, seen = self.rules_for(state)
        return _decide(
            rules, self.current, seen, scenario, element, purpose, restricted, minor, under_14
        )

    def decide_all(self, state: ConsentState, steps: Iterable[Step]) -> list[Decision]:
        """:meth:`decide` for each step, choosing the rules once for the batch."""
        rules, seen = self.rules_for(state)
        names = self.current
        return [
            _decide(
                rules,
                names,
                seen,
                s.scenario,
                s.element,
                s.purpose,
                s.restricted,
                s.minor,
                s.under_14,
            )
            for s in steps
        ]
