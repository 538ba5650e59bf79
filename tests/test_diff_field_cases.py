"""Field-test cases of `yinsi diff` (X03: material changes are notified, nothing else is).

A field test of a fictional 助贷 platform found changes judged the wrong way: another
insurer named as a recipient passed as wording, a comma dropped from a security measure
or a source list reworded passed as a reduction or a new source, a free-of-charge
promise withdrawn passed unseen, and the text report counted one change twice or hid
what changed. Each test edits the 小赢卡贷 example as a person edits YAML (the fields
it writes, and only those) and diffs the file read back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from yinsi.declaration import Declaration, load
from yinsi.declaration.diff import Change, diff, format_text

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "declarations" / "xiaoying-kadai.yaml"
)
RAW: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))

Data = dict[str, Any]
Edit = Callable[[Data], object]


def written(tmp_path: Path, name: str, *edits: Edit) -> Declaration:
    """The example with ``edits`` applied to its YAML as written, saved and loaded again."""
    data = copy.deepcopy(RAW)
    for edit in edits:
        edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load(path)


def pair(tmp_path: Path, *edits: Edit, before: tuple[Edit, ...] = ()) -> list[Change]:
    """The diff from the example (with ``before`` applied) to it with ``edits`` too."""
    old = written(tmp_path, "old", *before)
    return diff(old, written(tmp_path, "new", *before, *edits))


def by_id(items: list[Data], ident: str) -> Data:
    return next(item for item in items if item["id"] == ident)


def only(changes: list[Change], section: str, key: str, field: str | None) -> Change:
    matches = [c for c in changes if (c.section, c.key, c.field) == (section, key, field)]
    assert len(matches) == 1, changes
    return matches[0]


# ---------------------------------------------------------------- 1. who receives the PI


def _recipient(name: str) -> Edit:
    return lambda d: by_id(d["recipients"], "xiaoying_technology").update(name=name)


def test_x03_recipient_renamed_to_another_party_is_material_reworded_is_not(
    tmp_path: Path,
) -> None:
    """Another company receives the PI: a new recipient (PIPL Art. 23) or processor (Art. 21).
    The same company's name with spaces, without 有限责任公司 or with a note is wording."""
    names = {
        "深圳市小赢数科有限责任公司": True,
        "深圳市小赢科技有限责任公司（及其关联公司）": True,
        "深圳市小赢科技 有限责任公司": False,
        "深圳市小赢科技": False,
        "深圳市小赢科技有限责任公司（以下简称“小赢科技”）": False,
    }
    found = {
        name: only(pair(tmp_path, _recipient(name)), "recipients", "xiaoying_technology", "name")
        for name in names
    }
    assert {name: c.material for name, c in found.items()} == names
    assert all(
        "另一主体" in c.reason and "Arts. 21, 23" in c.reason for c in found.values() if c.material
    )
    assert all("同一主体" in c.reason for c in found.values() if not c.material)


def _provider(name: str) -> Edit:
    return lambda d: by_id(d["sdks"], "megvii_face").update(provider=name)


def test_x03_sdk_provider_reworded_is_editorial_and_another_provider_material(
    tmp_path: Path,
) -> None:
    """The same rule as for recipients: half-width parentheses are wording, 北京 → 上海 is not."""
    before = (_provider("旷视科技（北京）有限公司"),)
    same = pair(tmp_path, _provider("旷视科技(北京)有限公司"), before=before)
    other = pair(tmp_path, _provider("旷视科技（上海）有限公司"), before=before)
    assert not only(same, "sdks", "megvii_face", "provider").material
    assert only(other, "sdks", "megvii_face", "provider").material


def test_x03_joint_handler_renamed_to_another_party_is_material(tmp_path: Path) -> None:
    handler = {
        "id": "partner",
        "name": "示例联合运营有限公司",
        "contact": "400-000-1111",
        "scenarios": ["transaction_tags"],
        "purposes": ["user_profiling"],
        "elements": ["name"],
    }
    changes = pair(
        tmp_path,
        lambda d: d["joint_handlers"][0].update(name="另一联合运营有限公司"),
        before=(lambda d: d.update(joint_handlers=[dict(handler)]),),
    )
    change = only(changes, "joint_handlers", "partner", "name")
    assert change.material and "Art. 20" in change.reason


# ---------------------------------------------------------------- 2. security measures

MEASURE = "使用加密技术确保数据的保密性，并不断更新密钥"


def _measures(edit: Callable[[list[str]], object]) -> Edit:
    return lambda d: edit(d["security"]["measures"])


def _replace(new: str) -> Edit:
    return _measures(lambda measures: measures.__setitem__(measures.index(MEASURE), new))


def test_x03_security_measure_reworded_is_editorial_removed_or_weakened_is_material(
    tmp_path: Path,
) -> None:
    """A measure is kept when its text only loses punctuation or gains words that are not a
    hedge or a negation; otherwise it may be weaker, and a removed one is fewer (Art. 51)."""
    edits: dict[str, tuple[Edit, bool]] = {
        "comma dropped": (_replace("使用加密技术确保数据的保密性并不断更新密钥"), False),
        "half-width comma": (_replace("使用加密技术确保数据的保密性, 并不断更新密钥"), False),
        "word added": (_replace("使用加密技术确保数据的保密性，并定期不断更新密钥"), False),
        "reordered": (_measures(lambda m: m.reverse()), False),
        "removed": (_measures(lambda m: m.remove(MEASURE)), True),
        "part removed": (_replace("使用加密技术确保数据的保密性"), True),
        "hedged": (_replace("使用加密技术确保部分数据的保密性，并不断更新密钥"), True),
        "negated": (_replace("使用加密技术确保数据的保密性，并不更新密钥"), True),
    }
    found = {
        name: only(pair(tmp_path, edit), "security", "measures", "measures")
        for name, (edit, _) in edits.items()
    }
    assert {name: c.material for name, c in found.items()} == {
        name: material for name, (_, material) in edits.items()
    }
    assert all(MEASURE in c.reason and "Art. 51" in c.reason for c in found.values() if c.material)


