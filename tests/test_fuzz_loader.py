"""Fuzzing the loader (issue 14, input limits): arbitrary bytes, text, YAML-like token soup
and arbitrary structures inside a valid declaration give problems (``Loaded.problems`` or
:class:`DeclarationError`), never another exception. Bounded: the whole module runs in
well under 30 s (``max_examples`` per test, no deadline, no example database)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from yinsi.declaration import DeclarationError, Loaded, loads, read
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.declaration.loader import parse, read_file
from yinsi.declaration.yaml_limits import YamlLimits

EXAMPLES = int(os.environ.get("YINSI_FUZZ_EXAMPLES", "0"))
"""More examples, at random, for a longer campaign (``YINSI_FUZZ_EXAMPLES=5000``); by
default 100 fixed ones, the same on every run."""
BOUNDED = settings(
    max_examples=EXAMPLES or 100,
    deadline=None,
    database=None,
    derandomize=not EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SMALL = YamlLimits(max_bytes=20_000, max_nodes=2_000, max_depth=16, max_aliases=50)
"""Tight limits, so generated input reaches them too."""

BASE = (DATA / "base.yaml").read_text(encoding="utf-8")

TOKENS = [
    "a", "b", ":", ": ", "- ", "-", "\n", "  ", "    ", "&x ", "&y ", "*x", "*y", "<<: ", "[", "]",
    "{", "}", ", ", "? ", "|", ">", "'", '"', "#", "!!binary ", "!!timestamp ", "!!int ",
    "!!float ", "!!map ", "!!seq ", "!!str ", "!foo ", "%YAML 1.1\n", "---\n", "...\n",
    "2022-02-30", "2022-13-01", "1e999", "-.inf", ".nan", "0x1F", "0o17", "0b101", "1_000",
    "9" * 5000, "~", "null", "yes", "no", "on", "\t", "\x00", "\x07", "\x1b", "\x85", "\ufeff",
    "\u2028", "\ud800", "用户", "app:", "id: ", "policy:", "effective: ", "scenarios:",
]  # fmt: skip
"""Pieces of YAML (and of what is not YAML) the soup is made of."""


def problems_only(run: Any) -> list[Any]:
    """The problems of ``run()``, which may raise only :class:`DeclarationError`."""
    try:
        result = run()
    except DeclarationError as exc:
        assert exc.problems, "a DeclarationError carries its problems"
        return list(exc.problems)
    if isinstance(result, Loaded):
        assert (result.declaration is None) == bool(result.errors)
        return list(result.problems)
    return []


def well_placed(problems: list[Any], filename: str) -> None:
    for problem in problems:
        assert problem.file == filename and problem.line >= 0 and problem.column >= 0
        assert str(problem).startswith(filename) and problem.message


@BOUNDED
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_give_problems_never_an_exception(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    well_placed(problems_only(lambda: read_file(path, limits=SMALL)), str(path))
    well_placed(problems_only(lambda: read_data_map(path, limits=SMALL)[1]), str(path))


@BOUNDED
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=2_000))
def test_arbitrary_text_gives_problems_never_an_exception(text: str) -> None:
    well_placed(problems_only(lambda: read(text, "fuzz.yaml", limits=SMALL)), "fuzz.yaml")


@BOUNDED
@given(st.lists(st.sampled_from(TOKENS), max_size=80).map("".join))
def test_yaml_token_soup_gives_problems_never_an_exception(text: str) -> None:
    well_placed(problems_only(lambda: loads(text, "soup.yaml", limits=SMALL)), "soup.yaml")
    problems_only(lambda: parse(text, "soup.yaml", SMALL))


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.dates(min_value=dt.date(1, 1, 1))
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.binary(max_size=20)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=5)
    ),
    max_leaves=30,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (its mappings' keys and its lists' indexes)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


BASE_PATHS = _paths(yaml.safe_load(BASE))[1:]


@BOUNDED
@given(st.sampled_from(BASE_PATHS), VALUES)
def test_any_value_anywhere_in_a_declaration_gives_problems_never_an_exception(
    where: tuple[Any, ...], value: Any
) -> None:
    data = yaml.safe_load(BASE)
    parent = data
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] = value
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    well_placed(problems_only(lambda: read(text, "mutated.yaml")), "mutated.yaml")


@BOUNDED
@given(st.lists(st.sampled_from(BASE.splitlines(keepends=True)), max_size=60).map("".join))
def test_shuffled_lines_of_a_declaration_give_problems_never_an_exception(text: str) -> None:
    well_placed(problems_only(lambda: read(text, "lines.yaml")), "lines.yaml")
