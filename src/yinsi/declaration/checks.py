"""Cross-reference and legal-consistency checks on a typed declaration.

Each finding names the path of the offending value and the rule behind it, so the
loader can print ``FILE:LINE:COL: path: message (PIPL Art. N)``.

The rules come in families, one function each (:data:`RULES`), run in a fixed order so
findings are reported in the same order every time: unique ids, the taxonomy, consents
and scenarios (:mod:`.processing_checks`), recipients and SDKs (:mod:`.provision_checks`),
H5 links and tracking, contacts and rights (:mod:`.rights_checks`), unused consents and
the policy's dates. Waivers (:mod:`.waivers`) are applied to the whole list last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from yinsi.declaration import processing_checks, provision_checks, rights_checks
from yinsi.declaration.check_context import CheckContext, unique
from yinsi.declaration.errors import Issue
from yinsi.declaration.rights_checks import MAX_RIGHTS_WORKING_DAYS, STATUTORY_RIGHTS
from yinsi.declaration.schema import Declaration
from yinsi.declaration.waivers import (
    CONSENT_REQUIRED,
    ENTRUSTED_DELETION,
    SEPARATE_CONSENT,
    WAIVABLE_RULES,
    apply_waivers,
)

__all__ = [
    "CONSENT_REQUIRED",
    "ENTRUSTED_DELETION",
    "MAX_RIGHTS_WORKING_DAYS",
    "RULES",
    "SEPARATE_CONSENT",
    "STATUTORY_RIGHTS",
    "WAIVABLE_RULES",
    "check",
]

Rule = Callable[[CheckContext], Iterator[Issue]]


def unique_ids(ctx: CheckContext) -> Iterator[Issue]:
    """Ids are unique within each list, so every reference has one meaning."""
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


def policy_dates(ctx: CheckContext) -> Iterator[Issue]:
    """X01: the policy takes effect no earlier than it was updated (a warning)."""
    policy = ctx.d.policy
    if policy.effective < policy.updated:
        yield Issue(
            ("policy", "effective"), "the effective date is before the update date", "warning"
        )


RULES: tuple[Rule, ...] = (
    unique_ids,
    processing_checks.taxonomy_extensions,
    processing_checks.consent_elements,
    processing_checks.scenarios,
    provision_checks.recipients,
    provision_checks.sdks,
    processing_checks.h5_links,
    processing_checks.tracking,
    rights_checks.contacts,
    rights_checks.rights,
    processing_checks.unused_separate_consents,
    policy_dates,
)
"""The rule families, in the order their findings are reported."""


def check(d: Declaration) -> list[Issue]:
    """All cross-reference problems of ``d``; errors and warnings, waivers applied."""
    ctx = CheckContext.of(d)
    return apply_waivers(d, [issue for rule in RULES for issue in rule(ctx)])
