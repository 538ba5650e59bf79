"""``docs/rules.md``, generated from the rules themselves.

    python -m yinsi.declaration.lint.docs > docs/rules.md

tests/test_lint_rules.py fails when the file is out of date.
"""

from __future__ import annotations

import importlib

from yinsi.declaration.lint.catalogue import FAMILIES, RULES
from yinsi.declaration.lint.examples import BASE
from yinsi.declaration.lint.registry import Example, Rule

__all__ = ["markdown"]

_STAGE = {
    "load": "checked on every load",
    "lint": "checked by `yinsi lint` and `yinsi validate`",
}

INTRO = """\
# Lint rules

Generated from the rules themselves by `python -m yinsi.declaration.lint.docs >
docs/rules.md` (the rules live in `src/yinsi/declaration/lint/`); do not edit by hand.

`yinsi lint FILE… [--format text|json|sarif] [--rule ID …]` runs every rule below;
`yinsi validate` runs the same rules. Each finding is printed as
`FILE:LINE:COL: [warning: ]path: message [rule-id]`, and its message cites the article
it rests on. Rules *checked on every load* run whenever a declaration is loaded (their
errors make it unusable); the others run under `yinsi lint` and `yinsi validate`.
Errors fail the command (exit 1); warnings are gaps to review. A *waivable* rule's
error can be recorded as a known gap of a source policy with a `waivers` entry (rule,
id, reason): it stays visible as a warning that cites the reason.

Each rule has a failing and a passing example: a YAML fragment merged into the base
declaration at the end of this page (mappings merge key by key, lists of items with ids
merge item by item; "replaces" names a list the fragment replaces). An empty fragment is
the base declaration itself. The tests run every rule on both.

To add a rule: write its check in the module of its family, decorate it with
`@rule(id, severity, title=…, cites=…, explanation=…, fix=…, failing=…, passing=…)`,
add it to the module's `RULES`, and regenerate this page.
"""


def _anchor(rule: Rule) -> str:
    return f"[`{rule.id}`](#{rule.id})"


def _summary() -> list[str]:
    lines = ["| rule | severity | cites | what it finds |", "|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| {_anchor(r)} | {r.severity} | {r.cites} | {r.title} |")
    return lines


def _example(label: str, example: Example) -> list[str]:
    if not example.yaml.strip():
        return [f"**{label}:** the base declaration.", ""]
    replaces = f" (replaces `{'`, `'.join(example.replaces)}`)" if example.replaces else ""
    return [f"**{label}**{replaces}:", "", "```yaml", example.yaml.strip(), "```", ""]


def _rule(r: Rule) -> list[str]:
    waivable = " · waivable" if r.waivable else ""
    into = r.merges_into
    merged = (
        [f"Refines [`{into}`](#{into}): at the same place it is reported within that finding.", ""]
        if into
        else []
    )
    lines = [
        f'<a id="{r.id}"></a>',
        f"### `{r.id}` — {r.title}",
        "",
        f"**{r.severity}** · {_STAGE[r.stage]}{waivable}",
        "",
        "Cites: " + "; ".join(f"{c} ({c.chinese})" for c in r.citations),
        "",
        r.explanation,
        "",
        *merged,
        *_example("Fails", r.failing),
        *_example("Passes", r.passing),
        f"**Fix:** {r.fix}",
        "",
    ]
    return lines


def markdown() -> str:
    """The whole of ``docs/rules.md``."""
    lines = [INTRO, *_summary(), ""]
    for module in FAMILIES:
        name = module.__name__.rsplit(".", 1)[-1]
        doc = (importlib.import_module(module.__name__).__doc__ or "").strip()
        lines += [f"## {name}", "", " ".join(doc.split("\n\n")[0].split()), ""]
        for r in module.RULES:
            lines += _rule(r)
    lines += ["## The base declaration", "", "```yaml", BASE.rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
