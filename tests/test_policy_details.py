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
