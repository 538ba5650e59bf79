"""Load a declaration from YAML, reporting every problem as ``FILE:LINE:COL: message``.

PyYAML composes a node tree that keeps each node's position; we build plain data and a
map from document path to position in one walk, then validate types (pydantic) and
cross-references (:mod:`.checks`), and place every finding back in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from yinsi.declaration.checks import check
from yinsi.declaration.errors import DeclarationError, Issue, Path, Problem
from yinsi.declaration.schema import Declaration

SourceMap = dict[Path, tuple[int, int]]
Check = Callable[[Declaration], list[Issue]]
M = TypeVar("M", bound=BaseModel)


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (about 10x faster), else pure Python."""


class _Builder(_BaseLoader):  # type: ignore[valid-type,misc]  # CSafeLoader is a runtime alias
    """A SafeLoader that builds data and a source map, and rejects duplicate keys."""


def _walk(
    loader: _Builder, node: yaml.Node, path: Path, marks: SourceMap, issues: list[Issue]
) -> Any:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                key = str(key)
            if key in result:
                marks[(*path, key, "#dup")] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                issues.append(
                    Issue(
                        (*path, key, "#dup"),
                        f"duplicate key {key!r}; the first one would be silently lost",
                    )
                )
                continue
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _walk(loader, value_node, (*path, key), marks, issues)
            # a key's own mark points at the key; keep the value's mark only for containers
            if not isinstance(value_node, yaml.ScalarNode):
                marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, item, (*path, i), marks, issues) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse(text: str, filename: str = "<string>") -> tuple[Any, SourceMap, list[Issue]]:
    """Parse YAML text into data, a source map and structural issues (duplicate keys)."""
    loader = _Builder(text)
    marks: SourceMap = {}
    issues: list[Issue] = []
    try:
        node = loader.get_single_node()
        data = {} if node is None else _walk(loader, node, (), marks, issues)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise DeclarationError(
            [Problem(filename, line, col, (), f"YAML syntax error: {message}")]
        ) from None
    finally:
        loader.dispose()
    return data, marks, issues


def _place(issue: Issue, marks: SourceMap, filename: str) -> Problem:
    path = issue.path
    for n in range(len(path), -1, -1):
        if path[:n] in marks:
            line, col = marks[path[:n]]
            break
    else:  # pragma: no cover - the root is always marked
        line, col = 1, 1
    shown = tuple(p for p in path if p != "#dup")
    return Problem(filename, line, col, shown, issue.message, issue.severity, issue.rule)


def _pydantic_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(
            p for p in err["loc"] if isinstance(p, int) or not any(c in str(p) for c in "[](")
        )
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}; check its spelling (see `yinsi schema`)"
        elif err["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
        elif err["type"] in ("enum", "literal_error"):
            message = f"{message} (got {err['input']!r})"
        issues.append(Issue(loc, message))
    return issues


@dataclass(frozen=True, slots=True)
class Loaded:
    """The outcome of reading a declaration: the model (if valid) and every finding."""

    declaration: Declaration | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def read(text: str, filename: str = "<string>", checks: Sequence[Check] = ()) -> Loaded:
    """Validate YAML text and return the declaration with all errors and warnings.

    ``checks`` are further rules run on a type-valid declaration (e.g. the policy's
    PIPL Art. 17 completeness); their findings are placed in the file like the others.
    """
    model, problems = read_model(text, filename, Declaration, [check, *checks])
    return Loaded(model, problems)


def read_model(
    text: str,
    filename: str,
    model: type[M],
    checks: Sequence[Callable[[M], list[Issue]]] = (),
    what: str = "a declaration",
) -> tuple[M | None, list[Problem]]:
    """Parse YAML text into ``model``, run ``checks`` and place every finding in the file.

    The model is ``None`` when any finding is an error. Used for declarations and for
    the files beside them (data maps).
    """
    try:
        data, marks, issues = parse(text, filename)
    except DeclarationError as exc:
        return None, exc.problems
    value: M | None = None
    if not isinstance(data, dict):
        issues.append(Issue((), f"{what} must be a YAML mapping (key: value) at the top"))
    else:
        try:
            value = model.model_validate(data)
        except ValidationError as exc:
            issues.extend(_pydantic_issues(exc))
    if value is not None:
        for extra in checks:
            issues.extend(extra(value))
    problems = sorted(
        (_place(i, marks, filename) for i in issues), key=lambda p: (p.line, p.column)
    )
    if any(p.severity == "error" for p in problems):
        value = None
    return value, problems


def read_text(path: str | FsPath) -> tuple[str | None, list[Problem]]:
    """A file's UTF-8 text; a missing or undecodable file is a problem, not a crash."""
    fs_path = FsPath(path)
    try:
        return fs_path.read_text(encoding="utf-8"), []
    except FileNotFoundError:
        return None, [Problem(str(path), 0, 0, (), "file not found")]
    except IsADirectoryError:
        return None, [Problem(str(path), 0, 0, (), "is a directory, not a YAML file")]
    except UnicodeDecodeError as exc:
        return None, [
            Problem(str(path), 1, 1, (), f"not UTF-8 text ({exc.reason}); save the file as UTF-8")
        ]


def read_file(path: str | FsPath, checks: Sequence[Check] = ()) -> Loaded:
    """Read a declaration file; a missing or undecodable file is a problem, not a crash."""
    text, problems = read_text(path)
    if text is None:
        return Loaded(None, problems)
    return read(text, str(path), checks)


def _ok(loaded: Loaded) -> Declaration:
    if loaded.declaration is None:
        raise DeclarationError(loaded.problems)
    return loaded.declaration


def loads(text: str, filename: str = "<string>") -> Declaration:
    """Validate YAML text; raise :class:`DeclarationError` carrying every problem found."""
    return _ok(read(text, filename))


def load(path: str | FsPath) -> Declaration:
    """Load and validate a declaration file; raise :class:`DeclarationError` on errors."""
    return _ok(read_file(path))
