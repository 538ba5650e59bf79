"""``yinsi lint``: every check on a declaration as a rule with an id, citations and examples.

    registry    what a rule is (:class:`Rule`, :class:`Citation`, :func:`rule`)
    catalogue   every rule, family by family (:data:`RULES`, :data:`BY_ID`)
    run         run rules on a declaration (:func:`check` on every load, :func:`lint`)
    files       run them on a file, every finding placed as FILE:LINE:COL
    report      findings as JSON or SARIF 2.1.0
    docs        ``docs/rules.md``, generated from the rules
    examples    the base declaration the rules' examples are merged into

The families: :mod:`.structure`, :mod:`.consent`, :mod:`.provision`, :mod:`.tracking`,
:mod:`.rights`, :mod:`.notice`, :mod:`.necessity`. To add a rule, see :mod:`.catalogue`.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.declaration.lint.catalogue import BY_ID, RULES
    from yinsi.declaration.lint.files import UnknownRule, lint_file, lint_text
    from yinsi.declaration.lint.registry import Citation, Example, Rule, rule
    from yinsi.declaration.lint.run import check, lint, lint_checks
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "catalogue": ("BY_ID", "RULES"),
            "files": ("UnknownRule", "lint_file", "lint_text"),
            "registry": ("Citation", "Example", "Rule", "rule"),
            "run": ("check", "lint", "lint_checks"),
        },
    )

__all__ = [
    "BY_ID",
    "RULES",
    "Citation",
    "Example",
    "Rule",
    "UnknownRule",
    "check",
    "lint",
    "lint_checks",
    "lint_file",
    "lint_text",
    "rule",
]
