"""Decision rules compiled once from a declaration, so a decision is a few dict look-ups.

For every declared (scenario, element, purpose) a :class:`Rule` holds the legal basis
(PIPL Art. 13) and the consent items required: the scenario's consents that gate the
element (a consent with no ``elements`` gates all of its scenarios' elements). A
sensitive element (Art. 28) also needs a *separate* consent that names it (Art. 29;
:func:`yinsi.declaration.view.covers_separately`: a separate consent listing no
elements gates but covers nothing); if the declaration names none, nothing can satisfy
the rule (a waived ``separate-consent`` gap stays a gap: processing waits until the
platform asks that consent).

Choices documented here because they are not obvious:

- **Browse-only scenarios** (X02, X06): when the declaration's ``policy.on_decline`` is
  ``browse_only``, every basic-function scenario on consent that names no consent item
  (小赢卡贷 ``guest_browsing``) is what a user who has accepted nothing may still use.
  ``compile_rules(browse_only=...)`` overrides the derivation.
- **Restricted processing** (X28, PIPL Art. 47 para. 2, 网络数据安全管理条例 Art. 24): only
  storage and security go on. Storage is not a decision (it is what retention does), so
  the allowed set holds the security purposes; ``restricted_purposes`` overrides it.
- **Single-use consents** (X15): items with ``asked: each_time`` are in
  :attr:`Rules.each_time`; a grant of one allows one use (see ``engine.single_use``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from yinsi.consent.errors import UnknownName
from yinsi.declaration.schema import ConsentItem, Declaration, Sdk
from yinsi.declaration.view import (
    consents_by_id,
    covers_separately,
    sdk_gates,
    taxonomy_of,
)
from yinsi.taxonomy import ConsentKind, DeclineMode, FunctionKind, LegalBasis, Taxonomy

RESTRICTED_PURPOSES: frozenset[str] = frozenset({"account_security", "security_monitoring"})
"""Purposes still allowed while processing is restricted (PIPL Art. 47 para. 2: security)."""

Key = tuple[str, str, str]
"""(scenario id, element id, purpose id)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What one (scenario, element, purpose) needs."""

    basis: LegalBasis
    basis_reason: str
    """``legal_basis:<basis>`` for a basis other than consent, else ``consent``."""
    required: frozenset[str]
    """Every consent item that must be granted (scenario consents covering the element)."""
    order: tuple[str, ...]
    """``required`` in declaration order, for stable ``Decision.consent_ids``."""
    needs_separate: bool
    """The element needs a separate consent (PIPL Art. 29): sensitive, and not a transient
    credential such as a one-time SMS code (``Taxonomy.needs_separate_consent``)."""
    separate: frozenset[str]
    """The covering separate/written consents; empty for a sensitive element = unsatisfiable."""
    browse_only: bool


@dataclass(frozen=True, slots=True)
class SdkRule:
    """W12: the consents gating a call to an SDK, and each element it may receive."""

    basis: LegalBasis
    call: tuple[str, ...]
    elements: Mapping[str, tuple[str, ...]]
    """Element -> every consent needed before the SDK receives it (``sdk_gates``)."""
    ungated: bool
    """On consent but naming no consent item while receiving PI: never callable."""
    blocked: frozenset[str] = frozenset()
    """Sensitive elements no gating separate consent names (PIPL Art. 29): never received,
    as a sensitive element of a scenario without one is never processed (a waived gap
    stays a gap)."""


@dataclass(frozen=True, slots=True)
class Rules:
    """The compiled rules of one policy version. Build with :func:`compile_rules`."""

    app_id: str
    version: str
    on_decline: DeclineMode
    effective_on_acceptance: bool
    minimum_age: int
    triples: Mapping[Key, Rule]
    sdks: Mapping[str, SdkRule]
    restricted_purposes: frozenset[str]
    each_time: frozenset[str]
    scenarios: frozenset[str]
    elements: frozenset[str]
    purposes: frozenset[str]

    @property
    def stops_on_decline(self) -> bool:
        """W19 (我来数科 （七）2): declining a new version means stopping the service."""
        return self.on_decline is DeclineMode.STOP_SERVICE

    def check_names(self, scenario: str, element: str, purpose: str) -> None:
        """Raise :class:`UnknownName` for the first name these rules do not know."""
        for kind, name, known in (
            ("scenario", scenario, self.scenarios),
            ("element", element, self.elements),
            ("purpose", purpose, self.purposes),
        ):
            if name not in known:
                raise UnknownName(kind, name, known)

    def sdk(self, sdk_id: str) -> SdkRule:
        rule = self.sdks.get(sdk_id)
        if rule is None:
            raise UnknownName("SDK", sdk_id, self.sdks)
        return rule


def compile_rules(
    declaration: Declaration,
    *,
    restricted_purposes: Iterable[str] = RESTRICTED_PURPOSES,
    browse_only: Iterable[str] | None = None,
) -> Rules:
    """Precompute every decision input of ``declaration`` (see the module docstring)."""
    d = declaration
    tax = taxonomy_of(d)
    by_id = consents_by_id(d)
    scenario_ids = {s.id for s in d.scenarios}
    for pid in restricted_purposes:
        if pid not in tax.purposes:
            raise UnknownName("purpose", pid, tax.purposes)
    if browse_only is None:
        browse = {
            s.id
            for s in d.scenarios
            if (d.policy.on_decline or DeclineMode.BROWSE_ONLY) is DeclineMode.BROWSE_ONLY
            and s.function is FunctionKind.BASIC
            and s.legal_basis is LegalBasis.CONSENT
            and not s.consents
        }
    else:
        browse = set(browse_only)
        for sid in browse:
            if sid not in scenario_ids:
                raise UnknownName("scenario", sid, scenario_ids)

    triples: dict[Key, Rule] = {}
    for s in d.scenarios:
        for cid in s.consents:
            if cid not in by_id:
                raise UnknownName("consent item", cid, by_id)
        for element in s.element_ids:
            covering = tuple(
                c for c in s.consents if not by_id[c].elements or element in by_id[c].elements
            )
            # Every separate consent naming the element; covering_separate_consent gives the first.
            separate = frozenset(c for c in covering if covers_separately(by_id[c], element))
            basis = s.legal_basis
            rule = Rule(
                basis=basis,
                basis_reason="consent" if basis.needs_consent else f"legal_basis:{basis.value}",
                required=frozenset(covering),
                order=covering,
                needs_separate=tax.needs_separate_consent(element),
                separate=separate,
                browse_only=s.id in browse,
            )
            for purpose in s.purposes:
                triples[(s.id, element, purpose)] = rule

    sdks = {sdk.id: _sdk_rule(sdk, tax, by_id) for sdk in d.sdks}
    return Rules(
        app_id=d.app.id,
        version=d.policy.version,
        on_decline=d.policy.on_decline or DeclineMode.BROWSE_ONLY,
        effective_on_acceptance=d.policy.effective_on_acceptance,
        minimum_age=d.policy.minimum_age,
        triples=MappingProxyType(triples),
        sdks=MappingProxyType(sdks),
        restricted_purposes=frozenset(restricted_purposes),
        each_time=frozenset(c.id for c in d.consents if c.asked == "each_time"),
        scenarios=frozenset(scenario_ids),
        elements=frozenset(tax.elements),
        purposes=frozenset(tax.purposes),
    )


def _sdk_rule(sdk: Sdk, tax: Taxonomy, by_id: Mapping[str, ConsentItem]) -> SdkRule:
    """W12: what gates calling ``sdk`` and each element it receives (see :class:`SdkRule`)."""
    on_consent = sdk.legal_basis.needs_consent
    return SdkRule(
        basis=sdk.legal_basis,
        call=(sdk.consent,) if sdk.consent else (),
        elements=MappingProxyType({e: tuple(sdk_gates(sdk, e)) for e in sdk.elements}),
        ungated=on_consent and not sdk.consent and bool(sdk.elements),
        blocked=frozenset(
            e
            for e in sdk.elements
            if on_consent
            and tax.needs_separate_consent(e)
            and not any(covers_separately(by_id[c], e) for c in sdk_gates(sdk, e) if c in by_id)
        ),
    )


def policy_consent_items(declaration: Declaration) -> tuple[str, ...]:
    """The consent items accepting ``declaration``'s policy grants (see :mod:`yinsi.services.consent`).

    General items that every basic-function scenario on consent naming any consent item
    requires, in declaration order — unless the declaration says they are asked at another
    moment (``asked`` other than ``at_registration``; not stating it, as a policy that
    only says "在确认签署本政策之前", is the policy's own consent).
    """
    basic = [
        set(s.consents)
        for s in declaration.scenarios
        if s.function is FunctionKind.BASIC and s.legal_basis is LegalBasis.CONSENT and s.consents
    ]
    return tuple(
        c.id
        for c in declaration.consents
        if c.kind is ConsentKind.GENERAL
        and c.asked in (None, "at_registration")
        and basic
        and all(c.id in named for named in basic)
    )
