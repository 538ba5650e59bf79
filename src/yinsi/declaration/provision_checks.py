"""Cross-reference rules on who receives PI: recipients (X21-X24) and SDKs (X20, W12).

Each function is one rule family of :func:`yinsi.declaration.checks.check`, taking the
shared :class:`~yinsi.declaration.check_context.CheckContext` and yielding findings in
document order.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.schema import Recipient, Sdk
from yinsi.declaration.view import covering_separate_consent, sdk_gates
from yinsi.declaration.waivers import CONSENT_REQUIRED, ENTRUSTED_DELETION, SEPARATE_CONSENT
from yinsi.taxonomy import LegalBasis, RecipientKind

_SEPARATE_CONSENT_ARTICLE = {
    RecipientKind.PUBLIC_DISCLOSURE: "25",
    RecipientKind.CROSS_BORDER: "39",
}
"""The PIPL article asking separate consent for a kind of provision; Art. 23 otherwise."""


def recipients(ctx: CheckContext) -> Iterator[Issue]:
    """Recipients (X21-X24, W11): declared ids, consent, deletion duty, cross-border flag.

    PIPL Art. 23 (consent to provide PI; separate for another processor), Arts. 25 and 39
    (separate consent to disclose publicly or send abroad), Art. 21 (an entrusted
    processor needs no consent but returns or deletes PI at the end), Arts. 38-39
    (a transfer abroad is declared in ``storage.cross_border``).
    """
    for i, r in enumerate(ctx.d.recipients):
        path: Path = ("recipients", i)
        yield from ctx.purposes(r.purposes, (*path, "purposes"))
        yield from ctx.elements(r.elements, (*path, "elements"))
        yield from ctx.consent(r.consent, (*path, "consent"))
        if r.legal_basis is LegalBasis.CONSENT:
            yield from _recipient_consent(ctx, r, path)
        if r.kind is RecipientKind.ENTRUSTED_PROCESSOR and not r.delete_on_end:
            yield Issue(
                (*path, "delete_on_end"),
                "an entrusted processor must return or delete PI when the entrustment ends "
                "(PIPL Art. 21); set delete_on_end: true",
                rule=ENTRUSTED_DELETION,
                subject=r.id,
            )
        abroad = r.kind is RecipientKind.CROSS_BORDER or r.location == "abroad"
        if abroad and not ctx.d.storage.cross_border:
            yield Issue(
                (*path, "kind"),
                "PI goes abroad but storage.cross_border is false (PIPL Arts. 38-39); "
                "declare the cross-border transfer and its safeguards",
            )


def _recipient_consent(ctx: CheckContext, r: Recipient, path: Path) -> Iterator[Issue]:
    """A provision on consent names a consent item, a separate one where the law asks."""
    if r.kind is RecipientKind.ENTRUSTED_PROCESSOR:
        return  # PIPL Art. 21: entrusted processing needs no consent of its own
    if r.consent is None:
        yield Issue(
            (*path, "consent"),
            f"providing PI to {r.name} relies on consent but names no consent item (PIPL Art. 23)",
            rule=CONSENT_REQUIRED,
            subject=r.id,
        )
        return
    if not r.kind.needs_separate_consent or r.consent not in ctx.consent_ids:
        return
    item = next(c for c in ctx.d.consents if c.id == r.consent)
    if not item.kind.is_separate:
        article = _SEPARATE_CONSENT_ARTICLE.get(r.kind, "23")
        yield Issue(
            (*path, "consent"),
            f"{r.kind.label} needs separate consent (PIPL Art. {article}); "
            f"consent {r.consent!r} is of kind {item.kind.value!r}",
            rule=SEPARATE_CONSENT,
            subject=r.id,
        )


def sdks(ctx: CheckContext) -> Iterator[Issue]:
    """SDKs (X20, W12): declared ids, a consent gating each SDK, separate for sensitive PI.

    W12: an SDK the user has not agreed to must never be called; PIPL Art. 29: a
    sensitive element an SDK receives needs a separate consent covering it.
    """
    for i, sdk in enumerate(ctx.d.sdks):
        path: Path = ("sdks", i)
        yield from ctx.elements(sdk.elements, (*path, "elements"))
        yield from ctx.purposes(sdk.purposes, (*path, "purposes"))
        yield from ctx.consent(sdk.consent, (*path, "consent"))
        if sdk.elements and sdk.legal_basis is LegalBasis.CONSENT and sdk.consent is None:
            yield Issue(
                (*path, "consent"),
                f"SDK {sdk.name!r} receives PI but names no consent that gates it; an SDK "
                "the user has not agreed to must never be called (W12)",
                rule=CONSENT_REQUIRED,
                subject=sdk.id,
            )
        for eid, cid in sdk.element_consents.items():
            epath: Path = (*path, "element_consents", eid)
            yield from ctx.consent(cid, epath)
            if eid not in sdk.elements:
                yield Issue(
                    epath, f"element {eid!r} has a consent but is not in this SDK's elements"
                )
        if sdk.legal_basis is LegalBasis.CONSENT and (sdk.consent or sdk.element_consents):
            yield from _sdk_sensitive_elements(ctx, sdk, path)


def _sdk_sensitive_elements(ctx: CheckContext, sdk: Sdk, path: Path) -> Iterator[Issue]:
    """Each sensitive element the SDK receives is covered by a separate consent gate."""
    for j, eid in enumerate(sdk.elements):
        gates = sdk_gates(sdk, eid)
        if ctx.tax.is_sensitive(eid) and not covering_separate_consent(ctx.d, gates, eid):
            yield Issue(
                (*path, "elements", j),
                f"SDK {sdk.name!r} receives sensitive element {eid!r}; a separate consent "
                "must cover it, as the SDK's `consent` or in `element_consents` "
                "(PIPL Art. 29)",
                rule=SEPARATE_CONSENT,
                subject=sdk.id,
            )
