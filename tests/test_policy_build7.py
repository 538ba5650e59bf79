"""Issue 13, Build 7: fields the reference declarations needed to say exactly what their
seeds say, each rendered when written and silent when left out.

- ``scenarios[].elements: not_stated`` / ``methods: not_stated`` (小赢卡贷 1.1.3, 1.3);
- ``consents[].term``: the policy's own word for a consent (1.2 F/H 授权同意);
- ``sdk_notes``: what the policy says of its SDKs as a whole (2.2.4 F);
- general consents with words of their own (description, refusal) in the consent section;
- joint handlers, onward transfers and lists published elsewhere in the summary and the
  sharing list.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from test_policy_provenance import unwritten_claims
from yinsi.declaration import Declaration, DeclarationError, loads
from yinsi.declaration.diff import diff
from yinsi.declaration.lint import lint_text
from yinsi.declaration.loader import parse
from yinsi.policy.documents import rendered

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "data" / "minimal.yaml"

Data = dict[str, Any]


def base() -> Data:
    data: Data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return data


def text(data: Data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def declared(data: Data) -> Declaration:
    return loads(text(data), "test.yaml")


def doc(data: Data, name: str = "policy") -> str:
    return str(rendered(declared(data), name).markdown).replace("\\", "")


def scenario(d: Data, sid: str) -> Data:
    found: Data = next(s for s in d["scenarios"] if s["id"] == sid)
    return found


# ---------------------------------------------------------------- not_stated on scenarios


def unstated() -> Data:
    d = base()
    s = scenario(d, "search")
    s["elements"] = "not_stated"
    s["methods"] = "not_stated"
    return d


def test_a_scenario_whose_pi_is_not_stated_renders_no_pi_sentence() -> None:
    said, silent = doc(unstated()), doc(base())
    assert "我们需要收集您的搜索记录" in silent and "我们需要收集您的搜索记录" not in said
    section = said.split(" 站内搜索\n")[1].split("\n#")[0]
    assert "我们需要收集您的" not in section and "**收集方式**" not in section
    assert "| 站内搜索 | — |" in doc(unstated(), "summary")


def test_not_stated_is_a_lint_gap_and_an_empty_list_an_error() -> None:
    found = [p for p in lint_text(text(unstated()), "test.yaml") if p.rule == "not-stated"]
    assert [p.path for p in found] == [("scenarios", 4, "elements")]
    assert "PIPL Art. 17 (2)" in found[0].message
    empty = base()
    scenario(empty, "search")["elements"] = []
    with pytest.raises(DeclarationError, match="not_stated"):
        declared(empty)


def test_stating_the_pi_after_not_stated_is_judged_by_the_elements() -> None:
    """`not_stated` replaced by a list is judged as elements; a list given up is material."""
    material = {c.field: c.material for c in diff(declared(base()), declared(unstated()))}
    assert material.get("not_stated") is True


# ---------------------------------------------------------------- the policy's word for a consent


def consent(d: Data, cid: str) -> Data:
    found: Data = next(c for c in d["consents"] if c["id"] == cid)
    return found


def test_a_consent_s_term_replaces_its_label_and_keeps_its_kind() -> None:
    d = base()
    consent(d, "location")["term"] = "授权同意"  # kind separate
    out = doc(d)
    assert "“位置信息”（授权同意）" in out and "“位置信息”（单独同意）" not in out
    # still a separate consent that covers precise_location (PIPL Art. 29)
    separate = out.split("以下事项需要您的单独同意")[1].split("\n### ")[0]
    assert "“位置信息”（授权同意）：" in separate
    assert "精确位置信息*属于敏感个人信息，我们将在处理前就其取得您的单独同意（“位置信息”）" in out
    assert "“位置信息”（单独同意）" in doc(base())


def test_a_new_term_is_not_material() -> None:
    d = base()
    consent(d, "location")["term"] = "授权同意"
    assert not any(c.material for c in diff(declared(base()), declared(d)))


# ---------------------------------------------------------------- sdk_notes

NOTES = {
    "by_function": "如您开启广告推送服务，广告推送SDK需要获取您的设备识别码、设备位置进行广告推送",
    "vetting": "我们会对授权合作方的SDK进行严格的安全检测",
    "not_listed": "我们还集成了一些不会收集您个人信息的功能性开源组件",
}


def with_notes() -> Data:
    d = base()
    d["sdk_notes"] = dict(NOTES)
    return d


@pytest.mark.parametrize("field", list(NOTES))
def test_sdk_notes_are_said_when_written_and_only_then(field: str) -> None:
    out = doc(with_notes())
    section = out.split(" 第三方SDK\n")[1].split("\n### ")[0]
    assert NOTES[field] + "。" in section
    assert NOTES[field] not in doc(base())


def test_sdk_notes_frame_the_table() -> None:
    section = doc(with_notes()).split(" 第三方SDK\n")[1].split("\n### ")[0]
    table = section.index("| 名称 |")
    assert section.index(NOTES["vetting"]) < table < section.index(NOTES["not_listed"])


def test_sdk_notes_open_the_sdk_section_on_their_own() -> None:
    bare = base()
    bare.pop("sdks", None)
    assert " 第三方SDK\n" not in doc(bare)
    noted = with_notes()
    noted.pop("sdks", None)
    assert " 第三方SDK\n" in doc(noted)


def test_sdk_notes_have_their_sources() -> None:
    source = text(with_notes())
    out = rendered(loads(source, "test.yaml"), "policy")
    assert unwritten_claims(out, parse(source, "test.yaml")[1]) == []
    paths = {p for span in out.spans for p in span.statement.paths}
    assert {"sdk_notes.by_function", "sdk_notes.vetting", "sdk_notes.not_listed"} <= paths


@pytest.mark.parametrize(
    ("field", "new", "material"),
    [
        ("vetting", "", True),  # the promise withdrawn
        ("by_function", NOTES["by_function"] + "；支付SDK需要获得您支付相关的信息", True),
        ("not_listed", "", False),
    ],
)
def test_sdk_notes_changes_are_judged(field: str, new: str, material: bool) -> None:
    after = with_notes()
    after["sdk_notes"][field] = new
    changes = diff(declared(with_notes()), declared(after))
    assert [(c.section, c.material) for c in changes] == [("sdk_notes", material)]


# ---------------------------------------------------------------- general consents


def test_a_general_consent_with_words_of_its_own_is_rendered() -> None:
    d = base()
    d["consents"].append(
        {
            "id": "marketing",
            "label": "商业性信息",
            "kind": "general",
            "description": "我们可能会通过短信向您发送商业性信息",
            "on_refusal": "您不可取消与服务有关、性质不属于推广的公告",
        }
    )
    scenario(d, "search")["consents"].append("marketing")
    out = doc(d)
    assert (
        "“商业性信息”（同意）：我们可能会通过短信向您发送商业性信息。适用于：站内搜索。"
        "如您拒绝或关闭：您不可取消与服务有关、性质不属于推广的公告。"
    ) in out


def test_a_general_consent_without_words_is_not_listed() -> None:
    """minimal.yaml's policy consent says nothing of its own: no list item for it."""
    assert "《小额示例贷隐私保护政策》（同意）：" not in doc(base())


