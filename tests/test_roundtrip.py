"""Nothing is lost: a declaration written back to YAML loads as the same declaration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings

from conftest import EXAMPLES
from test_diff_properties import declarations
from yinsi.declaration import Declaration, load, loads
from yinsi.declaration.diff import diff


def _to_yaml(d: Declaration) -> str:
    return yaml.safe_dump(d.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_round_trip_through_yaml(path: Path) -> None:
    d = load(path)
    again = loads(_to_yaml(d), path.name)
    assert again == d
    assert diff(d, again) == []


@settings(max_examples=60, deadline=None)
@given(declarations())
def test_any_declaration_round_trips_through_json_and_yaml(d: Declaration) -> None:
    assert Declaration.model_validate(yaml.safe_load(_to_yaml(d))) == d
    assert Declaration.model_validate_json(d.model_dump_json()) == d
