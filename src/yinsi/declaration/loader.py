"""Load a declaration from YAML, reporting every problem as ``FILE:LINE:COL: message``.

PyYAML composes a node tree that keeps each node's position; we build plain data and a
map from document path to position in one walk, then validate types (pydantic) and
cross-references (:mod:`.checks`), and place every finding back in the file.

Before anything is built, the text is held to :class:`~.yaml_limits.YamlLimits` (size,
forbidden characters, nodes after expanding aliases, depth, aliases): a YAML bomb or a
huge file is one problem at ``FILE:LINE:COL``, found in milliseconds. A scalar YAML
types but Python cannot hold (``2022-02-30``, a 5,000-digit integer) is a problem at its
place too, never a traceback.
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
from yinsi.declaration.yaml_limits import (
    DEFAULT_LIMITS,
    YamlLimitError,
    YamlLimits,
    forbidden_character,
    line_column,
    scan,
    text_too_large,
    too_large,
)

SourceMap = dict[Path, tuple[int, int]]
Check = Callable[[Declaration], list[Issue]]
M = TypeVar("M", bound=BaseModel)


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (about 10x faster), else pure Python."""


class _Builder(_BaseLoader):  # type: ignore[valid-type,misc]  # CSafeLoader is a runtime alias
    """A SafeLoader that builds data and a source map, and rejects duplicate keys."""


_KINDS = {
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
}


def _scalar_problem(node: yaml.Node, exc: Exception) -> str:
    kind = _KINDS.get(node.tag, "value")
    shown = (
        (node.value or "(empty)")
        if len(node.value) <= 40
        else f"{node.value[:20]}… ({len(node.value):,} characters)"
    )
    if kind == "integer" and "digits" in str(exc):
        reason = "too many digits"
    elif isinstance(exc, ValueError | OverflowError):
        reason = str(exc).split(";")[0]
    else:
        reason = f"it does not fit its tag {node.tag.removeprefix('tag:yaml.org,2002:')}"
    return f"{shown!s} is not a valid {kind} ({reason}); fix it, or quote it to keep it as text"


def _construct(loader: _Builder, node: yaml.Node, bad: list[tuple[yaml.Node, str]]) -> Any:
    """The Python value of a node; a scalar Python cannot hold is recorded in ``bad``."""
    try:
        return loader.construct_object(node, deep=True)
    # datetime.date(2022, 2, 30), int("9" * 5000), and PyYAML's own failures on an explicit
    # tag that does not fit the value ("!!timestamp x": AttributeError, "!!int": IndexError)
    except (ValueError, ArithmeticError, AttributeError, LookupError, TypeError) as exc:
        bad.append((node, _scalar_problem(node, exc)))
        return None


def _walk(
    loader: _Builder,
    node: yaml.Node,
    path: Path,
    marks: SourceMap,
    issues: list[Issue],
    bad: list[tuple[yaml.Node, str]],
) -> Any:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, bad)
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
            result[key] = _walk(loader, value_node, (*path, key), marks, issues, bad)
            # a key's own mark points at the key; keep the value's mark only for containers
            if not isinstance(value_node, yaml.ScalarNode):
                marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(loader, item, (*path, i), marks, issues, bad) for i, item in enumerate(node.value)
        ]
    return _construct(loader, node, bad)


def _problem(filename: str, line: int, column: int, message: str) -> DeclarationError:
    return DeclarationError([Problem(filename, line, column, (), message)])


def _checked(text: str, filename: str, limits: YamlLimits) -> None:
    """Raise :class:`DeclarationError` if ``text`` passes a limit (nothing is built yet)."""
    if (why := text_too_large(text, limits)) is not None:
        raise _problem(filename, 1, 1, why)
    try:
        if (found := forbidden_character(text)) is not None:
            raise found
        scan(_Builder, text, limits)
    except YamlLimitError as exc:
        raise _problem(filename, exc.line, exc.column, exc.message) from None


def _yaml_error(exc: yaml.YAMLError, text: str, filename: str) -> DeclarationError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        return _problem(filename, line, col, f"YAML syntax error: {message}")
    if isinstance(exc, yaml.reader.ReaderError):  # a character the reader refuses
        line, col = line_column(text, max(0, min(exc.position, len(text))))
        return _problem(filename, line, col, f"YAML error: {exc.reason}")
    return _problem(filename, 1, 1, f"YAML error: {exc}")


