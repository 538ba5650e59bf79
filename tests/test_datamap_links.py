"""Data-map links of issue 6: a processor's dataset names its declared ``recipient`` (used
when the entrustment ends, X21), and an encrypted column names its blind-index column and
cipher context (used by ``yinsi keys reindex``, W17). Problems come as FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from yinsi.declaration.datamap import MappedField
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.declaration.errors import Problem
from yinsi.declaration.loader import load
from yinsi.services.sharing import NoProcessorDataset, processor_dataset

ROOT = Path(__file__).resolve().parent.parent
DECL = load(ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml")

HEAD = """\
app: xiaoying_kadai
stores:
  - {id: core, kind: sql, url: "sqlite://"}
  - {id: collector, kind: webhook, url: "https://collector.example/yinsi", secret: "${S}"}
datasets:
  - id: users
    label: 用户
    store: core
    table: users
    primary_key: id
    subject: {column: id}
    fields:
      - {column: phone_enc, element: mobile_number, encrypted: true,
         blind_index: {column: phone_bidx, kind: phone}}
"""


def problems(tmp_path: Path, datasets: str) -> list[Problem]:
    path = tmp_path / "datamap.yaml"
    path.write_text(HEAD + datasets, encoding="utf-8")
    _, found = read_data_map(path, DECL)
    # the declaration collects far more than these few datasets hold: not what is tested
    return [p for p in found if "no dataset holds it" not in p.message]


COLLECTOR = """\
  - id: collection_cases
    label: 催收机构持有的信息
    store: collector
    key: "case:{user_id}"
    recipient: post_loan_collection
    elements: [name, overdue_info]
"""


def test_x21_a_processor_dataset_names_its_declared_recipient(tmp_path: Path) -> None:
    assert problems(tmp_path, COLLECTOR) == []
    data_map, _ = read_data_map(tmp_path / "datamap.yaml", DECL)
    assert data_map is not None
    assert processor_dataset(data_map, "post_loan_collection").id == "collection_cases"
    with pytest.raises(NoProcessorDataset, match="recipient: funders"):
        processor_dataset(data_map, "funders")


def test_x21_an_undeclared_recipient_is_an_error_at_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, COLLECTOR.replace("post_loan_collection", "debt_buyer"))
    assert len(found) == 1
    assert found[0].severity == "error" and found[0].line == 19
    assert str(found[0]).startswith(f"{tmp_path / 'datamap.yaml'}:19:")
    assert "'debt_buyer' is not declared" in found[0].message
    assert "post_loan_collection" in found[0].message  # the declared ones are listed


def test_x21_a_recipient_holding_undeclared_elements_is_a_warning(tmp_path: Path) -> None:
    found = problems(tmp_path, COLLECTOR.replace("[name, overdue_info]", "[name, face]"))
    assert [(p.severity, p.line) for p in found] == [("warning", 20)]
    assert "'face'" in found[0].message and "Arts. 21, 23" in found[0].message


def test_x21_recipient_only_on_webhook_datasets_and_once(tmp_path: Path) -> None:
    sql = """\
  - id: shared_rows
    label: 提供给资金方的数据
    store: core
    table: shared_rows
    primary_key: id
    parent: {dataset: users, column: user_id}
    recipient: funders
    fields:
      - {column: name, element: name}
"""
    found = problems(tmp_path, sql)
    assert len(found) == 1 and "webhook store" in found[0].message and found[0].line == 21
    twice = COLLECTOR + COLLECTOR.replace("id: collection_cases", "id: collection_more")
    found = problems(tmp_path, twice)
    assert len(found) == 1 and "already the recipient of dataset 'collection_cases'" in str(
        found[0]
    )


def test_w17_a_blind_index_belongs_to_an_encrypted_column_of_its_own(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="for encrypted columns"):
        MappedField.model_validate(
            {
                "column": "phone",
                "element": "mobile_number",
                "blind_index": {"column": "b", "kind": "phone"},
            }
        )
    with pytest.raises(ValidationError, match="its own column"):
        MappedField.model_validate(
            {
                "column": "phone",
                "element": "mobile_number",
                "encrypted": True,
                "blind_index": {"column": "phone", "kind": "phone"},
            }
        )
    clash = """\
  - id: contacts
    label: 联系人
    store: core
    table: contacts
    primary_key: id
    parent: {dataset: users, column: user_id}
    fields:
      - {column: phone_enc, element: mobile_number, encrypted: true,
         blind_index: {column: name, kind: phone}}
      - {column: name, element: name}
"""
    found = problems(tmp_path, clash)
    assert len(found) == 1 and found[0].line == 23
    assert "column 'name' is mapped as a field" in found[0].message
