"""Cross-reference and legal-consistency checks on a typed declaration.

Each finding names the path of the offending value and the rule behind it, so the
loader can print ``FILE:LINE:COL: path: message (PIPL Art. N)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.schema import Declaration
from yinsi.declaration.tracking_checks import check_tracking
from yinsi.declaration.view import covering_separate_consent, sdk_gates, taxonomy_of
from yinsi.taxonomy import BUILTIN, LegalBasis, RecipientKind, RightKind

MAX_RIGHTS_WORKING_DAYS = 15
"""《App违法违规收集使用个人信息行为认定方法》: requests answered within 15 working days."""

STATUTORY_RIGHTS: dict[RightKind, str] = {
    RightKind.ACCESS: "PIPL Art. 45",
    RightKind.COPY: "PIPL Art. 45",
    RightKind.TRANSFER: "PIPL Art. 45",
    RightKind.CORRECTION: "PIPL Art. 46",
    RightKind.DELETION: "PIPL Art. 47",
    RightKind.WITHDRAW_CONSENT: "PIPL Art. 15",
    RightKind.CANCEL_ACCOUNT: "网络数据安全管理条例 Art. 24",
    RightKind.EXPLANATION: "PIPL Art. 48",
    RightKind.DECEASED_RELATIVES: "PIPL Art. 49",
    RightKind.COMPLAINT: "PIPL Art. 50",
}


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def _unique(items: Sequence[_HasId], path: Path, what: str) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in first:
            yield Issue(
                (*path, i, "id"),
                f"duplicate {what} id {item.id!r} (first used at {path[-1]}[{first[item.id]}])",
            )
        else:
            first[item.id] = i


def _unknown(kind: str, name: str, known: Iterable[str], hint: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{suggestion} ({hint})"


CONSENT_REQUIRED = "consent-required"
SEPARATE_CONSENT = "separate-consent"
ENTRUSTED_DELETION = "entrusted-deletion"
WAIVABLE_RULES: dict[str, str] = {
    CONSENT_REQUIRED: "processing on consent names no consent item (PIPL Arts. 13, 23; W12)",
    SEPARATE_CONSENT: "sensitive PI or provision without separate consent (PIPL Arts. 23, 25, 29, 39)",
    ENTRUSTED_DELETION: "entrusted processor not bound to delete at the end (PIPL Art. 21)",
}
"""Rules a declaration may waive for one entity, stating why (``Declaration.waivers``)."""


def check(d: Declaration) -> list[Issue]:
    """All cross-reference problems of ``d``; errors and warnings, waivers applied."""
    return _apply_waivers(d, list(_check(d)))


def _apply_waivers(d: Declaration, issues: list[Issue]) -> list[Issue]:
    """Turn waived errors into warnings that still cite the rule and the reason."""
    reasons = {(w.rule, w.id): w.reason for w in d.waivers}
    used: set[tuple[str, str]] = set()
    out: list[Issue] = []
    for issue in issues:
        key = (issue.rule or "", issue.subject or "")
        if issue.severity == "error" and key in reasons:
            used.add(key)
            issue = Issue(
                issue.path,
                f"{issue.message} — waived ({issue.rule}): {reasons[key]}",
                "warning",
                issue.rule,
                issue.subject,
            )
        out.append(issue)
    for i, w in enumerate(d.waivers):
        if w.rule not in WAIVABLE_RULES:
            known = ", ".join(sorted(WAIVABLE_RULES))
            out.append(
                Issue(("waivers", i, "rule"), f"unknown rule {w.rule!r}; waivable rules: {known}")
            )
        elif (w.rule, w.id) not in used:
            out.append(
                Issue(
                    ("waivers", i),
                    f"waiver of {w.rule!r} for {w.id!r} matches no finding; remove it",
                    "warning",
                )
            )
    return out


def _check(d: Declaration) -> Iterator[Issue]:
    tax = taxonomy_of(d)
    consent_ids = {c.id for c in d.consents}
    retention_ids = {r.id for r in d.retention}
    recipient_ids = {r.id for r in d.recipients}
    channel_ids = {c.id for c in d.contacts.channels}
    element_hint = "declare it under taxonomy.elements"
    purpose_hint = "declare it under taxonomy.purposes"

    def elements(ids: Iterable[str], path: Path) -> Iterator[Issue]:
        for i, eid in enumerate(ids):
            if eid not in tax.elements:
                yield Issue((*path, i), _unknown("element", eid, tax.elements, element_hint))

    def purposes(ids: Iterable[str], path: Path) -> Iterator[Issue]:
        for i, pid in enumerate(ids):
            if pid not in tax.purposes:
                yield Issue((*path, i), _unknown("purpose", pid, tax.purposes, purpose_hint))

    def ref(
        value: str | None, known: set[str], kind: str, path: Path, where: str
    ) -> Iterator[Issue]:
        if value is not None and value not in known:
            yield Issue(path, _unknown(kind, value, known, f"define it under {where}"))

    # ids are unique within each list
    yield from _unique(d.contacts.channels, ("contacts", "channels"), "contact channel")
    yield from _unique(d.consents, ("consents",), "consent")
    yield from _unique(d.retention, ("retention",), "retention rule")
    yield from _unique(d.scenarios, ("scenarios",), "scenario")
    yield from _unique(d.recipients, ("recipients",), "recipient")
    yield from _unique(d.sdks, ("sdks",), "SDK")
    yield from _unique(d.h5_links, ("h5_links",), "H5 link")
    yield from _unique(d.tracking, ("tracking",), "tracking item")
    yield from _unique(d.rights.items, ("rights", "items"), "right")
    yield from _unique(d.rights.refusal_grounds, ("rights", "refusal_grounds"), "refusal ground")
    yield from _unique(d.taxonomy.elements, ("taxonomy", "elements"), "element")
    yield from _unique(d.taxonomy.purposes, ("taxonomy", "purposes"), "purpose")

    # taxonomy extensions
    for i, e in enumerate(d.taxonomy.elements):
        path: Path = ("taxonomy", "elements", i)
        if e.category not in tax.categories:
            yield Issue(
                (*path, "category"),
                _unknown(
                    "category", e.category, tax.categories, "declare it under taxonomy.categories"
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

    # consents
    for i, c in enumerate(d.consents):
        yield from elements(c.elements, ("consents", i, "elements"))

    # scenarios
    used_consents: set[str] = set()
    for i, s in enumerate(d.scenarios):
        path = ("scenarios", i)
        yield from purposes(s.purposes, (*path, "purposes"))
        seen: set[str] = set()
        for j, use in enumerate(s.elements):
            if use.id not in tax.elements:
                yield Issue(
                    (*path, "elements", j), _unknown("element", use.id, tax.elements, element_hint)
                )
            elif use.id in seen:
                yield Issue((*path, "elements", j), f"element {use.id!r} is listed twice")
            seen.add(use.id)
        for j, cid in enumerate(s.consents):
            used_consents.add(cid)
            yield from ref(cid, consent_ids, "consent", (*path, "consents", j), "consents")
        for j, rid in enumerate(s.recipients):
            yield from ref(rid, recipient_ids, "recipient", (*path, "recipients", j), "recipients")
        yield from ref(
            s.retention, retention_ids, "retention rule", (*path, "retention"), "retention"
        )
        for j, p in enumerate(s.permissions):
            if p.permission not in tax.permissions:
                yield Issue(
                    (*path, "permissions", j, "permission"),
                    _unknown(
                        "permission",
                        p.permission,
                        tax.permissions,
                        "declare it under taxonomy.permissions",
                    ),
                )
        if s.legal_basis is LegalBasis.CONSENT:
            if not s.consents:
                yield Issue(
                    (*path, "consents"),
                    f"scenario {s.id!r} relies on consent but names no consent item "
                    "(PIPL Art. 13(1)); list the consent ids, or set legal_basis",
                    rule=CONSENT_REQUIRED,
                    subject=s.id,
                )
            for j, use in enumerate(s.elements):
                if tax.is_sensitive(use.id) and not covering_separate_consent(
                    d, s.consents, use.id
                ):
                    yield Issue(
                        (*path, "elements", j),
                        f"sensitive element {use.id!r} ({tax.elements[use.id].label}) needs "
                        "a separate consent that covers it (PIPL Art. 29); add a consent of "
                        "kind `separate` to this scenario's consents",
                        rule=SEPARATE_CONSENT,
                        subject=s.id,
                    )

    # recipients (X21-X24, W11)
    for i, r in enumerate(d.recipients):
        path = ("recipients", i)
        yield from purposes(r.purposes, (*path, "purposes"))
        yield from elements(r.elements, (*path, "elements"))
        yield from ref(r.consent, consent_ids, "consent", (*path, "consent"), "consents")
        if r.consent:
            used_consents.add(r.consent)
        if r.legal_basis is LegalBasis.CONSENT:
            if r.kind is RecipientKind.ENTRUSTED_PROCESSOR:
                pass  # PIPL Art. 21: entrusted processing needs no consent of its own
            elif r.consent is None:
                yield Issue(
                    (*path, "consent"),
                    f"providing PI to {r.name} relies on consent but names no consent item "
                    "(PIPL Art. 23)",
                    rule=CONSENT_REQUIRED,
                    subject=r.id,
                )
            elif r.kind.needs_separate_consent:
                item = (
                    next(c for c in d.consents if c.id == r.consent)
                    if r.consent in consent_ids
                    else None
                )
                if item is not None and not item.kind.is_separate:
                    article = {
                        RecipientKind.PUBLIC_DISCLOSURE: "25",
                        RecipientKind.CROSS_BORDER: "39",
                    }.get(r.kind, "23")
                    yield Issue(
                        (*path, "consent"),
                        f"{r.kind.label} needs separate consent (PIPL Art. {article}); "
                        f"consent {r.consent!r} is of kind {item.kind.value!r}",
                        rule=SEPARATE_CONSENT,
                        subject=r.id,
                    )
        if r.kind is RecipientKind.ENTRUSTED_PROCESSOR and not r.delete_on_end:
            yield Issue(
                (*path, "delete_on_end"),
                "an entrusted processor must return or delete PI when the entrustment ends "
                "(PIPL Art. 21); set delete_on_end: true",
                rule=ENTRUSTED_DELETION,
                subject=r.id,
            )
        abroad = r.kind is RecipientKind.CROSS_BORDER or r.location == "abroad"
        if abroad and not d.storage.cross_border:
            yield Issue(
                (*path, "kind"),
                "PI goes abroad but storage.cross_border is false (PIPL Arts. 38-39); "
                "declare the cross-border transfer and its safeguards",
            )

    # SDKs (X20, W12)
    for i, sdk in enumerate(d.sdks):
        path = ("sdks", i)
        yield from elements(sdk.elements, (*path, "elements"))
        yield from purposes(sdk.purposes, (*path, "purposes"))
        yield from ref(sdk.consent, consent_ids, "consent", (*path, "consent"), "consents")
        if sdk.consent:
            used_consents.add(sdk.consent)
        if sdk.elements and sdk.legal_basis is LegalBasis.CONSENT and sdk.consent is None:
            yield Issue(
                (*path, "consent"),
                f"SDK {sdk.name!r} receives PI but names no consent that gates it; an SDK "
                "the user has not agreed to must never be called (W12)",
                rule=CONSENT_REQUIRED,
                subject=sdk.id,
            )
        for eid, cid in sdk.element_consents.items():
            used_consents.add(cid)
            epath: Path = (*path, "element_consents", eid)
            yield from ref(cid, consent_ids, "consent", epath, "consents")
            if eid not in sdk.elements:
                yield Issue(
                    epath, f"element {eid!r} has a consent but is not in this SDK's elements"
                )
        if sdk.legal_basis is LegalBasis.CONSENT and (sdk.consent or sdk.element_consents):
            for j, eid in enumerate(sdk.elements):
                gates = sdk_gates(sdk, eid)
                if tax.is_sensitive(eid) and not covering_separate_consent(d, gates, eid):
                    yield Issue(
                        (*path, "elements", j),
                        f"SDK {sdk.name!r} receives sensitive element {eid!r}; a separate consent "
                        "must cover it, as the SDK's `consent` or in `element_consents` "
                        "(PIPL Art. 29)",
                        rule=SEPARATE_CONSENT,
                        subject=sdk.id,
                    )

    for i, h5 in enumerate(d.h5_links):
        yield from elements(h5.elements, ("h5_links", i, "elements"))

    for i, t in enumerate(d.tracking):
        path = ("tracking", i)
        yield from elements(t.elements, (*path, "elements"))
        yield from purposes(t.purposes, (*path, "purposes"))
        yield from ref(
            t.retention, retention_ids, "retention rule", (*path, "retention"), "retention"
        )
    yield from check_tracking(d)  # X40

    # contacts and rights
    if d.contacts.pi_protection_officer:
        for j, cid in enumerate(d.contacts.pi_protection_officer.channels):
            yield from ref(
                cid,
                channel_ids,
                "contact channel",
                ("contacts", "pi_protection_officer", "channels", j),
                "contacts.channels",
            )
    if not any("complaint" in c.purposes for c in d.contacts.channels):
        yield Issue(
            ("contacts", "channels"),
            "no contact channel accepts complaints (PIPL Art. 50)",
            "warning",
        )
    for j, cid in enumerate(d.incident.contacts):
        yield from ref(
            cid, channel_ids, "contact channel", ("incident", "contacts", j), "contacts.channels"
        )

    kinds = {r.kind for r in d.rights.items}
    for i, right in enumerate(d.rights.items):
        path = ("rights", "items", i)
        for j, cid in enumerate(right.channels):
            yield from ref(
                cid, channel_ids, "contact channel", (*path, "channels", j), "contacts.channels"
            )
        if right.deadline and right.deadline.working_days > MAX_RIGHTS_WORKING_DAYS:
            yield Issue(
                (*path, "deadline", "working_days"),
                f"{right.kind.label}: {right.deadline.working_days} working days exceeds the "
                f"{MAX_RIGHTS_WORKING_DAYS} allowed (《App违法违规收集使用个人信息行为认定方法》)",
            )
    for kind, article in STATUTORY_RIGHTS.items():
        if kind not in kinds:
            yield Issue(
                ("rights", "items"),
                f"the declaration does not say how to exercise the right of {kind.label} "
                f"({kind.value}, {article})",
                "warning",
            )

    for i, c in enumerate(d.consents):
        if c.id not in used_consents and c.kind.is_separate:
            yield Issue(
                ("consents", i, "id"),
                f"separate consent {c.id!r} is not used by any scenario, recipient or SDK",
                "warning",
            )

    if d.policy.effective < d.policy.updated:
        yield Issue(
            ("policy", "effective"), "the effective date is before the update date", "warning"
        )
