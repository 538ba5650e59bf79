"""Cross-reference checks: the declaration side of the promises.

Each promise test shows that a declaration which would break the promise is refused
(or flagged) with a message naming the rule, so a platform cannot publish it by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from yinsi.declaration import DeclarationError, Problem, loads, read

Dump = Callable[[dict[str, Any]], str]


def errors_of(data: dict[str, Any], dump: Dump) -> list[Problem]:
    with pytest.raises(DeclarationError) as exc:
        loads(dump(data), "app.yaml")
    return [p for p in exc.value.problems if p.severity == "error"]


def warnings_of(data: dict[str, Any], dump: Dump) -> list[Problem]:
    loaded = read(dump(data), "app.yaml")
    assert loaded.declaration is not None, [str(p) for p in loaded.problems]
    return loaded.warnings


def test_x01_policy_needs_version_update_and_effective_dates(
    base: dict[str, Any], dump: Dump
) -> None:
    del base["policy"]["version"], base["policy"]["effective"]
    base["policy"]["updated"] = "2024-13-01"
    problems = errors_of(base, dump)
    paths = {p.path for p in problems}
    assert {("policy", "version"), ("policy", "effective"), ("policy", "updated")} <= paths


def test_x01_effective_before_update_is_flagged(base: dict[str, Any], dump: Dump) -> None:
    base["policy"]["effective"] = "2023-12-01"
    assert any(w.path == ("policy", "effective") for w in warnings_of(base, dump))


def test_x05_sensitive_element_without_separate_consent_is_refused(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0]["consents"] = ["policy"]
    (problem,) = errors_of(base, dump)
    assert problem.path == ("scenarios", 0, "elements", 1)
    assert "sensitive element 'id_number'" in problem.message and "PIPL Art. 29" in problem.message


def test_x05_separate_consent_must_cover_the_sensitive_element(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0]["elements"].append("face")
    (problem,) = errors_of(base, dump)
    assert "'face'" in problem.message
    base["consents"][1]["elements"].append("face")
    assert loads(dump(base)).scenarios[0].element_ids[-1] == "face"


def test_x05_declaration_may_make_an_element_more_sensitive(
    base: dict[str, Any], dump: Dump
) -> None:
    base["taxonomy"] = {
        "elements": [
            {
                "id": "mobile_number",
                "label": "手机号码",
                "category": "basic_profile",
                "sensitive": True,
            }
        ]
    }
    assert any("'mobile_number'" in p.message for p in errors_of(base, dump))


def test_x05_declassifying_sensitive_pi_needs_a_reason_and_is_flagged(
    base: dict[str, Any], dump: Dump
) -> None:
    override = {
        "id": "id_number",
        "label": "身份证号码",
        "category": "identity",
        "sensitive": False,
    }
    base["taxonomy"] = {"elements": [override]}
    (problem,) = errors_of(base, dump)
    assert "give a `reason`" in problem.message
    override["reason"] = "示例"
    assert any("GB/T 35273-2020" in w.message for w in warnings_of(base, dump))


def test_x19_statutory_basis_needs_no_consent_item(base: dict[str, Any], dump: Dump) -> None:
    scenario = base["scenarios"][0]
    scenario["legal_basis"] = "legal_duty"
    scenario["consents"] = []
    assert loads(dump(base)).scenarios[0].legal_basis.value == "legal_duty"
    scenario["legal_basis"] = "consent"
    assert any("names no consent item" in p.message for p in errors_of(base, dump))


def test_x20_sdk_and_h5_links_must_name_known_elements(base: dict[str, Any], dump: Dump) -> None:
    base["sdks"][0]["elements"] = ["device_idd"]
    base["h5_links"] = [
        {"id": "tbs", "name": "腾讯 TBS", "domain": "x5.tencent.com", "elements": ["cookies"]}
    ]
    problems = errors_of(base, dump)
    assert any("did you mean 'device_id'" in p.message for p in problems)
    assert any(p.path == ("h5_links", 0, "elements", 0) for p in problems)


def test_x21_entrusted_processor_must_delete_at_end_of_entrustment(
    base: dict[str, Any], dump: Dump
) -> None:
    base["recipients"].append(
        {
            "id": "collector",
            "kind": "entrusted_processor",
            "name": "催收服务机构",
            "is_category": True,
            "purposes": ["post_loan_management"],
            "elements": ["mobile_number"],
        }
    )
    (problem,) = errors_of(base, dump)
    assert "PIPL Art. 21" in problem.message
    base["recipients"][-1]["delete_on_end"] = True
    assert len(loads(dump(base)).recipients) == 2


def test_x23_affiliate_provision_needs_separate_consent(base: dict[str, Any], dump: Dump) -> None:
    base["recipients"][0]["consent"] = "policy"
    (problem,) = errors_of(base, dump)
    assert "关联公司 needs separate consent (PIPL Art. 23)" in problem.message


def test_x24_public_disclosure_needs_separate_consent(base: dict[str, Any], dump: Dump) -> None:
    base["recipients"].append(
        {
            "id": "public",
            "kind": "public_disclosure",
            "name": "公开披露",
            "purposes": ["legal_compliance"],
            "elements": ["name"],
            "consent": "policy",
        }
    )
    assert any("PIPL Art. 25" in p.message for p in errors_of(base, dump))


def test_x37_cross_border_transfer_must_be_declared(base: dict[str, Any], dump: Dump) -> None:
    base["recipients"][0]["location"] = "abroad"
    assert any("PIPL Arts. 38-39" in p.message for p in errors_of(base, dump))
    base["storage"] = {"cross_border": True}
    assert loads(dump(base)).storage.cross_border


def test_x35_rights_deadline_over_15_working_days_is_refused(
    base: dict[str, Any], dump: Dump
) -> None:
    base["rights"]["items"][0]["deadline"]["working_days"] = 30
    (problem,) = errors_of(base, dump)
    assert problem.path == ("rights", "items", 0, "deadline", "working_days")


def test_x36_complaint_target_cannot_exceed_its_deadline(base: dict[str, Any], dump: Dump) -> None:
    base["rights"]["items"][-1]["deadline"] = {"working_days": 3, "target_working_days": 15}
    assert any("target_working_days" in p.message for p in errors_of(base, dump))


def test_x42_pi_officer_must_be_reachable_through_a_declared_channel(
    base: dict[str, Any], dump: Dump
) -> None:
    base["contacts"]["pi_protection_officer"]["channels"] = ["officer_phone"]
    (problem,) = errors_of(base, dump)
    assert problem.path == ("contacts", "pi_protection_officer", "channels", 0)


def test_w01_scenario_needs_purpose_method_and_elements(base: dict[str, Any], dump: Dump) -> None:
    scenario = base["scenarios"][0]
    scenario["purposes"], scenario["methods"], scenario["elements"] = [], [], []
    paths = {p.path for p in errors_of(base, dump)}
    assert {
        ("scenarios", 0, "purposes"),
        ("scenarios", 0, "methods"),
        ("scenarios", 0, "elements"),
    } <= paths


def test_w02_tracking_items_declare_elements_purpose_and_how_to_clear(
    base: dict[str, Any], dump: Dump
) -> None:
    base["tracking"] = [
        {
            "id": "token",
            "kind": "header",
            "name": "X-User-Token",
            "elements": ["login_token"],
            "purposes": ["login_state"],
            "how_to_clear": "我的->设置->清除缓存",
        },
        {"id": "page", "kind": "local_storage", "name": "LocalStorage", "purposes": ["page_stat"]},
    ]
    (problem,) = errors_of(base, dump)
    assert problem.path == ("tracking", 1, "purposes", 0) and "'page_state'" in problem.message
    base["tracking"][1]["purposes"] = ["page_state"]
    assert loads(dump(base)).tracking[0].how_to_clear.startswith("我的")


def test_w12_sdk_receiving_pi_must_name_its_gating_consent(
    base: dict[str, Any], dump: Dump
) -> None:
    del base["sdks"][0]["consent"]
    (problem,) = errors_of(base, dump)
    assert problem.path == ("sdks", 0, "consent") and "W12" in problem.message


def test_w12_sdk_without_pi_needs_no_consent(base: dict[str, Any], dump: Dump) -> None:
    base["sdks"].append(
        {
            "id": "hardening",
            "name": "爱加密",
            "function": "移动应用安全加固",
            "provider": "北京智游网安科技有限公司",
        }
    )
    assert loads(dump(base)).sdks[-1].consent is None


def test_w12_sdk_receiving_sensitive_pi_needs_separate_consent(
    base: dict[str, Any], dump: Dump
) -> None:
    base["sdks"][0]["elements"].append("face")
    assert any("sensitive element 'face'" in p.message for p in errors_of(base, dump))


def test_duplicate_ids_are_refused(base: dict[str, Any], dump: Dump) -> None:
    base["scenarios"].append(dict(base["scenarios"][0]))
    (problem,) = errors_of(base, dump)
    assert problem.path == ("scenarios", 1, "id") and "duplicate scenario id" in problem.message


def test_missing_statutory_rights_are_warned_with_article(base: dict[str, Any], dump: Dump) -> None:
    base["rights"]["items"] = [
        r for r in base["rights"]["items"] if r["kind"] != "deceased_relatives"
    ]
    (warning,) = warnings_of(base, dump)
    assert "PIPL Art. 49" in warning.message


def test_x23_waiver_states_a_known_gap_as_a_warning_that_cites_the_law(
    base: dict[str, Any], dump: Dump
) -> None:
    base["recipients"][0]["consent"] = "policy"
    base["waivers"] = [
        {
            "rule": "separate-consent",
            "id": "group_affiliate",
            "reason": "源政策未就向关联公司提供设单独同意",
        }
    ]
    (warning,) = [w for w in warnings_of(base, dump) if w.path == ("recipients", 0, "consent")]
    assert "PIPL Art. 23" in warning.message and "waived (separate-consent)" in warning.message
    assert "源政策未就向关联公司提供设单独同意" in warning.message


def test_waiver_applies_only_to_the_named_entity_and_rule(base: dict[str, Any], dump: Dump) -> None:
    base["recipients"][0]["consent"] = "policy"
    base["waivers"] = [
        {"rule": "consent-required", "id": "group_affiliate", "reason": "错误的规则"}
    ]
    problems = errors_of(base, dump)
    assert any("PIPL Art. 23" in p.message for p in problems)


def test_unknown_and_unused_waivers_are_reported(base: dict[str, Any], dump: Dump) -> None:
    base["waivers"] = [{"rule": "no-such-rule", "id": "registration", "reason": "x"}]
    (problem,) = errors_of(base, dump)
    assert problem.path == ("waivers", 0, "rule") and "separate-consent" in problem.message
    base["waivers"] = [{"rule": "separate-consent", "id": "registration", "reason": "x"}]
    (warning,) = warnings_of(base, dump)
    assert "matches no finding" in warning.message


def test_w12_sdk_may_receive_a_sensitive_element_only_under_its_own_consent(
    base: dict[str, Any], dump: Dump
) -> None:
    base["consents"].append(
        {
            "id": "location",
            "label": "位置信息单独授权",
            "kind": "separate",
            "elements": ["precise_location"],
        }
    )
    sdk = base["sdks"][0]
    sdk["elements"].append("precise_location")
    assert any("precise_location" in p.message for p in errors_of(base, dump))
    sdk["element_consents"] = {"precise_location": "location"}
    d = loads(dump(base))
    assert d.sdks[0].consent == "push" and d.sdks[0].element_consents == {
        "precise_location": "location"
    }
    sdk["element_consents"] = {"face": "location"}
    assert any("not in this SDK's elements" in p.message for p in errors_of(base, dump))
