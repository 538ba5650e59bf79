"""Cross-reference rules on what the app processes: its taxonomy, consents and scenarios.

Each function is one rule family of :func:`yinsi.declaration.checks.check`, taking the
shared :class:`~yinsi.declaration.check_context.CheckContext` and yielding findings in
document order.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import ELEMENT_HINT, CheckContext, unknown
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.schema import Declaration, Scenario
from yinsi.declaration.tracking_checks import check_tracking
from yinsi.declaration.view import covering_separate_consent
from yinsi.declaration.waivers import CONSENT_REQUIRED, SEPARATE_CONSENT
from yinsi.taxonomy import BUILTIN, LegalBasis


def taxonomy_extensions(ctx: CheckContext) -> Iterator[Issue]:
    """Declared elements: a known category, and sensitivity lowered only with a reason.

    GB/T 35273-2020 Annex B and PIPL Art. 28 list what is sensitive PI; a declaration may
    treat such an element as not sensitive only by giving a ``reason`` (then a warning).
    """
    for i, e in enumerate(ctx.d.taxonomy.elements):
        path: Path = ("taxonomy", "elements", i)
        if e.category not in ctx.tax.categories:
            yield Issue(
                (*path, "category"),
                unknown(
                    "category",
                    e.category,
                    ctx.tax.categories,
                    "declare it under taxonomy.categories",
                ),
            )
        builtin = BUILTIN.elements.get(e.id)
        shown = (
            e.label
            if builtin is None or e.label == builtin.label
            else f"{e.label}（{builtin.label}）"
        )
        if builtin and builtin.sensitive and not e.sensitive:
            if not e.reason:
                yield Issue(
                    (*path, "sensitive"),
                    f"{shown} is sensitive PI under GB/T 35273-2020 Annex B and "
                    "PIPL Art. 28; to treat it as not sensitive, give a `reason`",
                )
            else:
                yield Issue(
                    (*path, "sensitive"),
                    f"{shown} is treated as not sensitive although GB/T 35273-2020 "
                    f"Annex B lists it as sensitive (reason given: {e.reason})",
                    "warning",
                )


def consent_elements(ctx: CheckContext) -> Iterator[Issue]:
    """Every element a consent item covers is declared."""
    for i, c in enumerate(ctx.d.consents):
        yield from ctx.elements(c.elements, ("consents", i, "elements"))


def scenarios(ctx: CheckContext) -> Iterator[Issue]:
    """Scenarios: declared ids, and consent behind processing on consent.

    PIPL Art. 13(1): processing on consent names the consent items; PIPL Art. 29: each
    sensitive element needs a separate consent that covers it.
    """
    for i, s in enumerate(ctx.d.scenarios):
        path: Path = ("scenarios", i)
        yield from _scenario_references(ctx, s, path)
        if s.legal_basis is LegalBasis.CONSENT:
            yield from _scenario_consents(ctx, s, path)


def _scenario_references(ctx: CheckContext, s: Scenario, path: Path) -> Iterator[Issue]:
    """Purposes, elements (each once), consents, recipients, retention and permissions."""
    tax = ctx.tax
    yield from ctx.purposes(s.purposes, (*path, "purposes"))
    seen: set[str] = set()
    for j, use in enumerate(s.elements):
        if use.id not in tax.elements:
            yield Issue(
                (*path, "elements", j), unknown("element", use.id, tax.elements, ELEMENT_HINT)
            )
        elif use.id in seen:
            yield Issue((*path, "elements", j), f"element {use.id!r} is listed twice")
        seen.add(use.id)
    for j, cid in enumerate(s.consents):
        yield from ctx.consent(cid, (*path, "consents", j))
    for j, rid in enumerate(s.recipients):
        yield from ctx.ref(
            rid, ctx.recipient_ids, "recipient", (*path, "recipients", j), "recipients"
        )
    yield from ctx.retention(s.retention, (*path, "retention"))
    for j, p in enumerate(s.permissions):
        if p.permission not in tax.permissions:
            yield Issue(
                (*path, "permissions", j, "permission"),
                unknown(
                    "permission",
                    p.permission,
                    tax.permissions,
                    "declare it under taxonomy.permissions",
                ),
            )


def _scenario_consents(ctx: CheckContext, s: Scenario, path: Path) -> Iterator[Issue]:
    """A scenario on consent names its consents, separate ones for sensitive elements."""
    if not s.consents:
        yield Issue(
            (*path, "consents"),
            f"scenario {s.id!r} relies on consent but names no consent item "
            "(PIPL Art. 13(1)); list the consent ids, or set legal_basis",
            rule=CONSENT_REQUIRED,
            subject=s.id,
        )
    for j, use in enumerate(s.elements):
        if ctx.tax.is_sensitive(use.id) and not covering_separate_consent(
            ctx.d, s.consents, use.id
        ):
            yield Issue(
                (*path, "elements", j),
                f"sensitive element {use.id!r} ({ctx.tax.elements[use.id].label}) needs "
                "a separate consent that covers it (PIPL Art. 29); add a consent of "
                "kind `separate` to this scenario's consents",
                rule=SEPARATE_CONSENT,
                subject=s.id,
            )


def h5_links(ctx: CheckContext) -> Iterator[Issue]:
    """Every element an H5 link collects is declared."""
    for i, h5 in enumerate(ctx.d.h5_links):
        yield from ctx.elements(h5.elements, ("h5_links", i, "elements"))


def tracking(ctx: CheckContext) -> Iterator[Issue]:
    """Tracking items name declared ids; then the X40 warnings (:func:`check_tracking`)."""
    for i, t in enumerate(ctx.d.tracking):
        path: Path = ("tracking", i)
        yield from ctx.elements(t.elements, (*path, "elements"))
        yield from ctx.purposes(t.purposes, (*path, "purposes"))
        yield from ctx.retention(t.retention, (*path, "retention"))
    yield from check_tracking(ctx.d)  # X40


def used_consents(d: Declaration) -> set[str]:
    """Every consent id a scenario, recipient or SDK (or one of its elements) names."""
    used = {cid for s in d.scenarios for cid in s.consents}
    used |= {r.consent for r in d.recipients if r.consent}
    used |= {sdk.consent for sdk in d.sdks if sdk.consent}
    used |= {cid for sdk in d.sdks for cid in sdk.element_consents.values()}
    return used


def unused_separate_consents(ctx: CheckContext) -> Iterator[Issue]:
    """A separate consent nothing relies on is probably a mistake (a warning)."""
    used = used_consents(ctx.d)
    for i, c in enumerate(ctx.d.consents):
        if c.id not in used and c.kind.is_separate:
            yield Issue(
                ("consents", i, "id"),
                f"separate consent {c.id!r} is not used by any scenario, recipient or SDK",
                "warning",
            )
