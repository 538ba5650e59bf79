"""Every lint rule, family by family, in the order their findings are reported.

To add a rule: write its check function in the module of its family, decorate it with
:func:`~yinsi.declaration.lint.registry.rule` (id, severity, citations, explanation,
fix, a failing and a passing example) and add it to that module's ``RULES``. To add a
family: a new module with its ``RULES``, listed in :data:`FAMILIES`. Then regenerate
``docs/rules.md`` (``python -m yinsi.declaration.lint.docs > docs/rules.md``); the tests
run the new rule on its examples.
"""

from __future__ import annotations

from types import ModuleType

from yinsi.declaration.lint import (
    choices,
    consent,
    inventory,
    minors,
    modality,
    necessity,
    notice,
    parties,
    provision,
    rights,
    structure,
    tracking,
)
from yinsi.declaration.lint.registry import Rule

__all__ = ["BY_ID", "FAMILIES", "RULES", "family"]

FAMILIES: tuple[ModuleType, ...] = (
    structure,
    consent,
    modality,
    provision,
    tracking,
    rights,
    notice,
    necessity,
    inventory,
    minors,
    parties,
    choices,
)
"""The rule families, each a module with a ``RULES`` tuple."""

RULES: tuple[Rule, ...] = tuple(r for module in FAMILIES for r in module.RULES)
"""Every rule, in report order."""

BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
"""Every rule by its id."""


def family(name: str) -> tuple[Rule, ...]:
    """The rules of one family (``"notice"``: what the policy must tell)."""
    return tuple(r for r in RULES if r.family == name)
