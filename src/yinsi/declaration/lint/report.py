"""Findings as data: a JSON list, or a SARIF 2.1.0 log for code-scanning tools.

Pure functions of the placed findings (:class:`~yinsi.declaration.errors.Problem`) and
the rule registry; the CLI prints what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from yinsi.declaration.errors import Problem, format_path
from yinsi.declaration.lint.catalogue import BY_ID, RULES
from yinsi.declaration.lint.registry import Rule

__all__ = ["SARIF_SCHEMA", "finding", "to_json", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _citations(rule_id: str | None) -> list[str]:
    rule = BY_ID.get(rule_id or "")
    return [str(c) for c in rule.citations] if rule else []


def finding(p: Problem) -> dict[str, Any]:
    """One finding as a JSON object."""
    return {
        "file": p.file,
        "line": p.line,
        "column": p.column,
        "path": format_path(p.path),
        "severity": p.severity,
        "rule": p.rule,
        "message": p.message,
        "citations": _citations(p.rule),
    }


def to_json(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Every finding as a JSON object, in the order given."""
    return [finding(p) for p in problems]


def _descriptor(rule: Rule, docs_url: str) -> dict[str, Any]:
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.fix} ({rule.cites})",
            "markdown": f"{rule.fix}\n\nCitations: {rule.cites}",
        },
        "helpUri": f"{docs_url}#{rule.id}",
        "defaultConfiguration": {"level": rule.severity},
        "properties": {
            "citations": [str(c) for c in rule.citations],
            "tags": [rule.family, *(["waivable"] if rule.waivable else [])],
        },
    }


def _uri(file: str) -> str:
    return quote(PurePath(file).as_posix())


def _result(p: Problem, index: dict[str, int]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(p.file)}}
    if p.line:
        physical["region"] = {"startLine": p.line, "startColumn": max(p.column, 1)}
    location: dict[str, Any] = {"physicalLocation": physical}
    if p.path:
        location["logicalLocations"] = [{"fullyQualifiedName": format_path(p.path)}]
    result: dict[str, Any] = {
        "level": p.severity,
        "message": {"text": p.message},
        "locations": [location],
    }
    if p.rule in index:
        result = {"ruleId": p.rule, "ruleIndex": index[p.rule], **result}
    return result


def to_sarif(
    problems: Sequence[Problem], *, version: str, docs_url: str = "docs/rules.md"
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run: every rule as a descriptor (with ``helpUri`` into
    ``docs_url``), every finding as a result with its file, line and column."""
    index = {r.id: i for i, r in enumerate(RULES)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "yinsi",
                        "version": version,
                        "rules": [_descriptor(r, docs_url) for r in RULES],
                    }
                },
                "results": [_result(p, index) for p in problems],
            }
        ],
    }
