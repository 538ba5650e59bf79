"""Statements several chapters share: a consent's name and kind, a retention rule's sources.

Each returns a :class:`~.provenance.Statement` whose sources are exactly the fields its
words come from, so ``yinsi render --explain`` and the provenance tests can tell a
declared value from a default.
"""

from __future__ import annotations

from yinsi.declaration.schema import ConsentItem, RetentionRule
from yinsi.policy.lookup import Lookup
from yinsi.policy.phrases import ASKED
from yinsi.policy.provenance import Statement, fixed, merged, said, stated
from yinsi.policy.text import quoted

__all__ = ["consent_asked", "consent_kind", "consent_label", "retention_sources"]


def consent_kind(item: ConsentItem, look: Lookup) -> Statement:
    """The kind's label (单独同意), or the policy's own word for it (``term``: 授权同意)."""
    path = look.path("consents", item.id)
    if item.term:
        return said(item.term, f"{path}.term")
    return said(item.kind.label, f"{path}.kind")


def consent_asked(item: ConsentItem, look: Lookup) -> Statement:
    """When the consent is asked ("在您注册时"), only if the declaration says so."""
    if not stated(item, "asked") or item.asked not in ASKED:
        return Statement("")
    path = look.path("consents", item.id, "asked")
    return fixed(ASKED[item.asked], f"phrases.asked.{item.asked}", path, kind="commitment")


def consent_label(item: ConsentItem, look: Lookup, with_asked: bool = False) -> Statement:
    """``“位置信息”（单独同意，在您首次使用相关功能时）``: name, kind and (if stated) when."""
    path = look.path("consents", item.id)
    name = said(quoted(item.label), f"{path}.label")
    kind = consent_kind(item, look)
    asked = consent_asked(item, look) if with_asked else Statement("")
    return merged([name, "（", merged([kind, asked], "，"), "）"])


def retention_sources(rule: RetentionRule, look: Lookup) -> list[str]:
    """The fields of ``rule`` its phrase is made of (a defaulted one shows as not written)."""
    path = look.path("retention", rule.id)
    fields = []
    if rule.period is not None:
        fields += ["period", "bound"]
    if getattr(rule, "starts", None) is not None:
        fields.append("starts")
    if rule.period is None and rule.basis:
        fields.append("basis")  # the policy's words on how the period is determined
    if rule.then is not None and (rule.period is None or rule.period.amount):
        fields.append("then")
    if rule.minimum is not None:
        fields.append("minimum")
    if rule.not_retained:
        fields.append("not_retained")
    if rule.kept_as is not None:
        fields.append("kept_as")
    return [path, *(f"{path}.{f}" for f in fields)]
