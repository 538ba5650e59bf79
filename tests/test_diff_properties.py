"""Properties of the declaration diff, on random mutations of a small valid declaration."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from yinsi.declaration import Declaration, load
from yinsi.declaration.diff import Change, diff, mirror, to_json

BASE = load(Path(__file__).parent / "data" / "diff" / "base.yaml")

Data = dict[str, Any]
Mutation = Callable[[Data, st.DrawFn], None]

ELEMENTS = ["name", "mobile_number", "id_number", "email", "occupation", "face", "device_model"]
PURPOSES = ["account_registration", "identity_verification", "anti_fraud", "marketing"]
PERIODS = [None, "1m", "3m", "1y", "5y", "10y"]


def _index(draw: st.DrawFn, items: list[Any]) -> int:
    return draw(st.integers(0, len(items) - 1))


def _pick(draw: st.DrawFn, items: list[Any]) -> Any:
    return items[_index(draw, items)]


def _fresh_id(draw: st.DrawFn, items: list[Data], prefix: str) -> str | None:
    ident = f"{prefix}_{draw(st.integers(0, 9))}"
    return None if any(item["id"] == ident for item in items) else ident


def _purposes(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True))


# ---------------------------------------------------------------- mutations


def add_scenario(d: Data, draw: st.DrawFn) -> None:
    if ident := _fresh_id(draw, d["scenarios"], "extra"):
        scenario = copy.deepcopy(_pick(draw, d["scenarios"]))
        d["scenarios"].append({**scenario, "id": ident, "purposes": _purposes(draw)})


def remove_scenario(d: Data, draw: st.DrawFn) -> None:
    if len(d["scenarios"]) > 1:
        del d["scenarios"][_index(draw, d["scenarios"])]


def add_element(d: Data, draw: st.DrawFn) -> None:
    elements = _pick(draw, d["scenarios"])["elements"]
    element = draw(st.sampled_from(ELEMENTS))
    if all(e["id"] != element for e in elements):
        elements.append({"id": element, "required": draw(st.booleans()), "note": ""})


def remove_element(d: Data, draw: st.DrawFn) -> None:
    elements = _pick(draw, d["scenarios"])["elements"]
    if len(elements) > 1:
        del elements[_index(draw, elements)]


def change_purposes(d: Data, draw: st.DrawFn) -> None:
    _pick(draw, d["scenarios"])["purposes"] = _purposes(draw)


def add_recipient(d: Data, draw: st.DrawFn) -> None:
    if ident := _fresh_id(draw, d["recipients"], "recipient"):
        d["recipients"].append(
            {
                "id": ident,
                "kind": draw(
                    st.sampled_from(["affiliate", "entrusted_processor", "other_handler"])
                ),
                "name": "合作方",
                "purposes": _purposes(draw),
                "elements": draw(st.lists(st.sampled_from(ELEMENTS), min_size=1, unique=True)),
                "consent": "sensitive_identity",
                "delete_on_end": True,
            }
        )


def remove_recipient(d: Data, draw: st.DrawFn) -> None:
    if d["recipients"]:
        del d["recipients"][_index(draw, d["recipients"])]


def add_sdk(d: Data, draw: st.DrawFn) -> None:
    if ident := _fresh_id(draw, d["sdks"], "sdk"):
        d["sdks"].append(
            {
                "id": ident,
                "name": "统计SDK",
                "function": "统计分析",
                "provider": "某科技有限公司",
                "elements": draw(st.lists(st.sampled_from(ELEMENTS), unique=True)),
                "purposes": _purposes(draw),
                "consent": "privacy_policy",
            }
        )


def remove_sdk(d: Data, draw: st.DrawFn) -> None:
    if d["sdks"]:
        del d["sdks"][_index(draw, d["sdks"])]


def change_sdk_elements(d: Data, draw: st.DrawFn) -> None:
    if d["sdks"]:
        sdk = _pick(draw, d["sdks"])
        sdk["elements"] = draw(st.lists(st.sampled_from(ELEMENTS), max_size=3, unique=True))


def change_scenario_recipients(d: Data, draw: st.DrawFn) -> None:
    ids = [r["id"] for r in d["recipients"]]
    recipients = st.lists(st.sampled_from(ids), unique=True) if ids else st.just([])
    _pick(draw, d["scenarios"])["recipients"] = draw(recipients)


def change_permissions(d: Data, draw: st.DrawFn) -> None:
    use = st.fixed_dictionaries(
        {
            "permission": st.sampled_from(["camera", "location", "photos"]),
            "required": st.booleans(),
        }
    )
    uses = st.lists(use, max_size=2, unique_by=lambda u: u["permission"])
    _pick(draw, d["scenarios"])["permissions"] = draw(uses)


def change_deadline(d: Data, draw: st.DrawFn) -> None:
    deadline = st.none() | st.fixed_dictionaries(
        {
            "working_days": st.integers(1, 20),
            "counted_from": st.sampled_from(["receipt", "verification"]),
        }
    )
    _pick(draw, d["rights"]["items"])["deadline"] = draw(deadline)


def remove_right(d: Data, draw: st.DrawFn) -> None:
    if len(d["rights"]["items"]) > 1:
        del d["rights"]["items"][_index(draw, d["rights"]["items"])]


def change_self_service(d: Data, draw: st.DrawFn) -> None:
    _pick(draw, d["rights"]["items"])["self_service"] = draw(st.sampled_from(["", "我的-设置"]))


def change_contact_value(d: Data, draw: st.DrawFn) -> None:
    channel = _pick(draw, d["contacts"]["channels"])
    channel["value"] = draw(st.sampled_from(["400-000-0000", "400-111-1111", "a@example.com"]))


def change_department(d: Data, draw: st.DrawFn) -> None:
    d["contacts"]["department"] = draw(st.sampled_from(["个人信息保护部", "法务部", ""]))


def change_retention_period(d: Data, draw: st.DrawFn) -> None:
    _pick(draw, d["retention"])["period"] = draw(st.sampled_from(PERIODS))


def change_service_model(d: Data, draw: st.DrawFn) -> None:
    d["app"]["service_model"] = draw(st.sampled_from(["信息撮合", "自营放贷", "助贷"]))


def change_handler(d: Data, draw: st.DrawFn) -> None:
    d["app"]["handler"]["name"] = draw(st.sampled_from(["甲科技有限公司", "乙科技有限公司"]))


def change_consent(d: Data, draw: st.DrawFn) -> None:
    consent = _pick(draw, d["consents"])
    consent["kind"] = draw(st.sampled_from(["general", "separate", "written"]))
    consent["label"] = draw(st.sampled_from(["隐私政策", "单独同意", "授权书"]))


def change_legal_basis(d: Data, draw: st.DrawFn) -> None:
    _pick(draw, d["scenarios"])["legal_basis"] = draw(st.sampled_from(["consent", "contract"]))


def change_policy(d: Data, draw: st.DrawFn) -> None:
    d["policy"]["version"] = draw(st.sampled_from(["1.0", "1.1", "2.0"]))
    d["policy"]["high_risk_impact_assessment"] = draw(st.booleans())


def toggle_cross_border(d: Data, draw: st.DrawFn) -> None:
    d["storage"]["cross_border"] = draw(st.booleans())


MUTATIONS: list[Mutation] = [
    add_scenario,
    remove_scenario,
    add_element,
    remove_element,
    change_purposes,
    add_recipient,
    remove_recipient,
    add_sdk,
    remove_sdk,
    change_sdk_elements,
    change_scenario_recipients,
    change_permissions,
    change_deadline,
    remove_right,
    change_self_service,
    change_contact_value,
    change_department,
    change_retention_period,
    change_service_model,
    change_handler,
    change_consent,
    change_legal_basis,
    change_policy,
    toggle_cross_border,
]


@st.composite
def declarations(draw: st.DrawFn) -> Declaration:
    """The base declaration after up to five random, type-valid mutations."""
    data = BASE.model_dump(mode="json")
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), max_size=5)):
        mutate(data, draw)
    return Declaration.model_validate(data)


# ---------------------------------------------------------------- properties

SETTINGS = settings(max_examples=100, deadline=None)


def _facts(changes: list[Change]) -> list[str]:
    """Changes without their verdict, comparable as a multiset."""
    return sorted(
        json.dumps(
            [c.section, c.key, c.kind, c.field, c.old, c.new], ensure_ascii=False, sort_keys=True
        )
        for c in changes
    )


def _canonical(value: Any) -> Any:
    """JSON with lists of objects that have ids sorted by id: order the diff ignores."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        for key in ("id", "permission"):
            if items and all(isinstance(i, dict) and key in i for i in items):
                return sorted(items, key=lambda i: str(i[key]))
        return items
    return value


@SETTINGS
@given(declarations())
def test_diff_with_itself_is_empty(a: Declaration) -> None:
    assert diff(a, a) == []


@SETTINGS
@given(declarations(), declarations())
def test_diff_backwards_is_the_mirror_image(a: Declaration, b: Declaration) -> None:
    forwards = diff(a, b)
    assert _facts(diff(b, a)) == _facts([mirror(c) for c in forwards])
    assert all(mirror(mirror(c)) == c for c in forwards)


@SETTINGS
@given(declarations(), declarations())
def test_diff_is_empty_only_for_equal_declarations(a: Declaration, b: Declaration) -> None:
    same = _canonical(a.model_dump(mode="json")) == _canonical(b.model_dump(mode="json"))
    assert (diff(a, b) == []) == same


@SETTINGS
@given(declarations(), declarations())
def test_diff_is_deterministic_json(a: Declaration, b: Declaration) -> None:
    changes = diff(a, b)
    assert changes == diff(a, b)
    report = to_json(changes)
    assert json.loads(json.dumps(report, ensure_ascii=False)) == report
    assert report["material"] == any(c.material for c in changes)
    assert all(c.reason for c in changes)
