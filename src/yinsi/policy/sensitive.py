"""Sensitive PI and the consents that must be asked separately (PIPL Arts. 28-30, X05).

For each sensitive element the policy states where it is used, why (necessity), the
impact on the person and which separate consent covers it; each separate consent is
listed with what refusing or withdrawing it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from yinsi.declaration.schema import ConsentItem
from yinsi.declaration.view import covering_separate_consent, sdk_gates
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import ASKED, IMPACT, IMPACT_DEFAULT
from yinsi.policy.text import Md, clause, quoted, sentence
from yinsi.taxonomy import LegalBasis

__all__ = ["ConsentView", "SensitiveRow", "consent_views", "sensitive_ids", "sensitive_rows"]


@dataclass(frozen=True)
class SensitiveRow:
    element: Md
    used_in: str
    purposes: str
    impact: str
    consent: str


@dataclass(frozen=True)
class ConsentView:
    label: str
    kind: str
    elements: Md
    applies_to: str
    asked: str
    description: str
    on_refusal: str
    withdraw_via: str


Use = tuple[str, str, list[str], list[str], str]
"""(element, where, purposes, consent labels, legal basis other than consent)"""


def _collected(look: Lookup) -> Iterator[Use]:
    """Elements collected by scenarios, SDKs, tracking and H5 pages."""
    d = look.declaration
    for s in d.scenarios:
        basis = "" if s.legal_basis is LegalBasis.CONSENT else s.legal_basis.label
        for e in s.elements:
            item = covering_separate_consent(d, s.consents, e.id)
            consents = [quoted(item.label)] if item else []
            yield e.id, s.name, list(s.purposes), consents, basis
    for sdk in d.sdks:
        for eid in sdk.elements:
            item = covering_separate_consent(d, sdk_gates(sdk, eid), eid)
            consents = [quoted(item.label)] if item else []
            yield eid, f"{sdk.name}（第三方SDK）", list(sdk.purposes), consents, ""
    for t in d.tracking:
        for eid in t.elements:
            yield eid, t.name, list(t.purposes), [], ""
    for h in d.h5_links:
        for eid in h.elements:
            yield eid, f"{h.name}（第三方H5页面）", [], [], ""


def _provided(look: Lookup) -> Iterator[Use]:
    """Elements provided to recipients (some are never said to be collected)."""
    for r in look.declaration.recipients:
        item = look.consents.get(r.consent) if r.consent else None
        consents = [quoted(item.label)] if item and item.kind.is_separate else []
        basis = "" if r.legal_basis is LegalBasis.CONSENT else r.legal_basis.label
        for eid in r.elements:
            yield eid, f"向{r.name}提供", list(r.purposes), consents, basis


def sensitive_ids(look: Lookup) -> list[str]:
    """Sensitive elements the app collects or provides, in first-seen order."""
    return list(dict.fromkeys(e for e, *_ in _relevant(look) if look.is_sensitive(e)))


def _relevant(look: Lookup) -> Iterator[Use]:
    """Collection uses, plus provision of elements no collection mentions."""
    seen: set[str] = set()
    for use in _collected(look):
        seen.add(use[0])
        yield use
    for use in _provided(look):
        if use[0] not in seen:
            yield use


def sensitive_rows(look: Lookup) -> list[SensitiveRow]:
    where: dict[str, dict[str, None]] = {}
    purposes: dict[str, dict[str, None]] = {}
    consents: dict[str, dict[str, None]] = {}
    bases: dict[str, dict[str, None]] = {}
    for eid, name, pids, labels, basis in _relevant(look):
        if not look.is_sensitive(eid):
            continue
        where.setdefault(eid, {})[name] = None
        purposes.setdefault(eid, {}).update(dict.fromkeys(pids))
        consents.setdefault(eid, {}).update(dict.fromkeys(labels))
        if basis:
            bases.setdefault(eid, {})[f"无需同意（{basis}）"] = None
    return [
        SensitiveRow(
            element=look.element(eid),
            used_in="、".join(names),
            purposes=look.purposes(purposes[eid]),
            impact=IMPACT.get(look.category(eid), IMPACT_DEFAULT),
            consent="；".join([*consents[eid], *bases.get(eid, {})]),
        )
        for eid, names in where.items()
    ]


def _gated(item: ConsentItem, look: Lookup) -> tuple[list[str], list[str]]:
    """What a consent gates: names, and the elements it covers when it lists none."""
    d = look.declaration
    names: list[str] = []
    elements: list[str] = list(item.elements)
    for s in d.scenarios:
        if item.id in s.consents:
            names.append(s.name)
            elements += [] if item.elements else s.element_ids
    for r in d.recipients:
        if r.consent == item.id:
            names.append(f"向{r.name}提供")
            elements += [] if item.elements else r.elements
    for sdk in d.sdks:
        if sdk.consent == item.id:
            names.append(f"{sdk.name}（第三方SDK）")
            elements += [] if item.elements else sdk.elements
        gated = [e for e, c in sdk.element_consents.items() if c == item.id]
        if gated and sdk.consent != item.id:
            names.append(f"{sdk.name}（第三方SDK）获取{'、'.join(look.label(e) for e in gated)}")
    return names, list(dict.fromkeys(elements))


def consent_views(look: Lookup) -> list[ConsentView]:
    out = []
    for item in look.declaration.consents:
        if not item.kind.is_separate:
            continue
        names, elements = _gated(item, look)
        out.append(
            ConsentView(
                label=quoted(item.label),
                kind=item.kind.label,
                elements=look.elements(elements) if elements else Md(""),
                applies_to="、".join(names),
                asked=ASKED[item.asked],
                description=sentence(item.description),
                on_refusal=sentence(item.on_refusal),
                withdraw_via="、".join(clause(w) for w in item.withdraw_via),
            )
        )
    return out
