"""X40: cookies and similar technologies can be disabled; browse-only ones go promptly.

Two warnings on ``tracking:`` items (run by :func:`yinsi.declaration.checks.check`):

- an item stored on the user's device (cookie, LocalStorage, web beacon, ETag) without
  ``how_to_clear``: users must be able to disable it or clear it (PIPL Art. 15: consent
  is withdrawn conveniently; 《App违法违规收集使用个人信息行为认定方法》: a way to withdraw
  consent is offered). Log files and request headers are not stored on the device;
- an item serving a browse-only scenario kept longer than browse-only data may be
  (:data:`BROWSE_ONLY_MAX_RETENTION`, 1 month, X38), or with no retention rule or period
  at all (GB/T 35273-2020 §6.1: the shortest period necessary).

Browse-only scenarios are derived as the consent engine does (``yinsi.consent.rules``):
when ``policy.on_decline`` is ``browse_only``, every basic-function scenario on consent
that names no consent item — what a user who accepted nothing may still use.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.errors import Issue
from yinsi.declaration.schema import Declaration, Duration, Scenario
from yinsi.taxonomy import DeclineMode, FunctionKind, LegalBasis, TrackingKind

TRACKING_CLEARABLE = "tracking-clearable"
BROWSE_ONLY_RETENTION = "browse-only-retention"
"""The lint rule ids of the two warnings (``yinsi.declaration.lint.tracking``)."""

BROWSE_ONLY_MAX_RETENTION = Duration(amount=1, unit="months")
"""X38: browse-only data (browsing records, IP, browse cookies) is kept at most 1 month."""

ON_DEVICE = frozenset(
    {TrackingKind.COOKIE, TrackingKind.LOCAL_STORAGE, TrackingKind.WEB_BEACON, TrackingKind.ETAG}
)
"""Tracking kinds stored on (or read from) the user's device, which users can clear."""


def browse_only_scenarios(d: Declaration) -> list[Scenario]:
    """The scenarios a user who declined the policy may still use (X02)."""
    if (d.policy.on_decline or DeclineMode.BROWSE_ONLY) is not DeclineMode.BROWSE_ONLY:
        return []
    return [
        s
        for s in d.scenarios
        if s.function is FunctionKind.BASIC
        and s.legal_basis is LegalBasis.CONSENT
        and not s.consents
    ]


def check_tracking(
    d: Declaration, *, browse_only_max: Duration = BROWSE_ONLY_MAX_RETENTION
) -> Iterator[Issue]:
    """The X40 warnings of ``d``'s tracking items (see the module docstring)."""
    browse = browse_only_scenarios(d)
    browse_purposes = {p for s in browse for p in s.purposes}
    rules = {r.id: r for r in d.retention}
    for i, t in enumerate(d.tracking):
        path = ("tracking", i)
        shown = t.name if t.name == t.kind.label else f"{t.name}（{t.kind.label}）"
        if t.kind in ON_DEVICE and not t.how_to_clear.strip():
            yield Issue(
                (*path, "how_to_clear"),
                f"{shown}: users must be able to disable or clear it (X40); "
                "say how in `how_to_clear` (PIPL Art. 15; 《App违法违规收集使用个人信息行为认定方法》: "
                "a way to withdraw consent is offered)",
                "warning",
                rule=TRACKING_CLEARABLE,
            )
        shared = [p for p in t.purposes if p in browse_purposes]
        if not shared:
            continue
        scenarios = ", ".join(s.id for s in browse if set(s.purposes) & set(shared))
        serves = f"{shown} serves browse-only mode ({scenarios})"
        limit = f"at most {browse_only_max.label} (X38, X40; GB/T 35273-2020 §6.1)"
        if t.retention is None:
            yield Issue(
                path,
                f"{serves} but names no retention rule; browse-only data is kept {limit}: "
                "name a retention rule with such a period",
                "warning",
                rule=BROWSE_ONLY_RETENTION,
            )
            continue
        rule = rules.get(t.retention)
        if rule is None:
            continue  # an unknown rule is already an error of the cross-reference checks
        if rule.period is None or rule.period.approx_days > browse_only_max.approx_days:
            kept = "no period" if rule.period is None else f"period {rule.period.label}"
            yield Issue(
                (*path, "retention"),
                f"{serves} but its retention rule {rule.id!r} has {kept}; browse-only data is "
                f"kept {limit}: remove it promptly",
                "warning",
                rule=BROWSE_ONLY_RETENTION,
            )
