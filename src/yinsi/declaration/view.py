"""Derived facts about a declaration that several packages need (one place to compute them)."""

from __future__ import annotations

from yinsi.declaration.schema import ConsentItem, Declaration, Sdk
from yinsi.taxonomy import BUILTIN, Category, Element, Permission, Purpose, Taxonomy


def taxonomy_of(declaration: Declaration) -> Taxonomy:
    """The built-in taxonomy extended with the declaration's own entries."""
    ext = declaration.taxonomy
    return BUILTIN.extended(
        categories=(Category(c.id, c.label, "声明自定义") for c in ext.categories),
        elements=(
            Element(e.id, e.label, e.category, e.sensitive, e.grade, e.note) for e in ext.elements
        ),
        purposes=(Purpose(p.id, p.label) for p in ext.purposes),
        permissions=(
            Permission(p.id, p.label, tuple(p.android), tuple(p.ios), p.sensitive)
            for p in ext.permissions
        ),
    )


def collected_elements(declaration: Declaration) -> list[str]:
    """Every element any scenario collects, in first-seen order."""
    seen: dict[str, None] = {}
    for scenario in declaration.scenarios:
        for element_id in scenario.element_ids:
            seen.setdefault(element_id, None)
    return list(seen)


def consents_by_id(declaration: Declaration) -> dict[str, ConsentItem]:
    return {c.id: c for c in declaration.consents}


def sdk_gates(sdk: Sdk, element_id: str) -> list[str]:
    """The consents behind an SDK receiving ``element_id``: the element's own gate, then the SDK's.

    The SDK's ``consent`` gates calling it at all (W12); ``element_consents`` adds a gate
    for one element (e.g. precise location only under the location authorisation).
    """
    return [c for c in (sdk.element_consents.get(element_id), sdk.consent) if c]


def covers_separately(item: ConsentItem, element_id: str) -> bool:
    """Whether ``item`` is a separate (or written) consent that names ``element_id``.

    PIPL Arts. 23, 25, 29 and 39 ask for a consent given to specific processing of
    specific PI (网络数据安全管理条例 Art. 62 (7): "专门作出具体、明确的同意"), so a
    separate consent covers only the elements it lists. One that lists none still gates
    whatever names it (it must be granted first) but covers no element: a single
    separate consent cannot stand for ID numbers, card codes and biometrics alike.
    Deemed consent, permission prompts and opt-out settings cover nothing.
    """
    return item.kind.is_separate and element_id in item.elements


def covering_separate_consent(
    declaration: Declaration, consent_ids: list[str], element_id: str
) -> ConsentItem | None:
    """The first separate (or written) consent among ``consent_ids`` that names ``element_id``."""
    by_id = consents_by_id(declaration)
    for cid in consent_ids:
        item = by_id.get(cid)
        if item is not None and covers_separately(item, element_id):
            return item
    return None
