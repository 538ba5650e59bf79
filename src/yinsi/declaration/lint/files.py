"""Lint a declaration file: every finding placed as FILE:LINE:COL, with its rule id.

The loader reports what it finds itself (a file it cannot read, YAML syntax, duplicate
keys, schema types) under the rule id ``schema``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path as FsPath

from yinsi.declaration.errors import Problem
from yinsi.declaration.lint.catalogue import BY_ID
from yinsi.declaration.lint.run import lint_checks
from yinsi.declaration.loader import read, read_file
from yinsi.declaration.yaml_limits import DEFAULT_LIMITS, YamlLimits

__all__ = ["SCHEMA_RULE", "UnknownRule", "labelled", "lint_file", "lint_text", "merged"]

SCHEMA_RULE = "schema"
"""The id of findings the loader reports itself: unreadable file, YAML syntax, types."""


class UnknownRule(ValueError):
    """``select`` names a rule id that does not exist."""


def merged(problems: list[Problem]) -> list[Problem]:
    """Fold each finding of a rule that refines another (``Rule.merges_into``) into that
    rule's finding at the same place, so one gap is reported once."""
    target = {(p.file, p.path, p.rule or ""): i for i, p in enumerate(problems)}
    out: dict[int, Problem] = dict(enumerate(problems))
    for i, p in enumerate(problems):
        rule = BY_ID.get(p.rule or "")
        if rule is None or rule.merges_into is None:
            continue
        into = target.get((p.file, p.path, rule.merges_into))
        if into is not None and into in out:
            host = out[into]
            out[into] = replace(host, message=f"{host.message} (also {p.rule}: {p.message})")
            del out[i]
    return list(out.values())


def labelled(problems: list[Problem], select: Collection[str] | None = None) -> list[Problem]:
    """``problems`` with the loader's own findings labelled ``schema`` and refinements
    merged (:func:`merged`); only those of the rules in ``select`` when given
    (:class:`UnknownRule` for an id no rule has)."""
    out = [p if p.rule else replace(p, rule=SCHEMA_RULE) for p in problems]
    if select is not None:
        unknown = sorted(set(select) - set(BY_ID))
        if unknown:
            raise UnknownRule(
                f"unknown rule {', '.join(unknown)}; rules: {', '.join(sorted(BY_ID))}"
            )
        out = [p for p in out if p.rule in select]
    return merged(out)


def lint_text(
    text: str, filename: str = "<string>", select: Collection[str] | None = None
) -> list[Problem]:
    """Every finding on a declaration's YAML text, placed as FILE:LINE:COL, in file order;
    only those of the rules in ``select`` when given."""
    return labelled(read(text, filename, checks=(lint_checks,)).problems, select)


def lint_file(
    path: str | FsPath,
    select: Collection[str] | None = None,
    *,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> list[Problem]:
    """:func:`lint_text` on a file; a missing, undecodable or too large file is a finding
    too."""
    return labelled(read_file(path, checks=(lint_checks,), limits=limits).problems, select)
