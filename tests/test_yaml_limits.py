"""Hostile YAML (issue 14, input limits): bombs, huge files, deep nesting, forbidden
characters and scalars Python cannot hold are one problem at FILE:LINE:COL, refused within
1 s and 100 MB, with exit 1 from every command and never a traceback."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from typer.testing import CliRunner, Result

from conftest import DATA, EXAMPLES
from yinsi.api.limits import MAX_BODY_BYTES
from yinsi.cli.app import app
from yinsi.declaration import DeclarationError, loads, read, read_file
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.declaration.loader import parse
from yinsi.declaration.yaml_limits import (
    DEFAULT_LIMITS,
    MAX_BYTES,
    MAX_NODES,
    YamlLimits,
)
from yinsi.settings import load_settings
from yinsi.settings.inputs import InputSettings

runner = CliRunner()

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
"""The classic "billion laughs": 342 bytes, 9⁹ strings once expanded."""

TWO_MILLION = "items:\n" + "- 1\n" * 2_000_000
"""A 10 MB YAML file with a two-million-item list (issue 14)."""


def test_the_bomb_is_the_342_byte_one_of_the_issue() -> None:
    assert len(LAUGHS.encode()) == 342


T = TypeVar("T")


def bounded(run: Callable[[], T], seconds: float = 1.0, megabytes: int = 100) -> T:
    """``run()``'s result, asserting it takes under ``seconds`` (timed alone) and allocates
    under ``megabytes`` at peak (a second run, traced): generous bounds, not benchmarks."""
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak < megabytes * 1_000_000, f"peak {peak / 1e6:.0f} MB"
    return result


def refused(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> str:
    """The one problem ``text`` is refused with, as printed."""
    with pytest.raises(DeclarationError) as caught:
        parse(text, "app.yaml", limits)
    (problem,) = caught.value.problems
    return str(problem)


def no_traceback(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ bombs and huge files


def test_billion_laughs_is_refused_within_1s_and_100mb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(LAUGHS, encoding="utf-8")
    loaded = bounded(lambda: read_file(bomb))
    (problem,) = loaded.problems
    assert loaded.declaration is None
    assert str(problem).startswith(f"{bomb}:")
    assert f"more than {MAX_NODES:,} YAML nodes (aliases expanded)" in problem.message
    assert problem.line > 1 and problem.column > 1  # at the alias that passed the limit


def test_merge_key_bomb_is_refused_too() -> None:
    text = "a: &a {x: 1, y: 2, z: 3}\n" + "".join(
        f"{n}: &{n} {{<<: [{', '.join([f'*{p}'] * 9)}]}}\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert "YAML nodes (aliases expanded)" in bounded(lambda: refused(text))


def test_a_ten_megabyte_file_of_two_million_items_is_refused_by_its_size(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(TWO_MILLION, encoding="utf-8")
    assert big.stat().st_size >= 8_000_000
    loaded = bounded(lambda: read_file(big))
    (problem,) = loaded.problems
    assert (problem.line, problem.column) == (1, 1)
    assert f"the limit is {MAX_BYTES:,}" in problem.message
    assert "YINSI_INPUTS__YAML_MAX_BYTES" in problem.message


def test_two_million_items_under_a_raised_size_limit_stop_at_the_node_limit() -> None:
    limits = YamlLimits(max_bytes=20_000_000)
    # 100,000 events parsed before the refusal (about 0.4 s; 3 s leaves room for a busy CI
    # machine): with the default size limit the file never gets this far (the test above)
    message = bounded(lambda: refused(TWO_MILLION, limits), seconds=3.0)
    assert f"more than {MAX_NODES:,} YAML nodes" in message


def test_text_over_the_size_limit_is_refused_before_parsing() -> None:
    message = bounded(lambda: refused("a: " + "x" * 3_000_000 + "\n"))
    assert message.startswith("app.yaml:1:1: the file is 3,000,004 bytes")


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    block = "".join(f"{'  ' * i}k:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
    message = bounded(lambda: refused(block))
    assert message.startswith("app.yaml:65:") and "nested more than 64 deep" in message
    flow = bounded(lambda: refused("a: " + "[" * 50_000 + "]" * 50_000 + "\n"))
    assert "nested more than 64 deep" in flow or "exceeded maximum nesting depth" in flow


def test_depth_counts_aliases_where_they_expand() -> None:
    deep = "[" * 40 + "1" + "]" * 40
    message = refused(f"a: &a {deep}\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n")
    assert message.startswith("app.yaml:2:") and "nested more than 64 deep" in message


def test_a_recursive_alias_is_refused() -> None:
    assert "refers to a list or mapping holding it" in refused("a: &a [1, *a]\n")


def test_long_text_aliased_many_times_is_refused() -> None:
    text = "a: &a " + "x" * 1_000_000 + "\nb: [" + ", ".join(["*a"] * 20) + "]\n"
    assert "characters of text (aliases expanded)" in bounded(lambda: refused(text))


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 1_001) + "]\n"
    assert "more than 1,000 aliases" in refused(text)


def test_a_few_aliases_within_the_limits_still_work() -> None:
    data, _, _ = parse("a: &a [1, 2]\nb: *a\nc: {<<: {x: 1}, y: 2}\n")
    assert data == {"a": [1, 2], "b": [1, 2], "c": {"x": 1, "y": 2}}


def test_the_examples_pass_well_within_the_default_limits() -> None:
    tight = YamlLimits(max_bytes=400_000, max_nodes=20_000, max_depth=16)
    for path in sorted(EXAMPLES.glob("*.yaml")):
        loaded = read_file(path, limits=tight)
        assert loaded.declaration is not None, [str(p) for p in loaded.errors]


def test_the_data_map_reader_is_bounded_too(tmp_path: Path) -> None:
    bomb = tmp_path / "datamap.yaml"
    bomb.write_text(LAUGHS, encoding="utf-8")
    data_map, problems = bounded(lambda: read_data_map(bomb))
    assert data_map is None and "YAML nodes (aliases expanded)" in problems[0].message


# ------------------------------------------------------------------ characters and scalars


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x07", "U+0007 (BEL)"),
        ("\x1b", "U+001B (ESC)"),
        ("\x7f", "U+007F (DEL)"),
        ("\x9b", "U+009B"),
        ("\ufffe", "U+FFFE"),
    ],
)
def test_a_control_character_is_named_at_its_line_and_column(char: str, name: str) -> None:
    message = refused(f"app:\n  id: ab{char}cd\n")
    assert message.startswith(f"app.yaml:2:9: control character {name}")


def test_an_impossible_date_is_a_problem_at_its_place() -> None:
    with pytest.raises(DeclarationError) as caught:
        loads("policy:\n  effective: 2022-02-30\n", "app.yaml")
    (problem,) = caught.value.problems
    assert str(problem).startswith("app.yaml:2:14: 2022-02-30 is not a valid date")
    assert "quote it" in problem.message


def test_a_5000_digit_integer_is_a_problem_at_its_place() -> None:
    message = str(read(f"a: 1\nn: {'9' * 5000}\n", "app.yaml").problems[0])
    assert (
        message.startswith("app.yaml:2:4:") and "not a valid integer (too many digits)" in message
    )
    assert "9" * 100 not in message  # not echoed in full


@pytest.mark.parametrize(
    "value", ["!!int", "!!int x", "!!timestamp x", "!!bool maybe", "!!float x", "!!binary @"]
)
def test_a_value_that_does_not_fit_its_explicit_tag_is_a_problem(value: str) -> None:
    with pytest.raises(DeclarationError) as caught:
        parse(f"a: 1\nb: {value}\n", "app.yaml")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("app.yaml", 2) and problem.column >= 4


def test_every_bad_scalar_is_reported_not_only_the_first() -> None:
    with pytest.raises(DeclarationError) as caught:
        parse("a: 2022-02-30\nb: 2021-13-01\n", "app.yaml")
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, 4), (2, 4)]


def test_invalid_utf8_is_placed_at_the_bad_byte(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes("app:\n  name: 小赢\xff\n".encode().replace(b"\xc3\xbf", b"\xff"))
    (problem,) = read_file(bad).problems
    assert str(problem).startswith(f"{bad}:2:11: not UTF-8 text (byte 0xff")


# ------------------------------------------------------------------ the commands


@pytest.fixture
def hostile(tmp_path: Path) -> Callable[[str], Path]:
    def write(name: str) -> Path:
        texts = {
            "bomb": LAUGHS.encode(),
            "nul": b"app:\n  id: a\x00b\n",
            "bel": b"app:\n  id: a\x07b\n",
            "esc": b"app:\n  id: a\x1bb\n",
            "date": b"policy:\n  effective: 2022-02-30\n",
            "bigint": b"n: " + b"9" * 5000 + b"\n",
            "utf8": b"app:\n  id: \xff\xfe\n",
            "deep": b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        }
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(texts[name])
        return path

    return write


CASES = ["bomb", "nul", "bel", "esc", "date", "bigint", "utf8", "deep"]


@pytest.mark.parametrize("case", CASES)
def test_validate_and_lint_print_file_line_col_and_exit_1(
    hostile: Callable[[str], Path], case: str
) -> None:
    path = hostile(case)
    for command in (["validate", str(path)], ["lint", str(path)]):
        result = runner.invoke(app, command)
        no_traceback(result)
        assert f"{path}:" in result.output


@pytest.mark.parametrize("case", CASES)
def test_render_and_diff_exit_1_without_a_traceback(
    hostile: Callable[[str], Path], case: str
) -> None:
    path = hostile(case)
    good = str(DATA / "base.yaml")
    for command in (["render", str(path)], ["diff", good, str(path)], ["diff", str(path), good]):
        result = runner.invoke(app, command)
        no_traceback(result)
        assert f"{path}:" in result.output


# ------------------------------------------------------------------ settings


def test_the_settings_defaults_are_the_documented_constants() -> None:
    inputs = InputSettings()
    assert YamlLimits.of(inputs) == DEFAULT_LIMITS
    assert inputs.max_body_bytes == MAX_BODY_BYTES


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINSI_INPUTS__YAML_MAX_NODES", "200")
    limits = YamlLimits.of(load_settings().inputs)
    assert limits.max_nodes == 200
    loaded = read_file(DATA / "base.yaml", limits=limits)
    assert "more than 200 YAML nodes" in loaded.problems[0].message
