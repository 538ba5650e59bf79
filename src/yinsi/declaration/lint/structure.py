"""Rules on the declaration's own structure: it matches the schema, every id is unique and
every reference names something declared, waivers name real findings.

The policy is rendered from the declaration, and PIPL Art. 17 asks it to tell the user
truly, accurately and completely (真实、准确、完整): an id that means two things, or a
reference to nothing, would make the rendered text wrong. These are errors, checked on
every load.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import ELEMENT_HINT, CheckContext, unique, unknown
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint import inventory
from yinsi.declaration.lint.registry import PIPL, Example, rule
from yinsi.declaration.lint.registry import reported_elsewhere as elsewhere

__all__ = ["RULES"]

ACCURATE = (PIPL(17, para=1),)

SCHEMA = elsewhere(
    "schema",
    "error",
    "structure",
    title="The file is not a valid declaration",
    cites=ACCURATE,
    explanation="The file is read as UTF-8 YAML and every key, type and value is checked "
    "against the schema (`yinsi schema` prints it): an unreadable file, a YAML syntax "
    "error, a duplicate key, an unknown or missing key, a wrong type or a value outside "
    "its list. Without a valid declaration there is no policy to render.",
    fix="Correct what the message names; `yinsi schema` lists every key.",
    failing=Example("scenarios: [{id: signup, function: core}]"),
    passing=Example(""),
)
WAIVER_UNKNOWN = elsewhere(
    "waiver-unknown",
    "error",
    "structure",
    title="A waiver names a rule that cannot be waived",
    cites=ACCURATE,
    explanation="`waivers` records a known gap of a source policy for one rule and one "
    "entity. Only the rules marked waivable can be waived: a waiver of any other rule "
    "would hide nothing and mean nothing.",
    fix="Name one of the waivable rules (consent-required, separate-consent, "
    "entrusted-deletion), or remove the waiver.",
    failing=Example("waivers: [{rule: no-such-rule, id: signup, reason: 原政策如此}]"),
    passing=Example(""),
)
WAIVER_UNUSED = elsewhere(
    "waiver-unused",
    "warning",
    "structure",
    title="A waiver matches no finding",
    cites=ACCURATE,
    explanation="A waiver that matches no finding records a gap that is not there any "
    "more; kept, it would describe the source policy wrongly.",
    fix="Remove the waiver, or correct its `rule` or `id`.",
    failing=Example("waivers: [{rule: separate-consent, id: signup, reason: 原政策如此}]"),
    passing=Example(""),
)


def _duplicate_elements(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        seen: set[str] = set()
        for j, use in enumerate(s.elements):
            if use.id in seen:
                yield Issue(("scenarios", i, "elements", j), f"element {use.id!r} is listed twice")
            seen.add(use.id)


@rule(
    "duplicate-id",
    "error",
    title="An id is used twice",
    cites=ACCURATE,
    explanation="Ids are unique within each list (scenarios, consents, recipients, SDKs, "
    "rights, …) and an element appears once per scenario, so every reference has exactly "
    "one meaning.",
    fix="Rename one of the two, or merge them.",
    failing=Example(
        "consents: [{id: policy, label: 隐私保护政策}, {id: push, label: 推送}, "
        "{id: push, label: 消息推送}]",
        replaces=("consents",),
    ),
    passing=Example(""),
    stage="load",
)
def duplicate_id(ctx: CheckContext) -> Iterator[Issue]:
    d = ctx.d
    yield from unique(d.contacts.channels, ("contacts", "channels"), "contact channel")
    yield from unique(d.consents, ("consents",), "consent")
    yield from unique(d.retention, ("retention",), "retention rule")
    yield from unique(d.scenarios, ("scenarios",), "scenario")
    yield from unique(d.recipients, ("recipients",), "recipient")
    yield from unique(d.sdks, ("sdks",), "SDK")
    yield from unique(d.h5_links, ("h5_links",), "H5 link")
    yield from unique(d.tracking, ("tracking",), "tracking item")
    yield from unique(d.rights.items, ("rights", "items"), "right")
    yield from unique(d.rights.refusal_grounds, ("rights", "refusal_grounds"), "refusal ground")
    yield from unique(d.taxonomy.elements, ("taxonomy", "elements"), "element")
    yield from unique(d.taxonomy.purposes, ("taxonomy", "purposes"), "purpose")
    yield from _duplicate_elements(ctx)
    yield from inventory.duplicates(ctx)


def _processing_references(ctx: CheckContext) -> Iterator[Issue]:
    """Categories, consents' and scenarios' elements, purposes, consents and rules."""
    tax = ctx.tax
    for i, e in enumerate(ctx.d.taxonomy.elements):
        if e.category not in tax.categories:
            hint = "declare it under taxonomy.categories"
            yield Issue(
                ("taxonomy", "elements", i, "category"),
                unknown("category", e.category, tax.categories, hint),
            )
    for i, c in enumerate(ctx.d.consents):
        yield from ctx.elements(c.elements, ("consents", i, "elements"))
    for i, s in enumerate(ctx.d.scenarios):
        path: Path = ("scenarios", i)
        yield from ctx.purposes(s.purposes, (*path, "purposes"))
        for j, use in enumerate(s.elements):
            if use.id not in tax.elements:
                yield Issue(
                    (*path, "elements", j), unknown("element", use.id, tax.elements, ELEMENT_HINT)
                )
        for j, cid in enumerate(s.consents):
            yield from ctx.consent(cid, (*path, "consents", j))
        for j, rid in enumerate(s.recipients):
            yield from ctx.ref(
                rid, ctx.recipient_ids, "recipient", (*path, "recipients", j), "recipients"
            )
        yield from ctx.retention(s.retention, (*path, "retention"))
        for j, p in enumerate(s.permissions):
            if p.permission not in tax.permissions:
                hint = "declare it under taxonomy.permissions"
                yield Issue(
                    (*path, "permissions", j, "permission"),
                    unknown("permission", p.permission, tax.permissions, hint),
                )


def _provision_references(ctx: CheckContext) -> Iterator[Issue]:
    """Recipients, SDKs, H5 links and tracking items."""
    for i, r in enumerate(ctx.d.recipients):
        yield from ctx.purposes(r.purposes, ("recipients", i, "purposes"))
        yield from ctx.elements(r.elements, ("recipients", i, "elements"))
        yield from ctx.consent(r.consent, ("recipients", i, "consent"))
    for i, sdk in enumerate(ctx.d.sdks):
        path: Path = ("sdks", i)
        yield from ctx.elements(sdk.elements, (*path, "elements"))
        yield from ctx.purposes(sdk.purposes, (*path, "purposes"))
        yield from ctx.consent(sdk.consent, (*path, "consent"))
        for eid, cid in sdk.element_consents.items():
            epath: Path = (*path, "element_consents", eid)
            yield from ctx.consent(cid, epath)
            if eid not in sdk.elements:
                yield Issue(
                    epath, f"element {eid!r} has a consent but is not in this SDK's elements"
                )
    for i, h5 in enumerate(ctx.d.h5_links):
        yield from ctx.elements(h5.elements, ("h5_links", i, "elements"))
    for i, t in enumerate(ctx.d.tracking):
        yield from ctx.elements(t.elements, ("tracking", i, "elements"))
        yield from ctx.purposes(t.purposes, ("tracking", i, "purposes"))
        yield from ctx.retention(t.retention, ("tracking", i, "retention"))


def _contact_references(ctx: CheckContext) -> Iterator[Issue]:
    """The officer's, the incident's and each right's contact channels."""
    d = ctx.d
    if d.contacts.pi_protection_officer:
        for j, cid in enumerate(d.contacts.pi_protection_officer.channels):
            yield from ctx.channel(cid, ("contacts", "pi_protection_officer", "channels", j))
    for j, cid in enumerate(d.incident.contacts):
        yield from ctx.channel(cid, ("incident", "contacts", j))
    for i, right in enumerate(d.rights.items):
        for j, cid in enumerate(right.channels):
            yield from ctx.channel(cid, ("rights", "items", i, "channels", j))


@rule(
    "unknown-reference",
    "error",
    title="A reference names nothing declared",
    cites=ACCURATE,
    explanation="Elements, purposes, permissions and categories come from the built-in "
    "taxonomy or `taxonomy:`; consents, retention rules, recipients and contact channels "
    "from their own lists. A reference to anything else is a typo or a missing "
    "declaration; the message suggests the closest declared id.",
    fix="Correct the id, or declare it where the message says.",
    failing=Example("scenarios: [{id: signup, elements: [mobile_numbr]}]"),
    passing=Example("scenarios: [{id: signup, elements: [mobile_number]}]"),
    stage="load",
)
def unknown_reference(ctx: CheckContext) -> Iterator[Issue]:
    yield from _processing_references(ctx)
    yield from _provision_references(ctx)
    yield from _contact_references(ctx)
    yield from inventory.references(ctx)


RULES = (SCHEMA, duplicate_id, unknown_reference, WAIVER_UNKNOWN, WAIVER_UNUSED)
