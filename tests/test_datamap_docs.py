"""docs/datamap.md documents every key of the data map, and `yinsi map schema` prints it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.declaration.datamap import DataMap, Strategy

DOC = Path(__file__).resolve().parent.parent / "docs" / "datamap.md"


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every key (alias) the model and the models nested in it accept."""
    keys: set[str] = set()
    if model in seen:
        return keys
    seen.add(model)
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        for nested in _models(info.annotation):
            keys |= _keys(nested, seen)
    return keys


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models(arg)]


def test_every_key_the_model_accepts_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    keys = _keys(DataMap, set())
    assert {"references", "provides", "while", "blind_index", "recipient"} <= keys
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"keys not documented in docs/datamap.md: {missing}"


def test_every_erase_strategy_and_store_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for value in [*(s.value for s in Strategy), "sql", "redis", "webhook", "row", "fields"]:
        assert f"`{value}`" in text, value


def test_the_reference_answers_the_questions_of_issue_17() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "no foreign key" in text.lower()
    assert re.search(r"references: loan_no", text)  # a non-primary-key reference
    assert "**empty (NULL)**" in text and "**empty `since`**" in text
    assert "below the root too" in text
    assert "### `subject` vs `parent`" in text
    assert "## Which elements a map may use" in text


def test_map_schema_prints_the_json_schema() -> None:
    result = CliRunner().invoke(app, ["map", "schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(DataMap.model_json_schema()))
    assert {"app", "stores", "datasets"} <= set(schema["required"])


def test_the_documented_example_map_is_valid(tmp_path: Path) -> None:
    from yinsi.declaration import read_file
    from yinsi.declaration.datamap_checks import read_data_map

    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(app: .*?)```", text, re.S)
    assert example is not None
    path = tmp_path / "datamap.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    declaration = read_file(DOC.parent.parent / "examples/declarations/xiaoying-kadai.yaml")
    data_map, problems = read_data_map(path, declaration.declaration)
    assert data_map is not None, [str(p) for p in problems]
    assert not [p for p in problems if p.path[:1] != ("datasets",) or len(p.path) > 1]