def test_the_policy_s_own_consent_does_not_list_every_function() -> None:
    d = base()
    d["consents"][0]["description"] = "您可以通过勾选同意本政策"
    out = doc(d)
    item = out.split("《小额示例贷隐私保护政策》（同意）：")[1].split("\n")[0]
    assert item.startswith("您可以通过勾选同意本政策。") and "适用于" not in item


# ---------------------------------------------------------------- summary and sharing list

PARTIES = {
    "joint_handlers": [
        {
            "id": "partner",
            "name": "示例联合运营有限公司",
            "contact": "400-000-1111",
            "scenarios": ["registration"],
            "purposes": ["account_registration"],
            "elements": ["mobile_number"],
            "our_duties": "响应您的权利请求",
            "their_duties": "保障账户安全",
        }
    ],
    "published_elsewhere": {
        "sdks": {"title": "第三方SDK目录", "url": "https://example.com/sdk-list"},
        "recipients": {"title": "第三方信息共享清单", "where": "我的-设置-隐私"},
    },
}
ONWARD = {
    "to": "示例集团（新加坡）有限公司",
    "location": "abroad",
    "country": "新加坡",
    "elements": ["name"],
}


def parties() -> Data:
    d = base() | copy.deepcopy(PARTIES)
    d["recipients"][0]["onward"] = [dict(ONWARD)]
    return d


SUMMARY = [
    "**共同处理者**：示例联合运营有限公司",
    "**接收方再提供**：示例集团科技有限公司：接收方再向示例集团（新加坡）有限公司（位于境外：新加坡）提供姓名",
    "《第三方信息共享清单》",
    "《第三方SDK目录》（<https://example.com/sdk-list>）",
]
SHARING_LIST = [
    "、共同处理者\n",
    "| 示例联合运营有限公司 | 注册与登录 | 注册与登录账号 | 手机号码 | 双方约定：",
    "接收方再向示例集团（新加坡）有限公司（位于境外：新加坡）提供姓名",
    "《第三方信息共享清单》",
    "《第三方SDK目录》（<https://example.com/sdk-list>）",
]


@pytest.mark.parametrize(
    ("name", "sentence"),
    [("summary", s) for s in SUMMARY] + [("sharing-list", s) for s in SHARING_LIST],
)
def test_declared_parties_and_lists_are_in_the_summary_and_the_sharing_list(
    name: str, sentence: str
) -> None:
    assert sentence in doc(parties(), name)
    assert sentence not in doc(base(), name)


@pytest.mark.parametrize("name", ["summary", "sharing-list"])
def test_no_joint_processing_negative_unless_written(name: str) -> None:
    negative = "我们未与其他个人信息处理者共同决定您的个人信息的处理目的和处理方式。"
    assert negative not in doc(base(), name)
    written = base()
    written["joint_handlers"] = []
    assert negative in doc(written, name)


@pytest.mark.parametrize("name", ["summary", "sharing-list"])
def test_the_new_lines_have_written_sources(name: str) -> None:
    source = text(parties())
    out = rendered(loads(source, "test.yaml"), name)
    assert unwritten_claims(out, parse(source, "test.yaml")[1]) == []
