"""Rendering details: per-element SDK gates, optional elements, the laws a policy cites."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from yinsi.declaration import loads
from yinsi.policy import render
from yinsi.policy.phrases import laws_in_force

Dump = Callable[[dict[str, Any]], str]


def _with_location_gate(base: dict[str, Any]) -> dict[str, Any]:
    base["consents"].append(
        {
            "id": "location",
            "label": "位置信息授权",
            "kind": "separate",
            "elements": ["precise_location"],
        }
    )
    base["sdks"][0]["elements"].append("precise_location")
    base["sdks"][0]["element_consents"] = {"precise_location": "location"}
    return base


def test_w12_sdk_table_shows_the_gate_of_a_single_element(base: dict[str, Any], dump: Dump) -> None:
    text = render(loads(dump(_with_location_gate(base))), "sharing-list", "md")
    row = next(line for line in text.splitlines() if "示例推送SDK" in line)
    assert "“消息推送”" in row and "获取精确位置信息另需“位置信息授权”（单独同意）" in row


def test_x05_sensitive_table_names_the_element_gate(base: dict[str, Any], dump: Dump) -> None:
    text = render(loads(dump(_with_location_gate(base))), "policy", "md")
    row = next(line for line in text.splitlines() if line.startswith("| 精确位置信息\\*"))
    assert "“位置信息授权”" in row
    assert "示例推送SDK（第三方SDK）获取精确位置信息" in text


def test_optional_element_with_a_note_keeps_its_if_any_mark(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0]["elements"].append(
        {"id": "business_licence", "required": False, "note": "小微企业主"}
    )
    text = render(loads(dump(base)), "policy", "md")
    assert "营业执照信息（小微企业主，如有）" in text


def test_policy_cites_only_laws_in_force_on_its_effective_date() -> None:
    assert "网络数据安全管理条例" not in laws_in_force(date(2022, 2, 21))
    assert "个人信息保护法" in laws_in_force(date(2022, 2, 21))
    assert "网络数据安全管理条例" in laws_in_force(date(2025, 1, 1))
    assert "个人信息保护法" not in laws_in_force(date(2021, 10, 31))


def test_x05_policy_never_promises_a_separate_consent_the_declaration_waives(
    base: dict[str, Any], dump: Dump
) -> None:
    # Issue 13 review: the overview states the law (PIPL Arts. 23, 25, 29, 39), never a
    # blanket promise of separate consent; the promise is made per element, where declared.
    promise = "处理前我们将取得您的单独同意"
    law = "处理敏感个人信息、向境外提供个人信息的，应当取得您的单独同意"
    text = render(loads(dump(base)), "policy", "md")
    assert promise not in text and law in text
    base["scenarios"][0]["elements"].append("face")
    base["waivers"] = [
        {"rule": "separate-consent", "id": "registration", "reason": "源政策未单独同意"}
    ]
    text = render(loads(dump(base)), "policy", "md")
    assert promise not in text and law in text
    assert "本政策另有说明" not in text
    line = next(t for t in text.splitlines() if t.startswith("- **敏感个人信息**"))
    assert (
        "身份证号码\\*属于敏感个人信息，我们将在处理前就其取得您的单独同意（“身份信息单独同意”）"
        in line
    )
    assert line.endswith("；人脸信息\\*属于敏感个人信息。")


def test_refusal_grounds_in_their_declared_modality(base: dict[str, Any], dump: Dump) -> None:
    """小赢卡贷 4.8 "将无法响应"; "可能" only when declared; neither when not stated."""
    base["rights"]["refusal_grounds"] = [
        {"id": "national_security", "text": "与国家安全、国防安全直接相关的"},
        {"id": "abuse", "text": "有充分证据表明您存在主观恶意或滥用权利的"},
    ]
    text = render(loads(dump(base)), "policy", "md")
    assert "在以下情形中，我们无法响应您的请求：" in text
    assert "可能无法响应" not in text and "将无法响应" not in text
    base["rights"]["refusal_grounds"][0]["likelihood"] = "will"
    base["rights"]["refusal_grounds"][1]["likelihood"] = "may"
    text = render(loads(dump(base)), "policy", "md")
    assert "在以下情形中，我们将无法响应您的请求：\n\n1. 与国家安全、国防安全直接相关的。" in text
    assert (
        "在以下情形中，我们可能无法响应您的请求：\n\n1. 有充分证据表明您存在主观恶意或滥用权利的。"
        in text
    )


def test_continued_use_as_acceptance_only_when_declared(base: dict[str, Any], dump: Dump) -> None:
    """小赢卡贷 9.3, in its words; nothing when the declaration does not say it."""
    words = "如果您继续使用我们的产品和/或服务，则视为您接受我们对本政策相关条款所做的修改。"
    assert words not in render(loads(dump(base)), "policy", "md")
    base["policy"]["continued_use_as_acceptance"] = True
    assert words in render(loads(dump(base)), "policy", "md")


def test_free_text_of_the_seeds_replaces_the_template(base: dict[str, Any], dump: Dump) -> None:
    """我来数科 序言, （六）1, （七）2: written, the policy's own words replace the template's."""
    text = render(loads(dump(base)), "policy", "md")
    assert "等法律、行政法规制定" in text and "根据现行法规及政策" not in text
    base["policy"]["drafted_under"] = "根据现行法规及政策"
    base["policy"]["change_commitments"] = ["未经您明确同意，本平台不会限制您所应享有的权利"]
    base["security"] = {
        "lead": "我们努力采取各种安全措施保护您的个人信息，包括：",
        "measures": ["数据加密"],
    }
    text = render(loads(dump(base)), "policy", "md")
    assert "（以下简称“本政策”）根据现行法规及政策制定" in text
    assert "等法律、行政法规制定" not in text
    assert "未经您明确同意，本平台不会限制您所应享有的权利。\n" in text
    assert "我们努力采取各种安全措施保护您的个人信息，包括：\n\n- 数据加密。" in text
    assert "我们采取的安全保护措施如下" not in text


def test_recipient_purposes_not_stated_render_nothing(base: dict[str, Any], dump: Dump) -> None:
    """我来数科 （四）1, 5 give no purpose: `purposes: not_stated` says none, lint reports it."""
    from yinsi.declaration.lint import lint

    recipient = base["recipients"][0]
    purposes = render(loads(dump(base)), "sharing-list", "md")
    recipient["purposes"] = "not_stated"
    d = loads(dump(base))
    assert d.recipients[0].purposes == [] and "purposes" in d.recipients[0].not_stated
    assert render(d, "sharing-list", "md") != purposes
    found = [i for i in lint(d) if i.rule == "not-stated"]
    assert any(i.path[-1] == "purposes" and "PIPL Arts. 17 (2), 23" in i.message for i in found)
    del recipient["purposes"]
    try:
        loads(dump(base))
    except Exception as e:  # the loader's own error type
        assert "purposes: not_stated" in str(e)
    else:
        raise AssertionError("a recipient with no purposes and no not_stated must not load")
