"""What a policy must tell, checked against the declaration before it is rendered.

Errors: PIPL Art. 17 items without which the policy is unlawful — the handler's name and
contact, purposes, methods, PI kinds, retention periods, how to exercise rights, how
changes are told. Warnings: what 网络数据安全管理条例 Art. 21 adds — a retention period
and what happens when it ends, every right it lists, and recipients set out with name
and contact (PIPL Art. 23). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.errors import Issue
from yinsi.declaration.schema import Declaration, RetentionRule
from yinsi.taxonomy import LegalBasis, RecipientKind, RightKind

__all__ = ["ART21_RIGHTS", "completeness"]

ART17 = "PIPL Art. 17"
ART21 = "网络数据安全管理条例 Art. 21"

ART21_RIGHTS: tuple[RightKind, ...] = (
    RightKind.ACCESS,
    RightKind.COPY,
    RightKind.TRANSFER,
    RightKind.CORRECTION,
    RightKind.DELETION,
    RightKind.RESTRICT,
    RightKind.CANCEL_ACCOUNT,
    RightKind.WITHDRAW_CONSENT,
)
"""The rights 网络数据安全管理条例 Art. 21 (1)(6) says the rules must say how to exercise."""

_NOTIFIED = (
    RecipientKind.AFFILIATE,
    RecipientKind.OTHER_HANDLER,
    RecipientKind.CROSS_BORDER,
    RecipientKind.PUBLIC_DISCLOSURE,
)


def completeness(declaration: Declaration) -> list[Issue]:
    """Items of PIPL Art. 17 and 网络数据安全管理条例 Art. 21 the declaration leaves out."""
    return [
        *_handler(declaration),
        *_scenarios(declaration),
        *_retention(declaration),
        *_rights(declaration),
        *_recipients(declaration),
        *_changes(declaration),
    ]


def _handler(d: Declaration) -> Iterator[Issue]:
    if not d.app.handler.name.strip():
        yield Issue(("app", "handler", "name"), f"the handler's name is missing ({ART17} (1))")
    if not d.contacts.channels:
        yield Issue(("contacts", "channels"), f"no contact channel for the handler ({ART17} (1))")


def _scenarios(d: Declaration) -> Iterator[Issue]:
    what = {"purposes": "purpose", "methods": "collection method", "elements": "PI kind"}
    for i, s in enumerate(d.scenarios):
        for key, noun in what.items():
            if not getattr(s, key):
                yield Issue(
                    ("scenarios", i, key), f"scenario {s.name} states no {noun} ({ART17} (2))"
                )
        if s.retention is None:
            yield Issue(
                ("scenarios", i, "retention"),
                f"scenario {s.name} has no retention rule, so the policy cannot tell how long "
                f"its PI is kept ({ART17} (2)); add `retention:` naming a rule",
            )


def _retention(d: Declaration) -> Iterator[Issue]:
    for i, rule in enumerate(d.retention):
        yield from _rule(rule, ("retention", i))


def _rule(rule: RetentionRule, path: tuple[str | int, ...]) -> Iterator[Issue]:
    if rule.period is None:
        how = " (its basis says how it is determined)" if rule.basis else ""
        yield Issue(
            (*path, "period"),
            f"retention rule {rule.label} names no period{how}; {ART21} asks for the period "
            "or how it is determined — give `period:` where one exists",
            "warning",
        )
    if "then" not in rule.model_fields_set:
        yield Issue(
            path,
            f"retention rule {rule.label} does not say what happens when the period ends "
            f"({ART21}); the default 删除或匿名化处理 is assumed — state `then:`",
            "warning",
        )


def _rights(d: Declaration) -> Iterator[Issue]:
    if not d.rights.items:
        yield Issue(("rights", "items"), f"no way to exercise any right is declared ({ART17} (3))")
    for i, right in enumerate(d.rights.items):
        if not right.channels and not right.self_service:
            yield Issue(
                ("rights", "items", i),
                f"the right of {right.kind.label} has neither channels nor self_service, so the "
                f"policy cannot say how to exercise it ({ART17} (3))",
            )
    declared = {r.kind for r in d.rights.items}
    for kind in ART21_RIGHTS:
        if kind not in declared:
            yield Issue(
                ("rights", "items"),
                f"the policy does not say how to exercise the right of {kind.label} ({ART21})",
                "warning",
            )


def _recipients(d: Declaration) -> Iterator[Issue]:
    for i, r in enumerate(d.recipients):
        if r.kind not in _NOTIFIED or r.legal_basis is LegalBasis.LEGAL_DUTY:
            continue
        missing = [
            *(["its name (only a type of recipient is given)"] if r.is_category else []),
            *(["its contact"] if not r.contact else []),
        ]
        if missing:
            yield Issue(
                ("recipients", i),
                f"recipient {r.name}: the policy cannot tell {' or '.join(missing)} "
                f"(PIPL Art. 23, {ART21})",
                "warning",
            )


def _changes(d: Declaration) -> Iterator[Issue]:
    if not d.policy.notice_methods:
        yield Issue(
            ("policy", "notice_methods"),
            f"no way is declared to tell users about changes to the policy ({ART17}, 2nd para.)",
        )
