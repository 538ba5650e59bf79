"""Rules on consent: processing on consent names its consent items, and sensitive PI and
provisions to other handlers have a separate consent that names them (PIPL Arts. 13,
14, 23, 25, 29, 39); sensitive PI is declassified only with a reason (PIPL Art. 28).
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint.registry import PIPL, Citation, Example, rule
from yinsi.declaration.schema import Declaration, Recipient, Scenario, Sdk
from yinsi.declaration.view import covering_separate_consent, covers_separately, sdk_gates
from yinsi.taxonomy import BUILTIN, LegalBasis, RecipientKind
from yinsi.taxonomy.catalogue import TRANSIENT_CREDENTIALS

__all__ = ["RULES", "TRANSIENT_CREDENTIALS", "needs_separate_consent", "used_consents"]


_SEPARATE_CONSENT_ARTICLE = {
    RecipientKind.PUBLIC_DISCLOSURE: "25",
    RecipientKind.CROSS_BORDER: "39",
}
"""The PIPL article asking separate consent for a kind of provision; Art. 23 otherwise."""

ANNEX_B = Citation("GB/T 35273-2020", section="Annex B")


@rule(
    "consent-required",
    "error",
    title="Processing on consent names no consent item",
    cites=(PIPL(13, item=1), PIPL(14, para=1), PIPL(23)),
    explanation="A scenario, recipient or SDK whose legal basis is consent must name the "
    "consent items it relies on, so the policy can say what the user agrees to and the "
    "consent engine can gate the processing (an SDK the user has not agreed to is never "
    "called, W12).",
    fix="List the consent ids under `consents` (scenarios) or `consent` (recipients, SDKs), "
    "or give the statutory `legal_basis` it really relies on.",
    failing=Example("scenarios: [{id: signup, consents: []}]"),
    passing=Example("scenarios: [{id: signup, consents: [policy]}]"),
    stage="load",
    waivable=True,
)
def consent_required(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        if s.legal_basis is LegalBasis.CONSENT and not s.consents:
            yield Issue(
                ("scenarios", i, "consents"),
                f"scenario {s.id!r} relies on consent but names no consent item "
                "(PIPL Art. 13 (1)); list the consent ids, or set legal_basis",
                subject=s.id,
            )
    for i, r in enumerate(ctx.d.recipients):
        on_consent = r.legal_basis is LegalBasis.CONSENT
        if on_consent and r.kind is not RecipientKind.ENTRUSTED_PROCESSOR and r.consent is None:
            yield Issue(
                ("recipients", i, "consent"),
                f"providing PI to {r.name} relies on consent but names no consent item "
                "(PIPL Art. 23)",
                subject=r.id,
            )
    for i, sdk in enumerate(ctx.d.sdks):
        if sdk.elements and sdk.legal_basis is LegalBasis.CONSENT and sdk.consent is None:
            yield Issue(
                ("sdks", i, "consent"),
                f"SDK {sdk.name!r} receives PI but names no consent that gates it; an SDK "
                "the user has not agreed to must never be called (W12; PIPL Art. 13 (1))",
                subject=sdk.id,
            )


def needs_separate_consent(ctx: CheckContext, element_id: str) -> bool:
    """Whether processing ``element_id`` on consent needs a separate consent (PIPL Art. 29):
    it is sensitive and not a transient credential (:data:`TRANSIENT_CREDENTIALS`)."""
    return ctx.tax.needs_separate_consent(element_id)


def _scenario(ctx: CheckContext, s: Scenario, path: Path) -> Iterator[Issue]:
    for j, use in enumerate(s.elements):
        if needs_separate_consent(ctx, use.id) and not covering_separate_consent(
            ctx.d, s.consents, use.id
        ):
            yield Issue(
                (*path, "elements", j),
                f"sensitive element {use.id!r} ({ctx.tax.elements[use.id].label}) needs "
                "a separate consent that covers it (PIPL Art. 29); add a consent of "
                "kind `separate` to this scenario's consents",
                subject=s.id,
            )


def _recipient(d: Declaration, r: Recipient, path: Path) -> Iterator[Issue]:
    if r.kind is RecipientKind.ENTRUSTED_PROCESSOR or not r.kind.needs_separate_consent:
        return  # PIPL Art. 21: entrusted processing needs no consent of its own
    item = next((c for c in d.consents if c.id == r.consent), None)
    article = _SEPARATE_CONSENT_ARTICLE.get(r.kind, "23")
    if item is not None and not item.kind.is_separate:
        yield Issue(
            (*path, "consent"),
            f"{r.kind.label} needs separate consent (PIPL Art. {article}); "
            f"consent {r.consent!r} is of kind {item.kind.value!r}",
            subject=r.id,
        )
    elif item is not None:
        missing = [e for e in r.elements if not covers_separately(item, e)]
        if missing:  # a separate consent covers only the PI it names
            yield Issue(
                (*path, "consent"),
                f"consent {item.id!r} does not name {', '.join(missing)}, which {r.name} "
                f"receives: a separate consent covers only the PI it names (PIPL Art. "
                f"{article}); add them to that consent's elements",
                subject=r.id,
            )


def _sdk(ctx: CheckContext, sdk: Sdk, path: Path) -> Iterator[Issue]:
    for j, eid in enumerate(sdk.elements):
        gates = sdk_gates(sdk, eid)
        if needs_separate_consent(ctx, eid) and not covering_separate_consent(ctx.d, gates, eid):
            yield Issue(
                (*path, "elements", j),
                f"SDK {sdk.name!r} receives sensitive element {eid!r}; a separate consent "
                "must cover it, as the SDK's `consent` or in `element_consents` "
                "(PIPL Art. 29)",
                subject=sdk.id,
            )
    gate = next((c for c in ctx.d.consents if c.id == sdk.consent), None)
    if sdk.role == "other_handler" and sdk.elements and gate and not gate.kind.is_separate:
        yield Issue(
            (*path, "consent"),
            f"SDK {sdk.name!r} is another handler: providing PI to it needs separate consent "
            f"(PIPL Art. 23); consent {sdk.consent!r} is of kind {gate.kind.value!r}",
            subject=sdk.id,
        )


@rule(
    "separate-consent",
    "error",
    title="Sensitive PI or a provision without a separate consent that names it",
    cites=(PIPL(29), PIPL(23), PIPL(25), PIPL(39)),
    explanation="Sensitive PI (PIPL Art. 28) needs a separate consent (Art. 29), and so "
    "does providing PI to another handler (Art. 23, an SDK provider that is one included), "
    "disclosing it publicly (Art. 25) or sending it abroad (Art. 39). A separate or "
    "written consent covers only the elements it names. A one-time SMS code or a session "
    "token only proves who the user is to this app and needs no separate consent.",
    fix="Add a consent of kind `separate` that names the element (`elements:`) to the "
    "scenario's consents, the SDK's `consent` or `element_consents`, or the recipient's "
    "`consent`. To state a source policy that lacks it, add a `waivers` entry.",
    failing=Example("scenarios: [{id: signup, elements: [mobile_number, id_number]}]"),
    passing=Example(
        "consents: [{id: identity, label: 身份信息单独同意, kind: separate, "
        "elements: [id_number]}]\n"
        "scenarios: [{id: signup, elements: [mobile_number, id_number, sms_code], "
        "consents: [policy, identity]}]"
    ),
    stage="load",
    waivable=True,
)
def separate_consent(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        if s.legal_basis is LegalBasis.CONSENT:
            yield from _scenario(ctx, s, ("scenarios", i))
    for i, r in enumerate(ctx.d.recipients):
        if r.legal_basis is LegalBasis.CONSENT:
            yield from _recipient(ctx.d, r, ("recipients", i))
    for i, sdk in enumerate(ctx.d.sdks):
        if sdk.legal_basis is LegalBasis.CONSENT and (sdk.consent or sdk.element_consents):
            yield from _sdk(ctx, sdk, ("sdks", i))


def _declassified(ctx: CheckContext, with_reason: bool) -> Iterator[tuple[Path, str, str]]:
    """(path, shown label, reason) of each built-in sensitive element declared not sensitive."""
    for i, e in enumerate(ctx.d.taxonomy.elements):
        builtin = BUILTIN.elements.get(e.id)
        if builtin is None or not builtin.sensitive or e.sensitive or bool(e.reason) != with_reason:
            continue
        if e.id in TRANSIENT_CREDENTIALS:
            continue  # needs no separate consent either way
        shown = e.label if e.label == builtin.label else f"{e.label}（{builtin.label}）"
        yield ("taxonomy", "elements", i, "sensitive"), shown, e.reason


@rule(
    "sensitive-reason",
    "error",
    title="Sensitive PI declared not sensitive without a reason",
    cites=(PIPL(28), ANNEX_B),
    explanation="GB/T 35273-2020 Annex B and PIPL Art. 28 say what is sensitive PI. A "
    "declaration may override a built-in sensitive element as not sensitive only by "
    "saying why, so the choice stays visible.",
    fix="Give a `reason` (e.g. how the source policy treats it), or keep it sensitive.",
    failing=Example(
        "taxonomy: {elements: [{id: id_number, label: 身份证号码, category: identity, "
        "sensitive: false}]}"
    ),
    passing=Example(""),
    stage="load",
)
def sensitive_reason(ctx: CheckContext) -> Iterator[Issue]:
    for path, shown, _ in _declassified(ctx, with_reason=False):
        yield Issue(
            path,
            f"{shown} is sensitive PI under GB/T 35273-2020 Annex B and "
            "PIPL Art. 28; to treat it as not sensitive, give a `reason`",
        )


@rule(
    "sensitive-declassified",
    "warning",
    title="Sensitive PI declared not sensitive",
    cites=(PIPL(28), ANNEX_B),
    explanation="A built-in sensitive element declared not sensitive, with a reason: the "
    "policy will not mark it, and no separate consent is asked for it. Reported so the "
    "choice is reviewed (not for a one-time SMS code or a session token, which need no "
    "separate consent either way).",
    fix="Keep the element sensitive and ask a separate consent for it, unless the reason holds.",
    failing=Example(
        "taxonomy: {elements: [{id: id_number, label: 身份证号码, category: identity, "
        "sensitive: false, reason: 原政策未将其标示为敏感个人信息}]}"
    ),
    passing=Example(""),
    stage="load",
)
def sensitive_declassified(ctx: CheckContext) -> Iterator[Issue]:
    for path, shown, reason in _declassified(ctx, with_reason=True):
        yield Issue(
            path,
            f"{shown} is treated as not sensitive although GB/T 35273-2020 "
            f"Annex B lists it as sensitive (reason given: {reason})",
        )


def used_consents(d: Declaration) -> set[str]:
    """Every consent id a scenario, recipient or SDK (or one of its elements) names."""
    used = {cid for s in d.scenarios for cid in s.consents}
    used |= {r.consent for r in d.recipients if r.consent}
    used |= {sdk.consent for sdk in d.sdks if sdk.consent}
    used |= {cid for sdk in d.sdks for cid in sdk.element_consents.values()}
    return used


@rule(
    "unused-consent",
    "warning",
    title="A separate consent nothing relies on",
    cites=(PIPL(14, para=1),),
    explanation="Consent is given for specific processing (PIPL Art. 14): a separate "
    "consent no scenario, recipient or SDK names gates nothing, and the user would be "
    "asked for it to no end. Usually a reference was forgotten.",
    fix="Name it where it is relied on, or remove it.",
    failing=Example("consents: [{id: face, label: 人脸识别单独同意, kind: separate}]"),
    passing=Example(""),
    stage="load",
)
def unused_consent(ctx: CheckContext) -> Iterator[Issue]:
    used = used_consents(ctx.d)
    for i, c in enumerate(ctx.d.consents):
        if c.id not in used and c.kind.is_separate:
            yield Issue(
                ("consents", i, "id"),
                f"separate consent {c.id!r} is not used by any scenario, recipient or SDK "
                "(PIPL Art. 14)",
            )


RULES = (
    consent_required,
    separate_consent,
    sensitive_reason,
    sensitive_declassified,
    unused_consent,
)
