"""Rules a declaration may waive for one entity, and how a waiver turns an error into a warning.

A declaration describing an existing app sometimes has to record a breach it cannot fix
yet (a policy that asks no separate consent for an ID number). ``Declaration.waivers``
names the rule, the entity and the reason; the finding stays visible as a warning that
cites the reason, so the declaration loads but nothing is hidden.
"""

from __future__ import annotations

from yinsi.declaration.errors import Issue
from yinsi.declaration.schema import Declaration

CONSENT_REQUIRED = "consent-required"
SEPARATE_CONSENT = "separate-consent"
ENTRUSTED_DELETION = "entrusted-deletion"
WAIVER_UNKNOWN = "waiver-unknown"
WAIVER_UNUSED = "waiver-unused"
WAIVABLE_RULES: dict[str, str] = {
    CONSENT_REQUIRED: "processing on consent names no consent item (PIPL Arts. 13, 23; W12)",
    SEPARATE_CONSENT: "sensitive PI or provision without separate consent (PIPL Arts. 23, 25, 29, 39)",
    ENTRUSTED_DELETION: "entrusted processor not bound to delete at the end (PIPL Art. 21)",
}
"""Rules a declaration may waive for one entity, stating why (``Declaration.waivers``);
the lint registry marks the same rules ``waivable`` (tests/test_lint_rules.py)."""


def apply_waivers(d: Declaration, issues: list[Issue]) -> list[Issue]:
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
                Issue(
                    ("waivers", i, "rule"),
                    f"unknown rule {w.rule!r}; waivable rules: {known}",
                    rule=WAIVER_UNKNOWN,
                )
            )
        elif (w.rule, w.id) not in used:
            out.append(
                Issue(
                    ("waivers", i),
                    f"waiver of {w.rule!r} for {w.id!r} matches no finding; remove it",
                    "warning",
                    rule=WAIVER_UNUSED,
                )
            )
    return out
