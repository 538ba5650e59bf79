"""Rendering the small fixture declaration: the API, the structure and the safety of output."""

from __future__ import annotations

import html
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

import yinsi.policy
from yinsi.declaration import Declaration, load, loads
from yinsi.policy import DOCS, FORMATS, render

DATA = Path(__file__).resolve().parent / "data"
MINIMAL = DATA / "minimal.yaml"
ALL = [(doc, fmt) for doc in DOCS for fmt in FORMATS]
CHAPTERS = [
    "引言",
    "要点说明",
    "1. 我们如何收集和使用您的个人信息",
    "2. 我们如何委托处理、共同处理、提供和公开披露您的个人信息",
    "3. 我们如何保护您的个人信息",
    "4. 您的权利",
    "5. 我们如何存储和保存您的个人信息",
    "6. 我们如何使用Cookie及同类技术",
    "7. 未成年人的个人信息保护",
    "8. 本政策的更新",
    "9. 如何联系我们",
]


@pytest.fixture(scope="module")
def minimal() -> Declaration:
    return load(MINIMAL)


@pytest.fixture
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return loaded


def build(data: dict[str, Any]) -> Declaration:
    return loads(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def text_of(page: str) -> str:
    """What a reader sees in an HTML page: tags dropped, entities decoded."""
    body = page.split("<body>", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


# ---------------------------------------------------------------- API


def test_render_rejects_an_unknown_document_naming_the_valid_ones(minimal: Declaration) -> None:
    with pytest.raises(ValueError) as caught:
        render(minimal, "cookie-policy", "md")
    for doc in DOCS:
        assert doc in str(caught.value)


def test_render_rejects_an_unknown_format_naming_the_valid_ones(minimal: Declaration) -> None:
    with pytest.raises(ValueError, match=r"unknown format 'pdf'.*html, md"):
        render(minimal, "policy", "pdf")


def test_public_api() -> None:
    assert yinsi.policy.__all__ == ["DOCS", "FORMATS", "completeness", "explain", "render"]
    assert set(DOCS) == {"policy", "summary", "collected-list", "sharing-list"}
    assert FORMATS == ("md", "html")


@pytest.mark.parametrize(("doc", "fmt"), ALL)
def test_every_document_renders_in_both_formats(minimal: Declaration, doc: str, fmt: str) -> None:
    out = render(minimal, doc, fmt)
    assert out.endswith("\n")
    if fmt == "md":
        assert out.startswith("# ")
        assert "\n\n\n" not in out
    else:
        assert out.startswith("<!DOCTYPE html>")
        assert "<h1>" in out


def test_templates_ship_inside_the_package() -> None:
    templates = files("yinsi.policy") / "templates"
    for name in [
        *DOCS.values(),
        "page.html.j2",
        "_scenario.md.j2",
        "_recipient.md.j2",
        "_update.md.j2",
    ]:
        assert (templates / name).is_file(), name


# ---------------------------------------------------------------- the policy's structure


def test_policy_has_the_nine_chapters_in_order(minimal: Declaration) -> None:
    headings = re.findall(r"^## (.+)$", render(minimal, "policy", "md"), flags=re.M)
    assert [h for h in headings if h != "目录"] == CHAPTERS


def test_html_policy_has_a_table_of_contents_linking_every_chapter(minimal: Declaration) -> None:
    page = render(minimal, "policy", "html")
    nav = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a href="#(s\d+)">([^<]+)</a>', nav)
    assert [title for _, title in links] == CHAPTERS
    for anchor, _ in links:
        assert f'id="{anchor}"' in page
    assert "## 目录" not in page and page.count(">目录<") == 1


def test_each_scenario_says_purpose_method_elements_retention_and_refusal(
    minimal: Declaration,
) -> None:
    md = render(minimal, "policy", "md")
    section = md.split("#### 1.1.2 实名认证", 1)[1].split("####", 1)[0]
    assert "为核验身份、实名认证，我们需要收集您的姓名、身份证号码\\*、人脸信息\\*。" in section
    assert "**收集方式**：用户主动填写、摄像头拍摄或相册上传。" in section
    assert "“身份信息与人脸信息”" in section
    assert "相机权限：仅在您使用相关功能时调用；为该功能所必需。" in section
    assert "**保存期限**：自注销账户之日起保存5年，期限届满后删除或匿名化处理。" in section
    # the scenario states no `on_refusal`: the policy says nothing about refusing it
    assert "如您拒绝" not in section


def test_extended_functions_claim_no_refusal_effect_of_their_own(minimal: Declaration) -> None:
    """Refusing's effect is said per scenario (``on_refusal``), never by the template."""
    md = render(minimal, "policy", "md")
    section = md.split("### 1.2 扩展业务功能", 1)[1].split("### 1.3", 1)[0]
    assert "不影响您使用基本业务功能" not in md.split("### 1.2 扩展业务功能", 1)[0]
    assert "由您自主选择是否使用" not in section
    assert "#### 1.2.1 定位风控" in section and "#### 1.2.2 站内搜索" in section


def test_scenario_likelihood_may_says_possibly_collected(data: dict[str, Any]) -> None:
    """``scenarios[].likelihood: may`` renders 可能需要收集; left out, 需要收集."""
    before = render(build(data), "policy", "md")
    assert "我们可能需要收集" not in before
    data["scenarios"][0]["likelihood"] = "may"
    after = render(build(data), "policy", "md")
    assert after.count("我们可能需要收集") == 1


def test_permission_call_limits_and_fallback_are_stated(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    assert (
        "在登录、人脸识别、申请借款、提款各环节各调用不超过1次，一次完整的服务流程中最多调用4次"
        in md
    )
    assert "您拒绝授权的，使用粗略位置进行风险识别" in md


def test_optional_elements_and_notes_are_qualified(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    assert "紧急联系人信息（姓名、关系、手机号码）、征信报告\\*（如有）" in md


def test_sensitive_pi_table_states_purpose_impact_and_consent(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    row = next(line for line in md.splitlines() if line.startswith("| 人脸信息\\* |"))
    assert "实名认证" in row and "生物识别信息" in row and "“身份信息与人脸信息”" in row
    assert "逾期信息\\*" in md.split("### 1.3", 1)[1].split("### 1.4", 1)[0]


def test_recipients_are_told_with_name_contact_purpose_method_and_kinds(
    minimal: Declaration,
) -> None:
    md = render(minimal, "policy", "md")
    assert (
        "**示例消费金融有限公司**：处理目的：借款申请、放款与还款、信用评估与授信审核；"
        "处理方式：接口加密传输；提供的个人信息：姓名、身份证号码\\*、银行卡信息\\*、月收入\\*；"
        "接收方联系方式：service@funder.example；依据：您的“向资金方提供个人信息”（单独同意）。"
    ) in md
    assert "| 1 | 示例集团科技有限公司 | 姓名、手机号码 |" in md
    assert "委托关系结束后要求受托方删除或返还个人信息" in md


def test_sdk_table_has_the_required_columns_and_platform_note(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    assert "| 名称 | 功能 | 收集的个人信息 | 提供方 | 链接 | 触发的同意 |" in md
    assert (
        "| 示例定位SDK | 定位与反欺诈（仅Android） | 精确位置信息\\*、WLAN接入点信息 | 示例地图有限公司 | "
        "<https://map.example.com/privacy?lang=zh_CN&a=1> | “位置信息”（单独同意） |"
    ) in md
    # 示例加固 lists no elements: nothing is said about what it collects …
    assert "| 示例加固 | 应用安全加固 | — | 示例安全有限公司 | — | — |" in md


def test_x20_an_sdks_declared_purposes_and_note_are_published(data: dict[str, Any]) -> None:
    """PIPL Art. 23 tells the purpose: an SDK's ``purposes`` get their own column (only
    when some SDK declares them) and its ``note`` is published below the table, named
    with its function when two SDKs share a name."""
    data["sdks"][1]["purposes"] = ["anti_fraud"]
    data["sdks"][1]["note"] = "不会自启动或关联启动"
    data["sdks"][1]["role"] = "other_handler"
    data["sdks"][2]["name"] = data["sdks"][1]["name"]
    data["sdks"][2]["note"] = "仅在App启动时运行"
    md = render(build(data), "policy", "md")
    assert "| 名称 | 功能 | 处理目的 | 收集的个人信息 | 提供方 | 链接 | 触发的同意 |" in md
    assert "| 示例定位SDK | 定位与反欺诈（仅Android） | 反欺诈与风险控制 | 精确位置信息" in md
    assert "- 示例定位SDK（定位与反欺诈（仅Android））：不会自启动或关联启动。" in md
    assert "- 示例定位SDK（应用安全加固）：仅在App启动时运行。" in md
    sharing = render(build(data), "sharing-list", "md")
    assert (
        "| 第三方SDK（其他个人信息处理者） | 定位与反欺诈（仅Android）（反欺诈与风险控制） |"
        in sharing
    )
    assert "| 示例地图有限公司（其他个人信息处理者） |" in md


def test_an_sdk_collects_nothing_only_when_the_declaration_says_so(data: dict[str, Any]) -> None:
    data["sdks"][2]["elements"] = []
    md = render(build(data), "policy", "md")
    assert "| 示例加固 | 应用安全加固 | 不收集个人信息 | 示例安全有限公司 | — | — |" in md


def test_rights_chapter_has_channels_deadlines_triggers_and_the_right_to_sue(
    minimal: Declaration,
) -> None:
    md = render(minimal, "policy", "md")
    rights = md.split("## 4. 您的权利", 1)[1].split("## 5.", 1)[0]
    assert "### 4.1 查阅您的个人信息" in rights
    assert "**自助操作**：App“我的-个人信息”。" in rights
    assert "我们将在验证您的身份后15个工作日内答复。" in rights
    assert "一般情况下在3个工作日内处理完成" in rights
    assert "5. 法律、行政法规规定的其他情形。" in rights
    assert "停止除存储和采取必要的安全保护措施之外的处理" in rights
    assert "**前提条件**：账户内无未结清的借款。" in rights
    assert "2. 有充分证据表明您存在主观恶意或滥用权利的。" in rights
    assert "应当说明理由" in rights and "可以依法向人民法院提起诉讼" in rights


def test_retention_table_says_what_happens_when_the_period_ends(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    assert "| 账户与借款信息 | 5年 | 注销账户之日 | 删除或匿名化处理 |" in md
    assert "| 搜索记录与会话信息 | 30日 | 收集之日 | 匿名化处理 |" in md
    assert "我们将提前向您通知" in md and "逐一送达" not in md  # the manner only if declared


def test_contacts_publish_the_officer_department_and_reply_deadline(minimal: Declaration) -> None:
    md = render(minimal, "policy", "md")
    contact = md.split("## 9. 如何联系我们", 1)[1]
    assert "个人信息保护负责人的联系方式为：电子邮箱privacy@minimal-loan.example。" in contact
    assert "个人信息保护部" in contact
    assert "15个工作日内予以答复" in contact


def test_signature_block_only_when_acceptance_is_signed(data: dict[str, Any]) -> None:
    signed = render(build(data), "policy", "md")
    assert "用户签名：【" in signed and "用户账号：【" in signed and "日期：【" in signed
    data["policy"]["signature_required"] = False
    assert "用户签名" not in render(build(data), "policy", "md")


@pytest.mark.parametrize(
    ("mode", "wording"),
    [
        ("browse_only", "仅浏览模式"),
        ("previous_version", "继续按照您此前已同意的版本处理"),
        ("stop_service", "有权停止使用本平台的产品和/或服务"),
    ],
)
def test_policy_update_states_what_declining_means(
    data: dict[str, Any], mode: str, wording: str
) -> None:
    data["policy"]["on_decline"] = mode
    md = render(build(data), "policy", "md")
    update = md.split("## 8. 本政策的更新", 1)[1].split("## 9.", 1)[0]
    assert wording in update
    assert "更新后的政策自您同意之日起对您生效" in update


def test_minors_chapter_follows_the_minimum_age(data: dict[str, Any]) -> None:
    data["policy"]["minimum_age"] = 12
    md = render(build(data), "policy", "md")
    assert "父母或者其他监护人的同意" in md.split("## 7.", 1)[1]


# ---------------------------------------------------------------- safety of the output


def test_markdown_special_characters_in_declaration_text_are_escaped(
    minimal: Declaration,
) -> None:
    md = render(minimal, "policy", "md")
    assert "提交资料后 \\*即时\\* 审核 \\| 结果以短信\\_通知。" in md
    page = render(minimal, "policy", "html")
    assert "提交资料后 *即时* 审核 | 结果以短信_通知。" in text_of(page)
    assert "<em>" not in page


def test_a_pipe_in_a_name_does_not_split_a_table_cell(minimal: Declaration) -> None:
    md = render(minimal, "collected-list", "md")
    header = next(line for line in md.splitlines() if line.startswith("| 序号 |"))
    row = next(line for line in md.splitlines() if "申请借款 \\| 额度审核" in line)
    unescaped = row.replace("\\|", "")
    assert unescaped.count("|") == header.count("|")


def test_declaration_text_cannot_inject_html(data: dict[str, Any]) -> None:
    data["scenarios"][1]["description"] = '<script>alert("x")</script><img src=x onerror=y>'
    page = render(build(data), "policy", "html")
    assert "<script" not in page and "<img" not in page
    assert '<script>alert("x")</script>' in text_of(page)


@pytest.mark.parametrize("doc", list(DOCS))
def test_html_is_self_contained_and_mobile_friendly(minimal: Declaration, doc: str) -> None:
    page = render(minimal, doc, "html")
    assert '<html lang="zh-CN">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "Content-Security-Policy" in page
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"\bsrc=", page)
    assert "@import" not in page and "url(" not in page
    for href in re.findall(r'href="([^"]+)"', page):
        assert href.startswith(("#", "https://", "http://")), href
    assert "PingFang SC" in page and "overflow-x: auto" in page
    assert page.count('<div class="table-wrap">') == page.count("<table>")


def test_policy_package_never_imports_the_cli() -> None:
    package = Path(yinsi.policy.__file__).parent
    for module in package.glob("*.py"):
        assert "yinsi.cli" not in module.read_text(encoding="utf-8"), module.name


def test_w10_the_collected_list_lists_the_apps_permissions_not_tied_to_a_scenario(
    data: dict[str, Any],
) -> None:
    data["app_permissions"] = [
        {
            "permission": "camera",
            "purpose": "拍摄并上传身份证照片",
            "when": "on_use",
            "required": False,
        },
        {"permission": "storage"},
    ]
    listed = render(build(data), "collected-list", "md")
    section = listed.split("、设备权限", 1)[1].split("\n## ", 1)[0]
    assert "我们会申请调用以下设备权限，其使用目的如下：" in section
    assert "拍摄并上传身份证照片" in section and "存储" in section
