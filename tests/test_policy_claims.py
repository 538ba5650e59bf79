"""No invented statements (issue 13, Build 1 and 6): a default or an empty list says
nothing; a field written in the declaration says what it says; no text artefacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from yinsi.declaration import loads
from yinsi.declaration.lint.run import lint
from yinsi.policy import DOCS, explain, render

Dump = Callable[[dict[str, Any]], str]
Edit = Callable[[dict[str, Any]], None]

NEGATIVES = [
    "本平台App未接入会收集您个人信息的第三方SDK",
    "本平台App中不包含会收集您个人信息的第三方H5页面",
    "不会从第三方间接获取您的个人信息",
    "未与其他个人信息处理者共同决定",
    "我们目前未委托他人处理您的个人信息",
    "我们目前不向关联公司提供您的个人信息",
    "我们不向其他个人信息处理者提供您的个人信息",
    "除本节所列情形外，我们不会向其他个人信息处理者提供",
    "我们不使用Cookie及同类技术存储您的个人信息",
    "我们不会申请调用您设备的权限",
    "我们不处理您的敏感个人信息",
    "目前我们不向境外提供您的个人信息",
    "不收集个人信息",
    "本平台没有需要收集您个人信息的基本业务功能",
    "本平台目前没有需要额外收集您个人信息的扩展业务功能",
]
"""Negative claims the renderer used to make from empty lists and defaults."""


def _all_docs(data: dict[str, Any], dump: Dump) -> str:
    d = loads(dump(data))
    return "\n".join(render(d, doc, "md") for doc in DOCS)


def _bare(base: dict[str, Any]) -> dict[str, Any]:
    for key in ("recipients", "sdks", "h5_links", "tracking"):
        base.pop(key, None)
    return base


def test_no_sdks_h5_pages_or_recipients_renders_no_claim_about_them(
    base: dict[str, Any], dump: Dump
) -> None:
    text = _all_docs(_bare(base), dump)
    for negative in NEGATIVES:
        assert negative not in text, negative
    assert "第三方SDK\n" not in text and "### 2.3 第三方SDK" not in text
    assert "第三方H5页面\n" not in text


@pytest.mark.parametrize(
    ("key", "sentence"),
    [
        ("sdks", "本平台App未接入会收集您个人信息的第三方SDK。"),
        ("h5_links", "本平台App中不包含会收集您个人信息的第三方H5页面。"),
        ("recipients", "我们不向其他个人信息处理者提供您的个人信息。"),
        ("tracking", "我们不使用Cookie及同类技术存储您的个人信息。"),
    ],
)
def test_an_empty_list_written_in_the_file_is_an_explicit_negative(
    base: dict[str, Any], dump: Dump, key: str, sentence: str
) -> None:
    data = _bare(base)
    data[key] = []
    d = loads(dump(data))
    policy = render(d, "policy", "md")
    assert sentence in policy
    unit = next(u for u in explain(d, "policy") if sentence in u.text)
    assert unit.kind == "negative" and key in unit.sources


def _set(path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[last] = value

    return edit


DEFAULTS: list[tuple[str, Edit, str]] = [
    ("on_decline", _set("policy.on_decline", "browse_only"), "仅浏览模式"),
    ("changes_need_consent", _set("policy.changes_need_consent", True), "本政策更新时，我们将重新取得您的同意"),
    ("effective_on_acceptance", _set("policy.effective_on_acceptance", True), "自您同意之日起"),
    ("notice_methods", _set("policy.notice_methods", ["弹窗"]), "我们将以弹窗等方式"),
    ("minimum_age", _set("policy.minimum_age", 18), "年满18周岁"),
    ("service_end_notice", _set("storage.service_end_notice", True), "我们将提前向您通知"),
    ("on_service_end", _set("storage.on_service_end", "anonymise"), "对所持有的您的个人信息进行匿名化处理"),
    ("location", _set("storage.location", "mainland_china"), "存储在中华人民共和国境内"),
    ("cross_border", _set("storage.cross_border", False), "目前我们不向境外提供您的个人信息"),
    ("notify_via", _set("incident.notify_via", ["推送通知"]), "推送通知"),
    ("report_to_regulator", _set("incident.report_to_regulator", True), "按照规定向履行个人信息保护职责的部门报告"),
    ("public_notice", _set("incident.public_notice_when_impractical", True), "采取合理、有效的方式发布公告"),
    ("asked", _set("consents.1.asked", "on_first_use"), "在您首次使用相关功能时"),
    ("material_change_notice", _set("policy.material_change_notice", "重大变更将以弹窗提示。"), "重大变更将以弹窗提示"),
    ("on_refusal", _set("scenarios.0.on_refusal", "无法注册。"), "**如您拒绝**：无法注册。"),
    ("channel purposes", _set("contacts.channels.0.purposes", ["inquiry"]), "（适用于咨询）"),
]  # fmt: skip
"""(field, an edit writing it, what it says): said only once the field is written."""


@pytest.mark.parametrize(("field", "edit", "said"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_a_default_says_nothing_and_a_written_field_says_what_it_says(
    base: dict[str, Any], dump: Dump, field: str, edit: Edit, said: str
) -> None:
    base["scenarios"][0].pop("on_refusal", None)
    base["policy"].pop("notice_methods", None)
    base["consents"][1].pop("asked", None)
    base["contacts"]["channels"][0].pop("purposes", None)
    base["contacts"]["channels"][1].pop("purposes", None)
    assert said not in _all_docs(base, dump), field
    edit(base)
    assert said in _all_docs(base, dump), field


def test_refusing_a_scenario_is_told_only_in_the_declarations_words(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0].pop("on_refusal")
    text = _all_docs(base, dump)
    assert "如您拒绝" not in text
    assert "上述信息为实现该功能所必需" not in text
    assert "您可以拒绝提供上述信息" not in text


def test_permission_timing_and_necessity_only_when_written(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0]["permissions"] = [{"permission": "camera"}]
    text = render(loads(dump(base)), "policy", "md")
    assert "- **设备权限**：相机权限。" in text
    assert "在您首次使用相关功能时申请" not in text and "非必需" not in text
    base["scenarios"][0]["permissions"] = [
        {"permission": "camera", "when": "on_use", "required": False}
    ]
    text = render(loads(dump(base)), "policy", "md")
    assert "相机权限：仅在您使用相关功能时调用；非必需，您可以拒绝授权或随时关闭。" in text


def test_no_retention_rule_no_retention_sentence(base: dict[str, Any], dump: Dump) -> None:
    base["scenarios"][0].pop("retention")
    text = render(loads(dump(base)), "policy", "md")
    assert "**保存期限**" not in text
    assert "在实现处理目的所必需的最短期间内保存，期限届满后删除或匿名化处理" not in text


def test_a_recipient_without_contact_gets_no_invented_one(base: dict[str, Any], dump: Dump) -> None:
    base["recipients"][0].pop("contact")
    text = _all_docs(base, dump)
    assert "可通过“如何联系我们”所列方式向我们查询" not in text
    row = next(line for line in text.splitlines() if line.startswith("| 1 | 示例科技有限公司"))
    assert row.endswith("| — |")


def test_an_sdk_listing_no_elements_is_not_said_to_collect_none(
    base: dict[str, Any], dump: Dump
) -> None:
    base["sdks"][0].pop("consent")
    base["sdks"][0].pop("elements")
    text = render(loads(dump(base)), "policy", "md")
    row = next(line for line in text.splitlines() if line.startswith("| 示例推送SDK"))
    assert row == (
        "| 示例推送SDK | 消息推送 | — | 示例推送技术有限公司（受托处理者） | <https://push.example.com/privacy> | — |"
    )
    assert "不收集个人信息" not in text and "您的同意" not in row


def test_rights_are_free_and_verified_only_as_declared(base: dict[str, Any], dump: Dump) -> None:
    base["rights"].pop("verification")
    text = render(loads(dump(base)), "policy", "md")
    assert "原则上不收取费用" not in text
    assert "验证您的身份，再处理您的请求" not in text
    for item in base["rights"]["items"]:
        item["free"] = True
    assert "对于您合理的请求，我们原则上不收取费用。" in render(loads(dump(base)), "policy", "md")


# ---------------------------------------------------------------- text artefacts (Build 6)


def test_a_conditional_note_is_not_doubled_with_if_any(base: dict[str, Any], dump: Dump) -> None:
    base["scenarios"][0]["elements"] = [
        "mobile_number",
        {"id": "id_number", "required": False, "note": "如已实名"},
        {"id": "name", "required": False, "note": "真实姓名"},
    ]
    text = render(loads(dump(base)), "policy", "md")
    assert "身份证号码\\*（如已实名）" in text and "（如已实名，如有）" not in text
    assert "姓名（真实姓名，如有）" in text


def test_no_age_of_zero(base: dict[str, Any], dump: Dump) -> None:
    base["policy"]["minimum_age"] = 0
    text = render(loads(dump(base)), "policy", "md")
    assert "年满0周岁" not in text and "周岁的用户" not in text


def test_a_zero_period_is_not_kept_for_zero_days(base: dict[str, Any], dump: Dump) -> None:
    base["retention"][0].update(period="0d", bound="exactly", starts="collection")
    text = _all_docs(base, dump)
    assert "保存0日" not in text and "0日" not in text
    assert "不保存" in text


def test_x38_a_zero_period_from_a_later_event_is_kept_until_it(
    base: dict[str, Any], dump: Dump
) -> None:
    """``period: 0d, starts: account_cancellation``: kept while the account lives, then
    deleted — never "不保存" (a registration's phone number is kept)."""
    base["retention"][0].update(period="0d", bound="at_most")  # starts: account_cancellation
    text = _all_docs(base, dump)
    assert "不保存" not in text and "0日" not in text
    assert "保存至您注销账户时，期限届满后删除或匿名化处理" in text
    assert "保存至注销账户之日" in text  # the retention table's period cell


@pytest.mark.parametrize(
    ("key", "value", "doubled", "said"),
    [
        ("service_model", "示例贷是为用户匹配持牌资金方的平台", "本平台是示例贷是", "本平台是为用户匹配持牌资金方的平台。"),
        ("service_model", "本平台是为用户匹配持牌资金方的平台", "本平台是本平台是", "本平台是为用户匹配持牌资金方的平台。"),
        ("applies_to", "本政策适用于示例贷App及其H5页面", "适用于本政策适用于", "适用于示例贷App及其H5页面。"),
    ],
)  # fmt: skip
def test_template_leads_are_not_doubled(
    base: dict[str, Any], dump: Dump, key: str, value: str, doubled: str, said: str
) -> None:
    (base["app"] if key == "service_model" else base["policy"])[key] = value
    text = _all_docs(base, dump)
    assert doubled not in text
    assert said in text


def test_the_restriction_sentence_is_not_repeated_after_a_declared_effect(
    base: dict[str, Any], dump: Dump
) -> None:
    deletion = next(r for r in base["rights"]["items"] if r["kind"] == "deletion")
    deletion["effect"] = (
        "出现上述情形时我们将主动删除您的个人信息。法律、行政法规规定的保存期限未届满，或者删除个人信息"
        "从技术上难以实现的，我们将停止除存储和采取必要的安全保护措施之外的处理。"
    )
    relatives = next(r for r in base["rights"]["items"] if r["kind"] == "deceased_relatives")
    relatives["effect"] = (
        "已故用户的近亲属为了自身的合法、正当利益，可以对其相关个人信息进行查阅、复制、更正、删除。"
    )
    text = render(loads(dump(base)), "policy", "md")
    assert text.count("停止除存储和采取必要的安全保护措施之外的处理") == 2  # 4.x once, 5.2 once
    assert "用户死亡的，其近亲属" not in text
    assert "已故用户的近亲属为了自身的合法、正当利益" in text


def test_x18_only_the_elements_marked_sourced_are_said_to_come_from_a_third_party(
    base: dict[str, Any], dump: Dump
) -> None:
    """A scenario that collects from the person and from a data service: the policy's
    indirect-collection section never says that what the person typed in came from the
    data service. With no element marked ``sourced`` it names none (and lint asks for
    the marks); with marks, only those."""
    registration = base["scenarios"][0]
    registration.update(
        methods=["user_input", "data_service_query"], source="经您授权向征信机构查询"
    )
    text = render(loads(dump(base)), "policy", "md")
    item = next(
        line for line in text.splitlines() if line.startswith("1. **注册与登录**：获取方式")
    )
    assert (
        item
        == "1. **注册与登录**：获取方式为经授权向依法设立的数据服务机构查询。经您授权向征信机构查询。"
    )
    assert "source-elements" in {i.rule for i in lint(loads(dump(base)))}
    registration["elements"] = ["mobile_number", {"id": "id_number", "sourced": True}]
    text = render(loads(dump(base)), "policy", "md")
    item = next(
        line for line in text.splitlines() if line.startswith("1. **注册与登录**：获取方式")
    )
    assert "涉及的个人信息：身份证号码" in item and "手机号码" not in item
    assert "source-elements" not in {i.rule for i in lint(loads(dump(base)))}


def test_x38_a_rule_for_pi_not_kept_asks_for_no_period_or_end_action(
    base: dict[str, Any], dump: Dump
) -> None:
    base["retention"].append({"id": "face", "label": "人脸图像", "not_retained": True})
    rules = {(i.rule, i.path[:2]) for i in lint(loads(dump(base)))}
    assert ("retention-period", ("retention", 1)) not in rules
    assert not any(
        rule == "retention-end-action" and path == ("retention", 1) for rule, path in rules
    )


def test_x21_an_entrusted_processor_is_said_to_be_entrusted_not_provided_with_pi(
    base: dict[str, Any], dump: Dump
) -> None:
    """A scenario's collector (受托人, PIPL Art. 21) processes the PI for us: "委托…处理",
    never "向…提供" (a provision, Art. 23). Names with a 、 inside their brackets are
    joined by 、."""
    base["recipients"][0]["name"] = "合作资金方（商业银行、消费金融公司）"
    base["recipients"].append(
        {
            "id": "collector",
            "kind": "entrusted_processor",
            "name": "委托催收机构",
            "purposes": ["post_loan_management"],
            "elements": ["mobile_number"],
            "delete_on_end": True,
        }
    )
    base["recipients"].append(
        {
            "id": "bureau",
            "kind": "other_handler",
            "name": "百行征信有限公司",
            "contact": "0755-00000000",
            "purposes": ["credit_assessment"],
            "elements": ["mobile_number"],
            "consent": "affiliate_sharing",
        }
    )
    base["scenarios"][0]["recipients"] = ["group_affiliate", "collector", "bureau"]
    text = render(loads(dump(base)), "policy", "md")
    assert "向委托催收机构提供" not in text
    assert "委托委托催收机构处理相关个人信息" in text
    assert "向合作资金方（商业银行、消费金融公司）、百行征信有限公司提供相关个人信息" in text
    assert "- **委托处理与对外提供**：为实现上述目的，" in text
    base["scenarios"][0]["recipients"] = ["collector"]
    assert "- **委托处理**：为实现上述目的，我们委托委托催收机构处理" in render(
        loads(dump(base)), "policy", "md"
    )


def test_x20_a_scenario_on_a_contract_that_also_asks_consent_does_not_say_none_is_needed(
    base: dict[str, Any], dump: Dump
) -> None:
    base["scenarios"][0]["legal_basis"] = "contract"
    text = render(loads(dump(base)), "policy", "md")
    assert "除另行征得您同意的处理外，该项处理无需取得您的同意。" in text
    base["scenarios"][0]["consents"] = []
    base["scenarios"][0]["elements"] = ["mobile_number"]
    text = render(loads(dump(base)), "policy", "md")
    assert "依据《个人信息保护法》第十三条，该项处理无需取得您的同意。" in text


def test_x38_a_period_from_the_loans_settlement_says_so(base: dict[str, Any], dump: Dump) -> None:
    base["retention"][0].update(period="5y", bound="at_most", starts="loan_settled")
    text = render(loads(dump(base)), "policy", "md")
    assert "最长不超过您的借款结清后5年" in text and "借款结清之日" in text
