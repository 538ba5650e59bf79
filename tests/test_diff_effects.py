"""Materiality judged by effect: the issue's three regressions, one case per judged field,
changes the judgement table does not know, and a table that covers every schema field."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from yinsi.declaration import Declaration, load
from yinsi.declaration import schema as s
from yinsi.declaration.diff import Change, diff
from yinsi.declaration.diff_find import DiffContext, Found
from yinsi.declaration.diff_judge import judge
from yinsi.declaration.diff_rules import TABLE, UNKNOWN, rule_for
from yinsi.declaration.view import taxonomy_of

BASE = load(Path(__file__).parent / "data" / "diff" / "base.yaml")

Data = dict[str, Any]
Edit = Callable[[Data], object]


def edited(*edits: Edit) -> Declaration:
    data = BASE.model_dump(mode="json")
    for edit in edits:
        edit(data)
    return Declaration.model_validate(data)


def by_id(items: list[Data], ident: str) -> Data:
    return next(item for item in items if item["id"] == ident)


def scenario(d: Data, ident: str) -> Data:
    return by_id(d["scenarios"], ident)


def consent(d: Data, ident: str) -> Data:
    return by_id(d["consents"], ident)


def rule(d: Data, ident: str) -> Data:
    return by_id(d["retention"], ident)


def recipient(d: Data, ident: str = "funder") -> Data:
    return by_id(d["recipients"], ident)


def sdk(d: Data, ident: str = "push_sdk") -> Data:
    return by_id(d["sdks"], ident)


def right(d: Data, ident: str) -> Data:
    return by_id(d["rights"]["items"], ident)


def found(changes: list[Change], section: str, key: str, field: str | None) -> Change:
    matches = [c for c in changes if (c.section, c.key, c.field) == (section, key, field)]
    assert len(matches) == 1, f"{section}/{key}/{field} not in {changes}"
    return matches[0]


# ---------------------------------------------------------------- the three regressions


def test_regression_contacts_permission_added_to_a_scenario_is_material() -> None:
    """A new 通讯录 permission in a scenario was editorial: no re-consent was asked."""
    new = edited(
        lambda d: scenario(d, "registration")["permissions"].append({"permission": "contacts"})
    )
    changes = diff(BASE, new)
    use = found(changes, "scenarios", "registration", "permissions.contacts")
    assert use.material and use.old is None
    assert "contacts" in use.reason and "通讯录" in use.reason and "权限" in use.reason
    permission = found(changes, "permissions", "contacts", None)
    assert permission.kind == "added" and permission.material
    assert all(c.material for c in changes)
    assert not any(c.material for c in diff(new, BASE))


def test_regression_contacts_permission_added_beside_others_is_material() -> None:
    def camera(d: Data) -> None:
        scenario(d, "identity_check")["permissions"] = [{"permission": "camera", "required": True}]

    old = edited(camera)
    new = edited(
        camera,
        lambda d: scenario(d, "identity_check")["permissions"].append({"permission": "contacts"}),
    )
    assert found(diff(old, new), "scenarios", "identity_check", "permissions.contacts").material


def test_regression_optional_element_made_required_is_material() -> None:
    def optional(d: Data) -> None:
        scenario(d, "identity_check")["elements"][0]["required"] = False

    old = edited(optional)
    changes = diff(old, BASE)
    change = found(changes, "scenarios", "identity_check", "elements.name.required")
    assert (change.old, change.new, change.material) == (False, True, True)
    assert "必填" in change.reason and "required" in change.reason
    assert [c.material for c in diff(BASE, old)] == [False]


def test_regression_retention_start_moved_from_collection_to_cancellation_is_material() -> None:
    """ "一个月" from collection becomes a month after the account is cancelled: years."""

    def from_collection(d: Data) -> None:
        rule(d, "browse_data").update(period="1m", bound="at_most", starts="collection")

    old = edited(from_collection)
    new = edited(
        from_collection, lambda d: rule(d, "browse_data").update(starts="account_cancellation")
    )
    change = found(diff(old, new), "retention", "browse_data", "starts")
    assert change.material and "起算" in change.reason and "later" in change.reason
    assert not any(c.material for c in diff(new, old))


def test_regression_scenario_moved_to_a_rule_that_starts_later_is_material() -> None:
    later = {
        "id": "after_cancel",
        "label": "注销后",
        "period": "1m",
        "bound": "at_most",
        "starts": "account_cancellation",
    }

    def from_collection(d: Data) -> None:
        rule(d, "browse_data").update(period="1m", bound="at_most", starts="collection")
        d["retention"].append(later)

    old = edited(from_collection)
    new = edited(
        from_collection, lambda d: scenario(d, "device_security").update(retention="after_cancel")
    )
    change = found(diff(old, new), "scenarios", "device_security", "retention")
    assert change.material and "starts: collection → account_cancellation" in change.reason
    assert not found(diff(new, old), "scenarios", "device_security", "retention").material


# ---------------------------------------------------------------- one case per judged field


def _permission(**use: Any) -> Edit:
    return lambda d: scenario(d, "registration").update(
        permissions=[{"permission": "camera", **use}]
    )


# (setup applied to both sides, the widening edit, where the change is reported)
WIDENING: list[Any] = [
    pytest.param(
        _permission(),
        lambda d: scenario(d, "registration")["permissions"][0].update(required=True),
        ("scenarios", "registration", "permissions.camera.required"),
        id="permission-made-required",
    ),
    pytest.param(
        _permission(when="on_first_use"),
        lambda d: scenario(d, "registration")["permissions"][0].update(when="at_launch"),
        ("scenarios", "registration", "permissions.camera.when"),
        id="permission-asked-at-launch",
    ),
    pytest.param(
        _permission(limit={"per_flow": 4}),
        lambda d: scenario(d, "registration")["permissions"][0].update(limit=None),
        ("scenarios", "registration", "permissions.camera.limit"),
        id="permission-limit-removed",
    ),
    pytest.param(
        _permission(limit={"per_flow": 4}),
        lambda d: scenario(d, "registration")["permissions"][0].update(limit={"per_flow": 8}),
        ("scenarios", "registration", "permissions.camera.limit.per_flow"),
        id="permission-called-more",
    ),
    pytest.param(
        _permission(fallback="可手动上传"),
        lambda d: scenario(d, "registration")["permissions"][0].update(fallback=""),
        ("scenarios", "registration", "permissions.camera.fallback"),
        id="permission-fallback-withdrawn",
    ),
    pytest.param(
        None,
        lambda d: scenario(d, "registration")["methods"].append("camera"),
        ("scenarios", "registration", "methods"),
        id="collection-method-added",
    ),
    pytest.param(
        lambda d: scenario(d, "device_security").update(function="extended"),
        lambda d: scenario(d, "device_security").update(function="basic"),
        ("scenarios", "device_security", "function"),
        id="extended-made-basic",
    ),
    pytest.param(
        None,
        lambda d: scenario(d, "identity_check").update(consents=["privacy_policy"]),
        ("scenarios", "identity_check", "consents"),
        id="separate-consent-dropped-from-scenario",
    ),
    pytest.param(
        None,
        lambda d: consent(d, "sensitive_identity").update(kind="deemed"),
        ("consents", "sensitive_identity", "kind"),
        id="separate-to-deemed",
    ),
    pytest.param(
        None,
        lambda d: consent(d, "privacy_policy").update(kind="opt_out"),
        ("consents", "privacy_policy", "kind"),
        id="general-to-opt-out",
    ),
    pytest.param(
        lambda d: consent(d, "privacy_policy").update(asked="each_time"),
        lambda d: consent(d, "privacy_policy").update(asked="at_registration"),
        ("consents", "privacy_policy", "asked"),
        id="consent-asked-less-often",
    ),
    pytest.param(
        None,
        lambda d: consent(d, "sensitive_identity").update(withdraw_via=[]),
        ("consents", "sensitive_identity", "withdraw_via"),
        id="fewer-ways-to-withdraw",
    ),
    pytest.param(
        lambda d: consent(d, "sensitive_identity").update(elements=["id_number"]),
        lambda d: consent(d, "sensitive_identity").update(elements=["id_number", "face"]),
        ("consents", "sensitive_identity", "elements"),
        id="consent-stretched-to-more-pi",
    ),
    pytest.param(
        lambda d: rule(d, "browse_data").update(then="delete"),
        lambda d: rule(d, "browse_data").update(then="anonymise"),
        ("retention", "browse_data", "then"),
        id="end-action-weaker",
    ),
    pytest.param(
        None,
        lambda d: rule(d, "account_data").update(minimum="5y"),
        ("retention", "account_data", "minimum"),
        id="minimum-added",
    ),
    pytest.param(
        lambda d: rule(d, "account_data").update(bound="at_most"),
        lambda d: rule(d, "account_data").update(bound="exactly"),
        ("retention", "account_data", "bound"),
        id="maximum-made-fixed",
    ),
    pytest.param(
        lambda d: recipient(d).update(kind="entrusted_processor"),
        lambda d: recipient(d).update(kind="other_handler"),
        ("recipients", "funder", "kind"),
        id="entrusted-becomes-handler",
    ),
    pytest.param(
        lambda d: recipient(d).update(likelihood="may"),
        lambda d: recipient(d).update(likelihood="will"),
        ("recipients", "funder", "likelihood"),
        id="may-becomes-will",
    ),
    pytest.param(
        lambda d: scenario(d, "registration").update(likelihood="may"),
        lambda d: scenario(d, "registration").update(likelihood="will"),
        ("scenarios", "registration", "likelihood"),
        id="may-collect-becomes-will",
    ),
    pytest.param(
        lambda d: recipient(d).update(delete_on_end=True),
        lambda d: recipient(d).update(delete_on_end=False),
        ("recipients", "funder", "delete_on_end"),
        id="no-deletion-at-end",
    ),
    pytest.param(
        None,
        lambda d: recipient(d).update(location="abroad"),
        ("recipients", "funder", "location"),
        id="recipient-abroad",
    ),
    pytest.param(
        lambda d: recipient(d).update(de_identified="always"),
        lambda d: recipient(d).update(de_identified="no"),
        ("recipients", "funder", "de_identified"),
        id="less-de-identification",
    ),
    pytest.param(
        lambda d: recipient(d).update(is_category=False),
        lambda d: recipient(d).update(is_category=True),
        ("recipients", "funder", "is_category"),
        id="recipient-no-longer-named",
    ),
    pytest.param(
        lambda d: recipient(d).update(contact="400-222-2222"),
        lambda d: recipient(d).update(contact=""),
        ("recipients", "funder", "contact"),
        id="recipient-contact-withdrawn",
    ),
    pytest.param(
        lambda d: sdk(d).update(role="entrusted_processor"),
        lambda d: sdk(d).update(role="other_handler"),
        ("sdks", "push_sdk", "role"),
        id="sdk-processor-becomes-handler",
    ),
    pytest.param(
        lambda d: sdk(d).update(element_consents={"device_model": "sensitive_identity"}),
        lambda d: sdk(d).update(element_consents={}),
        ("sdks", "push_sdk", "element_consents.device_model"),
        id="sdk-gate-removed",
    ),
    pytest.param(
        lambda d: sdk(d).update(platforms=["android"]),
        lambda d: sdk(d).update(platforms=["android", "ios"]),
        ("sdks", "push_sdk", "platforms"),
        id="sdk-on-more-platforms",
    ),
    pytest.param(
        None,
        lambda d: sdk(d).update(consent=None),
        ("sdks", "push_sdk", "consent"),
        id="sdk-consent-removed",
    ),
    pytest.param(
        lambda d: sdk(d).update(de_identified=True),
        lambda d: sdk(d).update(de_identified=False),
        ("sdks", "push_sdk", "de_identified"),
        id="sdk-no-longer-de-identified",
    ),
    pytest.param(
        None,
        lambda d: by_id(d["tracking"], "login_cookie").update(how_to_clear=""),
        ("tracking", "login_cookie", "how_to_clear"),
        id="no-longer-told-how-to-clear",
    ),
    pytest.param(
        None,
        lambda d: right(d, "access")["deadline"].update(working_days=30),
        ("rights", "access", "deadline.working_days"),
        id="deadline-longer",
    ),
    pytest.param(
        lambda d: right(d, "access")["deadline"].update(verb="complete"),
        lambda d: right(d, "access")["deadline"].update(verb="answer"),
        ("rights", "access", "deadline.verb"),
        id="complete-becomes-answer",
    ),
    pytest.param(
        None,
        lambda d: right(d, "access")["deadline"].update(qualifier="in_principle"),
        ("rights", "access", "deadline.qualifier"),
        id="deadline-hedged",
    ),
    pytest.param(
        None,
        lambda d: right(d, "deletion").update(restrict_when_retention_required=True),
        ("rights", "deletion", "restrict_when_retention_required"),
        id="right-restricted-during-retention",
    ),
    pytest.param(
        lambda d: right(d, "cancel_account").update(effect="注销后删除您的个人信息"),
        lambda d: right(d, "cancel_account").update(effect=""),
        ("rights", "cancel_account", "effect"),
        id="effect-of-right-withdrawn",
    ),
    pytest.param(
        lambda d: d["policy"].update(on_decline="browse_only"),
        lambda d: d["policy"].update(on_decline="stop_service"),
        ("policy", "on_decline", "on_decline"),
        id="declining-stops-the-service",
    ),
    pytest.param(
        None,
        lambda d: d["policy"].update(minimum_age=14),
        ("policy", "minimum_age", "minimum_age"),
        id="younger-users",
    ),
    pytest.param(
        lambda d: d["policy"].update(notice_methods=["弹窗", "短信"]),
        lambda d: d["policy"].update(notice_methods=["弹窗"]),
        ("policy", "notice_methods", "notice_methods"),
        id="fewer-notice-methods",
    ),
    pytest.param(
        lambda d: d["policy"].update(signature_required=True),
        lambda d: d["policy"].update(signature_required=False),
        ("policy", "signature_required", "signature_required"),
        id="no-longer-signed",
    ),
    pytest.param(
        lambda d: d["policy"].update(changes_need_consent=True),
        lambda d: d["policy"].update(changes_need_consent=False),
        ("policy", "changes_need_consent", "changes_need_consent"),
        id="changes-no-longer-need-consent",
    ),
    pytest.param(
        lambda d: d["storage"].update(on_service_end="delete"),
        lambda d: d["storage"].update(on_service_end="anonymise"),
        ("storage", "on_service_end", "on_service_end"),
        id="weaker-end-of-service",
    ),
    pytest.param(
        lambda d: d["storage"].update(service_end_notice=True),
        lambda d: d["storage"].update(service_end_notice=False),
        ("storage", "service_end_notice", "service_end_notice"),
        id="no-notice-before-service-ends",
    ),
    pytest.param(
        None,
        lambda d: d["security"].update(measures=["传输加密"]),
        ("security", "measures", "measures"),
        id="fewer-security-measures",
    ),
    pytest.param(
        lambda d: d["incident"].update(report_to_regulator=True),
        lambda d: d["incident"].update(report_to_regulator=False),
        ("incident", "report_to_regulator", "report_to_regulator"),
        id="no-report-to-regulator",
    ),
    pytest.param(
        None,
        lambda d: d["app"].update(channels=["App", "H5"]),
        ("app", "channels", "channels"),
        id="policy-covers-more-channels",
    ),
]


@pytest.mark.parametrize(("setup", "widen", "where"), WIDENING)
def test_widening_is_material_and_its_mirror_is_not(
    setup: Edit | None, widen: Edit, where: tuple[str, str, str]
) -> None:
    setups = [setup] if setup else []
    old, new = edited(*setups), edited(*setups, widen)
    change = found(diff(old, new), *where)
    assert change.material, change
    assert " (" in change.reason and change.reason != UNKNOWN.reason, change.reason
    back = found(diff(new, old), *where)
    assert not back.material, back


EITHER_WAY: list[Any] = [
    pytest.param(
        lambda d: scenario(d, "identity_check").update(on_refusal="拒绝将无法借款"),
        ("scenarios", "identity_check", "on_refusal"),
        id="scenario-refusal-effect",
    ),
    pytest.param(
        lambda d: consent(d, "sensitive_identity").update(on_refusal="拒绝将无法使用本服务"),
        ("consents", "sensitive_identity", "on_refusal"),
        id="consent-refusal-effect",
    ),
    pytest.param(
        lambda d: recipient(d).update(method="API接口传输"),
        ("recipients", "funder", "method"),
        id="recipient-method",
    ),
    pytest.param(
        lambda d: sdk(d).update(provider="另一科技有限公司"),
        ("sdks", "push_sdk", "provider"),
        id="sdk-provider",
    ),
    pytest.param(
        lambda d: sdk(d).update(function="消息推送及广告"),
        ("sdks", "push_sdk", "function"),
        id="sdk-function",
    ),
    pytest.param(
        lambda d: by_id(d["h5_links"], "credit_h5").update(domain="other.example.com"),
        ("h5_links", "credit_h5", "domain"),
        id="h5-domain",
    ),
    pytest.param(
        lambda d: by_id(d["tracking"], "login_cookie").update(kind="local_storage"),
        ("tracking", "login_cookie", "kind"),
        id="tracking-kind",
    ),
    pytest.param(
        lambda d: by_id(d["rights"]["refusal_grounds"], "national_security").update(
            text="与国家安全相关的"
        ),
        ("rights", "refusal_grounds.national_security", "text"),
        id="refusal-ground-reworded",
    ),
    pytest.param(
        lambda d: scenario(d, "registration").update(legal_basis="contract"),
        ("scenarios", "registration", "legal_basis"),
        id="legal-basis",
    ),
    pytest.param(
        lambda d: consent(d, "privacy_policy").update(kind="permission_prompt"),
        ("consents", "privacy_policy", "kind"),
        id="general-to-permission-prompt",
    ),
    pytest.param(
        lambda d: consent(d, "sensitive_identity").update(kind="guardian"),
        ("consents", "sensitive_identity", "kind"),
        id="separate-to-guardian",
    ),
]


@pytest.mark.parametrize(("edit", "where"), EITHER_WAY)
def test_changes_a_machine_cannot_rank_are_material_both_ways(
    edit: Edit, where: tuple[str, str, str]
) -> None:
    """Another effect of refusing, another mechanism of consent: neither is a narrowing."""
    new = edited(edit)
    assert found(diff(BASE, new), *where).material
    assert found(diff(new, BASE), *where).material


NARROWING: list[Any] = [
    pytest.param(
        lambda d: consent(d, "privacy_policy").update(kind="separate"), id="general-to-separate"
    ),
    pytest.param(
        lambda d: consent(d, "sensitive_identity").update(asked="each_time"),
        id="consent-asked-each-time",
    ),
    pytest.param(
        lambda d: rule(d, "browse_data").update(starts="collection", then="delete"),
        id="counted-from-collection-then-deleted",
    ),
    pytest.param(
        lambda d: rule(d, "account_data").update(bound="at_most"), id="fixed-made-maximum"
    ),
    pytest.param(
        lambda d: recipient(d).update(
            delete_on_end=True, de_identified="always", kind="entrusted_processor"
        ),
        id="recipient-narrowed",
    ),
    pytest.param(
        lambda d: right(d, "access")["deadline"].update(verb="complete", counted_from="receipt"),
        id="deadline-promises-more",
    ),
    pytest.param(
        lambda d: d["policy"].update(minimum_age=20, notice_methods=["弹窗", "短信"]),
        id="policy-narrowed",
    ),
    pytest.param(
        lambda d: by_id(d["tracking"], "login_cookie").update(how_to_clear="设置-隐私-清除Cookie"),
        id="how-to-clear-reworded",
    ),
    pytest.param(
        lambda d: right(d, "access").update(self_service="我的-设置-个人信息"),
        id="self-service-path-reworded",
    ),
    pytest.param(lambda d: d["incident"]["notify_via"].append("短信"), id="more-incident-notice"),
]


@pytest.mark.parametrize("edit", NARROWING)
def test_narrowing_is_not_material(edit: Edit) -> None:
    changes = diff(BASE, edited(edit))
    assert changes and not any(c.material for c in changes), changes


def test_a_consent_replaced_by_one_as_strong_for_as_much_pi_is_not_material() -> None:
    def replace(d: Data) -> None:
        d["consents"].append({**consent(d, "sensitive_identity"), "id": "identity_consent"})
        scenario(d, "identity_check")["consents"] = ["privacy_policy", "identity_consent"]
        recipient(d).update(consent="identity_consent")

    changes = diff(BASE, edited(replace))
    assert found(changes, "scenarios", "identity_check", "consents").material is False
    assert found(changes, "recipients", "funder", "consent").material is False
    assert not any(c.material for c in changes), changes


def test_a_consent_covering_less_pi_is_material_while_the_pi_is_still_collected() -> None:
    def covers(*elements: str) -> Edit:
        return lambda d: consent(d, "sensitive_identity").update(elements=list(elements))

    old = edited(covers("id_number", "name"))
    change = found(
        diff(old, edited(covers("id_number"))), "consents", "sensitive_identity", "elements"
    )
    assert change.material and change.reason.endswith(": name")
    no_longer_collected = edited(
        covers("id_number"), lambda d: scenario(d, "identity_check")["elements"].pop(0)
    )
    changes = diff(old, no_longer_collected)
    assert not found(changes, "consents", "sensitive_identity", "elements").material
    assert not any(c.material for c in changes), changes


def test_a_consent_removed_while_still_named_is_material() -> None:
    change = found(
        diff(BASE, edited(lambda d: d["consents"].remove(consent(d, "sensitive_identity")))),
        "consents",
        "sensitive_identity",
        None,
    )
    assert change.kind == "removed" and change.material


def test_a_permission_defined_wider_in_the_taxonomy_is_material() -> None:
    def defined(*android: str) -> Edit:
        def edit(d: Data) -> None:
            d["taxonomy"]["permissions"] = [
                {"id": "wifi", "label": "WLAN", "android": list(android)}
            ]
            scenario(d, "device_security")["permissions"] = [{"permission": "wifi"}]

        return edit

    old, new = (
        edited(defined("ACCESS_WIFI_STATE")),
        edited(defined("ACCESS_WIFI_STATE", "ACCESS_FINE_LOCATION")),
    )
    change = found(diff(old, new), "permissions", "wifi", "android")
    assert change.material and "ACCESS_FINE_LOCATION" in change.reason
    assert not found(diff(new, old), "permissions", "wifi", "android").material


# ---------------------------------------------------------------- what the table does not know


def _judge(part: str, change: Change) -> Change:
    ctx = DiffContext(BASE, BASE, taxonomy_of(BASE), taxonomy_of(BASE))
    return judge(Found(part, change), ctx)


def test_a_field_the_table_does_not_know_is_material() -> None:
    change = _judge(
        "scenarios",
        Change("scenarios", "registration", "changed", "shiny_new_field", 1, 2, False, ""),
    )
    assert change.material and change.reason == f"{UNKNOWN.reason}: shiny_new_field"
    assert rule_for("scenarios", "shiny_new_field") is UNKNOWN
    assert rule_for("no_such_part", "name") is UNKNOWN


def test_a_section_the_schema_gains_is_compared_and_judged_material() -> None:
    class Inventory(s.Model):
        id: s.Id
        label: s.Text

    class Future(Declaration):
        inventory: list[Inventory] = []  # noqa: RUF012 (pydantic copies defaults)
        minors: str = ""

    data = BASE.model_dump(mode="json")
    old = Future.model_validate({**data, "inventory": [{"id": "a", "label": "甲"}]})
    new = Future.model_validate(
        {
            **data,
            "inventory": [{"id": "a", "label": "乙"}, {"id": "b", "label": "丙"}],
            "minors": "不满14周岁的未成年人需监护人同意",
        }
    )
    facts = {(c.section, c.key, c.kind, c.field, c.material) for c in diff(old, new)}
    assert facts == {
        ("inventory", "a", "changed", "label", True),
        ("inventory", "b", "added", None, True),
        ("minors", "minors", "changed", "minors", True),
    }


# ---------------------------------------------------------------- the table covers the schema

PARTS: dict[str, tuple[type[BaseModel], set[str]]] = {
    "app": (s.App, set()),
    "policy": (s.PolicyInfo, set()),
    "scenarios": (s.Scenario, {"id"}),
    "consents": (s.ConsentItem, {"id"}),
    "retention": (s.RetentionRule, {"id"}),
    "recipients": (s.Recipient, {"id"}),
    "sdks": (s.Sdk, {"id"}),
    "sdk_notes": (s.SdkNotes, set()),
    "h5_links": (s.H5Link, {"id"}),
    "joint_handlers": (s.JointHandler, {"id"}),
    "tracking": (s.TrackingItem, {"id"}),
    "rights.items": (s.Right, {"id"}),
    "rights.refusal_grounds": (s.RefusalGround, {"id"}),
    "rights": (s.Rights, {"items", "refusal_grounds"}),
    "contacts.channels": (s.ContactChannel, {"id"}),
    "contacts": (s.Contacts, {"channels"}),
    "storage": (s.Storage, set()),
    "security": (s.Security, set()),
    "incident": (s.Incident, set()),
    "pi_inventory": (s.InventoryGroup, {"id"}),
    "app_permissions": (s.AppPermission, {"permission"}),
    "published_elsewhere": (s.PublishedLists, set()),
}


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf path the diff can report for ``model``, ids as ``*`` (keys left out)."""
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner, optional = _unwrap(info.annotation)
        item = _list_item(inner)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and inner is not s.Duration:
            out += ([path] if optional else []) + _paths(inner, f"{path}.")
        elif item is not None and {"id", "permission"} & set(item.model_fields):
            key = "id" if "id" in item.model_fields else "permission"
            out += [path, f"{path}.*"] + [
                p for p in _paths(item, f"{path}.*.") if p != f"{path}.*.{key}"
            ]
        elif typing.get_origin(inner) is dict:
            out.append(f"{path}.*")
        else:
            out.append(path)
    return out


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else annotation), True
    return annotation, False


def _list_item(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def test_every_schema_field_has_a_judgement() -> None:
    """A field added to the schema is judged material until one line in the table says
    otherwise; this test lists the fields still waiting for that line."""
    missing = [
        f"{part}: {path}"
        for part, (model, keys) in PARTS.items()
        for path in _paths(model)
        if path.split(".")[0] not in keys and rule_for(part, path) is UNKNOWN
    ]
    assert not missing, "add a line to yinsi.declaration.diff_rules.TABLE for:\n" + "\n".join(
        missing
    )
    assert set(PARTS) | {"elements", "permissions", "purposes"} == set(TABLE)
