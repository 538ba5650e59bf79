"""Sensitive PI and the consents that must be asked separately (PIPL Arts. 28-30, X05).

For each sensitive element the policy states where it is used, why (necessity), the
impact on the person and which separate consent covers it; each separate consent is
listed with what refusing or withdrawing it does, as far as the declaration says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from yinsi.declaration.schema import ConsentItem
from yinsi.declaration.view import covering_separate_consent, sdk_gates
from yinsi.policy.lookup import Lookup
from yinsi.policy.parties import withdrawal
from yinsi.policy.phrases import IMPACT, IMPACT_DEFAULT, consent_sentence
from yinsi.policy.provenance import Statement, at, fixed, said
from yinsi.policy.statements import consent_asked, consent_kind
from yinsi.policy.text import quoted, sentence
from yinsi.taxonomy import ConsentKind, FunctionKind, LegalBasis

__all__ = [
    "ConsentView",
    "SensitiveRow",
    "consent_views",
    "other_consent_views",
    "sensitive_ids",
    "sensitive_rows",
]


@dataclass(frozen=True)
class SensitiveRow:
    element: Statement
    used_in: Statement
    purposes: Statement
    impact: Statement
    consent: Statement


@dataclass(frozen=True)
class ConsentView:
    label: Statement
    kind: Statement
    elements: Statement
    applies_to: Statement
    asked: Statement
    description: Statement
    on_refusal: Statement
    withdraw_via: Statement


@dataclass(frozen=True)
class Use:
    """One place an element is collected or provided, with where the declaration says so."""

    element: str
    where: str
    purposes: list[str]
    consents: list[str]
    basis: str
    sources: list[str] = field(default_factory=list)


def _collected(look: Lookup) -> Iterator[Use]:
    """Elements collected by scenarios, SDKs, tracking and H5 pages."""
    d = look.declaration
    for i, s in enumerate(d.scenarios):
        basis = "" if s.legal_basis is LegalBasis.CONSENT else s.legal_basis.label
        for e in s.elements:
            item = covering_separate_consent(d, s.consents, e.id)
            consents = [quoted(item.label)] if item else []
            yield Use(
                e.id,
                s.name,
                list(s.purposes),
                consents,
                basis,
                [at("scenarios", i, "elements"), at("scenarios", i, "purposes")],
            )
    for i, sdk in enumerate(d.sdks):
        for eid in sdk.elements:
            item = covering_separate_consent(d, sdk_gates(sdk, eid), eid)
            consents = [quoted(item.label)] if item else []
            yield Use(
                eid,
                f"{sdk.name}（第三方SDK）",
                list(sdk.purposes),
                consents,
                "",
                [at("sdks", i, "elements")],
            )
    for i, t in enumerate(d.tracking):
        for eid in t.elements:
            yield Use(eid, t.name, list(t.purposes), [], "", [at("tracking", i, "elements")])
    for i, h in enumerate(d.h5_links):
        for eid in h.elements:
            yield Use(eid, f"{h.name}（第三方H5页面）", [], [], "", [at("h5_links", i, "elements")])


def _listed(look: Lookup) -> Iterator[Use]:
    """Elements the PI inventory lists without a scenario (often with no purpose)."""
    for i, g in enumerate(look.declaration.pi_inventory):
        for eid in g.elements:
            sources = [at("pi_inventory", i, "elements")]
            sources += [at("pi_inventory", i, "purposes")] if g.purposes else []
            yield Use(eid, g.label, list(g.purposes), [], "", sources)


def _provided(look: Lookup) -> Iterator[Use]:
    """Elements provided to recipients (some are never said to be collected)."""
    for i, r in enumerate(look.declaration.recipients):
        item = look.consents.get(r.consent) if r.consent else None
        consents = [quoted(item.label)] if item and item.kind.is_separate else []
        basis = "" if r.legal_basis is LegalBasis.CONSENT else r.legal_basis.label
        for eid in r.elements:
            yield Use(
                eid,
                f"向{r.name}提供",
                list(r.purposes),
                consents,
                basis,
                [at("recipients", i, "elements")],
            )


def _relevant(look: Lookup) -> Iterator[Use]:
    """Collection uses, the PI inventory's, plus provision of elements no collection
    mentions (an inventory entry does not hide what its recipients are told)."""
    seen: set[str] = set()
    for use in _collected(look):
        seen.add(use.element)
        yield use
    yield from _listed(look)
    for use in _provided(look):
        if use.element not in seen:
            yield use


def sensitive_ids(look: Lookup) -> list[str]:
    """Sensitive elements the app collects or provides, in first-seen order."""
    return list(dict.fromkeys(u.element for u in _relevant(look) if look.is_sensitive(u.element)))


def sensitive_sources(look: Lookup) -> list[str]:
    """Where the declaration lists the sensitive elements of :func:`sensitive_ids`."""
    return [s for u in _relevant(look) if look.is_sensitive(u.element) for s in u.sources[:1]]


def sensitive_rows(look: Lookup) -> list[SensitiveRow]:
    uses: dict[str, list[Use]] = {}
    for use in _relevant(look):
        if look.is_sensitive(use.element):
            uses.setdefault(use.element, []).append(use)
    rows = []
    for eid, found in uses.items():
        sources = [s for u in found for s in u.sources]
        purposes = dict.fromkeys(p for u in found for p in u.purposes)
        consents = dict.fromkeys(c for u in found for c in u.consents)
        bases = dict.fromkeys(f"无需同意（{u.basis}）" for u in found if u.basis)
        category = look.category(eid)
        rows.append(
            SensitiveRow(
                element=Statement(look.element(eid), sources[:1]),
                used_in=said("、".join(dict.fromkeys(u.where for u in found)), *sources),
                purposes=said(look.purposes(purposes), *sources),
                impact=fixed(IMPACT.get(category, IMPACT_DEFAULT), f"phrases.impact.{category}"),
                consent=said("；".join([*consents, *bases]), *sources, kind="commitment"),
            )
        )
    return rows


def _gated(item: ConsentItem, look: Lookup) -> tuple[list[str], list[str], list[str]]:
    """What a consent gates: names, the elements it names or its recipients and SDKs
    list, and the paths that say so."""
    d = look.declaration
    names: list[str] = []
    elements: list[str] = list(item.elements)
    sources = [look.path("consents", item.id, "elements")] if item.elements else []
    for i, s in enumerate(d.scenarios):
        if item.id in s.consents:
            names.append(s.name)
            sources.append(at("scenarios", i, "consents"))
    for i, r in enumerate(d.recipients):
        if r.consent == item.id:
            names.append(f"向{r.name}提供")
            elements += [] if item.elements else r.elements
            sources.append(at("recipients", i, "consent"))
    for i, sdk in enumerate(d.sdks):
        if sdk.consent == item.id:
            names.append(f"{sdk.name}（第三方SDK）")
            elements += [] if item.elements else sdk.elements
            sources.append(at("sdks", i, "consent"))
        gated = [e for e, c in sdk.element_consents.items() if c == item.id]
        if gated and sdk.consent != item.id:
            names.append(f"{sdk.name}（第三方SDK）获取{'、'.join(look.label(e) for e in gated)}")
            sources.append(at("sdks", i, "element_consents"))
    return names, list(dict.fromkeys(elements)), sources


OTHER_KINDS = (
    ConsentKind.GENERAL,
    ConsentKind.PERMISSION_PROMPT,
    ConsentKind.DEEMED,
    ConsentKind.OPT_OUT,
    ConsentKind.GUARDIAN,
)
"""Kinds of consent listed apart from separate consent, each in its own words (a general
consent only when it has words of its own: :func:`_says_something`)."""


def _says_something(item: ConsentItem) -> bool:
    return item.kind is not ConsentKind.GENERAL or bool(
        item.description or item.on_refusal or item.withdraw_via or item.switch
    )


def _is_policy_consent(item: ConsentItem, look: Lookup) -> bool:
    """A general consent every basic scenario on consent names: the policy's own consent
    (its 适用于 would list the whole of chapter 1, so it is not said)."""
    basic = [
        s.consents
        for s in look.declaration.scenarios
        if s.function is FunctionKind.BASIC and s.legal_basis is LegalBasis.CONSENT and s.consents
    ]
    return item.kind is ConsentKind.GENERAL and bool(basic) and all(item.id in c for c in basic)


def other_consent_views(look: Lookup) -> list[ConsentView]:
    """Permission prompts, deemed consents, opt-out settings and guardian consents.

    They are never presented as 单独同意: each says how it is obtained
    (:func:`~yinsi.policy.phrases.consent_sentence`), in the declaration's words.
    """
    out = []
    for item in look.declaration.consents:
        if item.kind not in OTHER_KINDS or not _says_something(item):
            continue
        path = look.path("consents", item.id)
        names, elements, sources = _gated(item, look)
        if _is_policy_consent(item, look):
            names, elements = [], list(item.elements)
        when = consent_asked(item, look)
        how = consent_sentence(item.kind, str(when))
        out.append(
            ConsentView(
                label=said(quoted(item.label), f"{path}.label"),
                kind=consent_kind(item, look),
                elements=Statement(look.elements(elements), sources) if elements else Statement(""),
                applies_to=said("、".join(names), *sources),
                asked=fixed(
                    how,
                    f"phrases.consent_how.{item.kind.value}",
                    f"{path}.kind",
                    *when.sources,
                    kind="commitment",
                )
                if how
                else Statement(""),
                description=said(sentence(item.description), f"{path}.description"),
                on_refusal=said(sentence(item.on_refusal), f"{path}.on_refusal", kind="commitment"),
                withdraw_via=withdrawal(item, path),
            )
        )
    return out


def consent_views(look: Lookup) -> list[ConsentView]:
    out = []
    for item in look.declaration.consents:
        if not item.kind.is_separate:
            continue
        path = look.path("consents", item.id)
        names, elements, sources = _gated(item, look)
        out.append(
            ConsentView(
                label=said(quoted(item.label), f"{path}.label"),
                kind=consent_kind(item, look),
                elements=Statement(look.elements(elements), sources) if elements else Statement(""),
                applies_to=said("、".join(names), *sources),
                asked=consent_asked(item, look),
                description=said(sentence(item.description), f"{path}.description"),
                on_refusal=said(sentence(item.on_refusal), f"{path}.on_refusal", kind="commitment"),
                withdraw_via=withdrawal(item, path),
            )
        )
    return out