# ---------------------------------------------------------------- 3. sources of indirect PI

SOURCE = "经您书面授权，从百行征信有限公司、朴道征信有限公司查询您的信用报告。"


def _source(text: str) -> Edit:
    return lambda d: by_id(d["scenarios"], "transaction_tags").update(source=text)


def test_x03_source_naming_a_new_party_is_material_narrowed_or_reworded_is_not(
    tmp_path: Path,
) -> None:
    """Only a text that says something the old did not may name a new source (PIPL Art. 14)."""
    texts = {
        SOURCE.replace("、", "及"): False,
        SOURCE.replace("、朴道征信有限公司", ""): False,
        SOURCE.replace("百行征信有限公司、", ""): False,
        SOURCE.replace("您的", ""): False,
        SOURCE.replace("朴道征信有限公司", "朴道征信有限公司、中诚信征信有限公司"): True,
        SOURCE.replace("朴道征信", "中诚信征信"): True,
        SOURCE.replace("行征信有限公司、朴", ""): True,  # 百道征信: a name from two fragments
    }
    found = {
        text: only(
            pair(tmp_path, _source(text), before=(_source(SOURCE),)),
            "scenarios",
            "transaction_tags",
            "source",
        )
        for text in texts
    }
    assert {text: c.material for text, c in found.items()} == texts
    added = found[SOURCE.replace("朴道征信有限公司", "朴道征信有限公司、中诚信征信有限公司")]
    assert "中诚信征信有限公司" in added.reason


# ---------------------------------------------------------------- 4. free of charge


def _unwritten_free(right: str) -> Edit:
    return lambda d: by_id(d["rights"]["items"], right).pop("free")


def test_x03_free_of_charge_no_longer_written_for_one_right_is_material(tmp_path: Path) -> None:
    """Every right writes `free: true`, so the policy promises 原则上不收取费用; one right
    without it withdraws the promise, though `free` defaults to true. A fee stays material."""
    changes = pair(tmp_path, _unwritten_free("copy"))
    change = only(changes, "rights", "copy", "free")
    assert (change.old, change.new, change.material) == (True, None, True)
    assert "免费" in change.reason and "W19" in change.reason
    assert format_text(changes).startswith("1 change, 1 material")
    fee = pair(tmp_path, lambda d: by_id(d["rights"]["items"], "copy").update(free=False))
    assert only(fee, "rights", "copy", "free").material


def test_x03_free_of_charge_written_again_is_editorial(tmp_path: Path) -> None:
    old = written(tmp_path, "old", _unwritten_free("copy"))
    change = only(diff(old, written(tmp_path, "new")), "rights", "copy", "free")
    assert (change.old, change.new, change.material) == (None, True, False)


# ---------------------------------------------------------------- 5. the report


def test_x03_new_purpose_is_counted_once(tmp_path: Path) -> None:
    """A purpose new to the declaration is listed as new and under its scenario: one change.
    With a new SDK (X20) it is two findings, the SDK and the purpose (Art. 14)."""
    changes = pair(
        tmp_path,
        lambda d: by_id(d["scenarios"], "transaction_tags")["purposes"].append("page_state"),
    )
    assert only(changes, "purposes", "page_state", None).material
    assert only(changes, "scenarios", "transaction_tags", "purposes").material
    text = format_text(changes)
    assert text.startswith("1 change, 1 material")
    assert text.count("! material") == 2 and "不重复计数" in text
    sdk = {
        "id": "page_sdk",
        "name": "页面状态SDK",
        "function": "页面状态",
        "provider": "某科技有限公司",
        "elements": ["device_model"],
        "purposes": ["page_state"],
        "consent": "privacy_policy",
    }
    text = format_text(pair(tmp_path, lambda d: d["sdks"].append(sdk)))
    assert text.startswith("2 changes, 2 material") and "不重复计数" not in text


def test_x03_new_app_permission_is_counted_once(tmp_path: Path) -> None:
    listed = {"permission": "phone_state", "purpose": "识别设备风险", "required": False}
    changes = pair(tmp_path, lambda d: d.update(app_permissions=[listed]))
    assert only(changes, "permissions", "phone_state", None).material
    assert only(changes, "app_permissions", "phone_state", None).material
    assert format_text(changes).startswith("1 change, 1 material")


def test_x03_retention_start_removed_is_said_to_be_unstated(tmp_path: Path) -> None:
    """No start written renders "最长不超过5年" alone: not a later start, an unstated one."""
    changes = pair(tmp_path, lambda d: by_id(d["retention"], "account_data").pop("starts"))
    change = only(changes, "retention", "account_data", "starts")
    assert change.material
    assert "不再说明起算点" in change.reason and "start no longer stated" in change.reason


def test_x03_long_list_change_shows_where_it_differs(tmp_path: Path) -> None:
    """Clipped from the start, the two sides of a long list read the same."""
    added = "定期开展渗透测试"
    changes = pair(tmp_path, _measures(lambda m: m.append(added)))
    line = next(ln for ln in format_text(changes).splitlines() if ln.startswith("  ~ measures"))
    old, new = line.split(" → ")
    assert added in new and "预警机制和应急预案" in old