def parse(
    text: str, filename: str = "<string>", limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse YAML text into data, a source map and structural issues (duplicate keys).

    Raises :class:`DeclarationError` (one problem at ``FILE:LINE:COL``) for a syntax
    error, text beyond ``limits``, or a scalar Python cannot hold.
    """
    try:
        _checked(text, filename, limits)
    except yaml.YAMLError as exc:  # a syntax error found by the scan
        raise _yaml_error(exc, text, filename) from None
    loader = _Builder(text)
    marks: SourceMap = {}
    issues: list[Issue] = []
    bad: list[tuple[yaml.Node, str]] = []
    try:
        node = loader.get_single_node()
        data = {} if node is None else _walk(loader, node, (), marks, issues, bad)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text, filename) from None
    finally:
        loader.dispose()
    if bad:
        raise DeclarationError(
            [
                Problem(filename, n.start_mark.line + 1, n.start_mark.column + 1, (), message)
                for n, message in bad
            ]
        )
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
        name = err["loc"][-1] if err["loc"] else ""  # a key of the file may hold "[" too
        if err["type"] == "extra_forbidden":
            message = f"unknown key {name!r}; check its spelling (see `yinsi schema`)"
        elif err["type"] == "missing":
            message = f"missing required key {name!r}"
        elif err["type"] in ("enum", "literal_error"):
            got = repr(err["input"])
            message = f"{message} (got {got if len(got) <= 80 else got[:60] + '…'})"
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


def read(
    text: str,
    filename: str = "<string>",
    checks: Sequence[Check] = (),
    *,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> Loaded:
    """Validate YAML text and return the declaration with all errors and warnings.

    ``checks`` are further rules run on a type-valid declaration (e.g. the policy's
    PIPL Art. 17 completeness); their findings are placed in the file like the others.
    """
    model, problems = read_model(text, filename, Declaration, [check, *checks], limits=limits)
    return Loaded(model, problems)


def read_model(
    text: str,
    filename: str,
    model: type[M],
    checks: Sequence[Callable[[M], list[Issue]]] = (),
    what: str = "a declaration",
    *,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> tuple[M | None, list[Problem]]:
    """Parse YAML text into ``model``, run ``checks`` and place every finding in the file.

    The model is ``None`` when any finding is an error. Used for declarations and for
    the files beside them (data maps).
    """
    try:
        data, marks, issues = parse(text, filename, limits)
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


def _not_utf8(path: str | FsPath, data: bytes, exc: UnicodeDecodeError) -> Problem:
    before = data[: exc.start]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return Problem(
        str(path),
        line,
        column,
        (),
        f"not UTF-8 text (byte 0x{data[exc.start]:02x}: {exc.reason}); save the file as UTF-8",
    )


def read_text(
    path: str | FsPath, limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[str | None, list[Problem]]:
    """A file's UTF-8 text; a missing, undecodable or too large file is a problem, not a
    crash (the size is checked before the file is read)."""
    fs_path = FsPath(path)
    try:
        if (why := too_large(fs_path.stat().st_size, limits)) is not None:
            return None, [Problem(str(path), 1, 1, (), why)]
        data = fs_path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(str(path), 0, 0, (), "file not found")]
    except IsADirectoryError:
        return None, [Problem(str(path), 0, 0, (), "is a directory, not a YAML file")]
    except OSError as exc:
        return None, [Problem(str(path), 0, 0, (), f"cannot be read ({exc.strerror})")]
    if (why := too_large(len(data), limits)) is not None:  # it grew since stat
        return None, [Problem(str(path), 1, 1, (), why)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(path, data, exc)]


def read_file(
    path: str | FsPath, checks: Sequence[Check] = (), *, limits: YamlLimits = DEFAULT_LIMITS
) -> Loaded:
    """Read a declaration file; a missing, undecodable or too large file is a problem, not
    a crash."""
    text, problems = read_text(path, limits)
    if text is None:
        return Loaded(None, problems)
    return read(text, str(path), checks, limits=limits)


def _ok(loaded: Loaded) -> Declaration:
    if loaded.declaration is None:
        raise DeclarationError(loaded.problems)
    return loaded.declaration


def loads(
    text: str, filename: str = "<string>", *, limits: YamlLimits = DEFAULT_LIMITS
) -> Declaration:
    """Validate YAML text; raise :class:`DeclarationError` carrying every problem found."""
    return _ok(read(text, filename, limits=limits))


def load(path: str | FsPath, *, limits: YamlLimits = DEFAULT_LIMITS) -> Declaration:
    """Load and validate a declaration file; raise :class:`DeclarationError` on errors."""
    return _ok(read_file(path, limits=limits))
