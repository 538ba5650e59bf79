"""A correction writes each column whose format the new value fits (X27).

An emergency contact's name and phone both hold ``emergency_contacts`` (``yinsi map
draft`` maps them so): a correction to “王小五” wrote the name into the phone column too.
Now a column takes the value only when it fits the column's format, and a value two
columns of one dataset would both take is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import EXAMPLES
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.loader import load
from yinsi.rights.corrections import AmbiguousColumns, check_corrections, columns_for
from yinsi.rights.plan import Action
from yinsi.rights.planner import plan
from yinsi.rights.ports import Record
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.rights.walk import Found
from yinsi.taxonomy import RightKind


def _map(
    name_format: str | None = None,
    phone_format: str | None = None,
    *,
    columns: tuple[str, str] = ("contact_name", "contact_mobile"),
) -> DataMap:
    def field(column: str, fmt: str | None) -> dict[str, Any]:
        return {"column": column, "element": "emergency_contacts", "format": fmt}

    return DataMap.model_validate(
        {
            "app": "xiaoying_kadai",
            "stores": [{"id": "app", "kind": "sql", "url": "${APP_URL}"}],
            "datasets": [
                {
                    "id": "contacts",
                    "label": "紧急联系人",
                    "store": "app",
                    "table": "contacts",
                    "primary_key": "id",
                    "subject": {"column": "user_id"},
                    "fields": [
                        field(columns[0], name_format),
                        field(columns[1], phone_format),
                    ],
                }
            ],
        }
    )


def _columns(data_map: DataMap, value: str) -> list[object]:
    request = RightsRequest(
        id="req_1",
        app_id="xiaoying_kadai",
        subject_id="u1",
        kind=RightKind.CORRECTION,
        status=Status.APPROVED,
        received_at=datetime(2026, 12, 7, tzinfo=UTC),
        corrections={"emergency_contacts": value},
    )
    found = Found(
        records={"contacts": [Record("contacts", "7", {})]}, identities={"user_id": ["u1"]}
    )
    steps = plan(request, data_map, load(EXAMPLES / "xiaoying-kadai.yaml"), found)
    return [s.params["field"] for s in steps if s.action is Action.CORRECT]


def test_x27_a_value_two_columns_of_a_dataset_would_take_is_refused_naming_them() -> None:
    with pytest.raises(AmbiguousColumns) as caught:
        check_corrections(_map(), {"emergency_contacts": "王小五"})
    assert "客服" in caught.value.person_text  # what the privacy center shows the person
    said = str(caught.value)
    assert "contact_name, contact_mobile" in said and "`format`" in said
    with pytest.raises(InvalidRequest, match="contact_name, contact_mobile"):
        _columns(_map(), "王小五")  # the plan refuses it too


def test_x27_each_column_takes_only_the_values_that_fit_its_format() -> None:
    data_map = _map("name_cn", "phone_cn")
    check_corrections(data_map, {"emergency_contacts": "王小五"})
    check_corrections(data_map, {"emergency_contacts": "13912345678"})
    assert _columns(data_map, "王小五") == ["contact_name"]
    assert _columns(data_map, "13912345678") == ["contact_mobile"]
    with pytest.raises(InvalidRequest, match="emergency_contacts"):
        check_corrections(data_map, {"emergency_contacts": "12345"})  # fits neither


def test_x27_the_column_whose_format_the_map_states_takes_the_value_not_its_hash() -> None:
    """``users.mobile_number`` (format phone_cn) and ``users.phone_hash`` (the app's hash
    of it, no format) both hold mobile_number: the correction writes the former only."""
    data_map = _map(phone_format="phone_cn")
    check_corrections(data_map, {"emergency_contacts": "13912345678"})
    assert _columns(data_map, "13912345678") == ["contact_mobile"]


def test_x27_a_relation_is_never_taken_for_a_contacts_name() -> None:
    """配偶 fits a name's characters; written into the contact's name column it would
    erase the name. A relation goes to the relation column, stated or not."""
    data_map = _map("name_cn", None, columns=("lxr_xm", "gx"))
    contacts = data_map.datasets[0]
    assert [f.name for f in columns_for(contacts, "emergency_contacts", "配偶")] == ["gx"]
    assert [f.name for f in columns_for(contacts, "emergency_contacts", "王小五")] == ["lxr_xm"]
