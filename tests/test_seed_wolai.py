"""我来数科 (seed 004): the render says what the 2022-02-28 policy commits to, in its
modality and its kinds of consent, and no more.

Each entry of :data:`COMMITMENTS` is a commitment of the seed (../shared/seeds/
004_606e21470fab201d.txt), by section, as it must appear in the rendered policy: the
verbs of its deadlines ("处理完成", "进行处理或反馈", never "答复"), its "会" / "可以",
its permission prompts and deemed consents as what they are. :data:`NEVER` lists
sentences the render must not contain.
"""

from __future__ import annotations

import pytest

from conftest import EXAMPLES
from yinsi.declaration import load
from yinsi.policy import render

DECLARATION = EXAMPLES / "wolai-shuke.yaml"

PERMISSIONS = [
    "定位权限",
    "相机及相册权限",
    "存储权限（修改或删除SD卡中的内容）",
    "获取设备识别码和状态权限",
    "无线网络数据访问权限",
    "获取应用列表权限",
    "运动数据权限",
    "通知权限",
]
"""（三）7 (1)-(8): the operating system's permission prompts."""

DEEMED = [
    "向高德地图SDK服务方提供经度、纬度信息",
    "向淘新机运营方提供手机号码",
    "向就享买运营方提供手机号码",
    "向钱夹谷谷运营方提供手机号码",
]
"""（四）6 (1)-(3) and （四）7 row 11: "视为您同意"."""

COMMITMENTS: dict[str, list[str]] = {
    # （五）1, 2: the seed names no period, only how long ("必需期间").
    "retention": [
        "我们仅会在必需期间和符合法律法规要求的时限内保留您的信息",
        "存储在中华人民共和国境内",
    ],
    # （五）6: "在收到您申请的15个工作日内处理完成"; （七）1: "在收到您投诉、举报的15个工作日内
    # 进行处理或反馈".
    "deadlines": [
        "我们将在收到您的请求后15个工作日内处理完成。",
        "我们将在收到您的请求后15个工作日内进行处理或反馈。",
    ],
    # （五）3-5, （七）1, 3.
    "rights": [
        "通过本平台提示的相关功能对您的信息进行修改",
        "10100518@welab-inc.com",
        "您满足撤回同意的条件",
        "您满足账户进行注销的条件",
        "如您在本平台尚有未清偿的债务，本平台有权拒绝您注销账户的申请",
        "不会影响此前基于您的授权而开展的个人信息的处理",
        "根据适用法律要求删除您的个人信息或进行匿名化处理",
        "签署地深圳市南山区人民法院",
    ],
    # （四）: "会" for the sub-products (6), "可以" for the authorities (4).
    "provision": [
        "**横琴星盈融资租赁有限公司**：我们会向其提供您的个人信息",
        "我们可能会向其提供您的个人信息",
        "用于相关法律、法规、规章和规范性文件规定的用途",
    ],
    # （四）7: the SDK table.
    "sdks": [
        "极光推送SDK",
        "深圳市和讯华谷信息技术有限公司",
        "| 阿里云OSS |",
        "| 梆梆加固 | 移动应用安全加固 | 应用安全加固 | 不收集个人信息 |",
        "集团内部风控Wedefend SDK",
    ],
    # （二）1: cookies, similar technologies and third-party pages.
    "cookies": [
        "X-User-Token",
        "点击“清除缓存”按钮",
        "这些第三方可能通过自己的Cookie收集您的信息",
        "我们也会履行必要的审核义务，并努力去要求第三方对您的个人信息采取保护措施",
    ],
    # （四）1: affiliates, as the seed defines them.
    "affiliates": [
        "本公司在中国境内的关联公司",
        "关联公司是指一方现在或将来控制、受控制或与其出于共同控制下的任何公司",
    ],
    # （三）7 and （四）6, 7: permission prompts and deemed consents, as what they are.
    "consent kinds": [
        *(f"“{label}”（系统权限授权）" for label in PERMISSIONS),
        *(f"“{label}”（视为同意）" for label in DEEMED),
        "则视为您同意将您的经度、纬度信息提供给高德地图SDK服务方",
        "部分设备系统或版本可能并不单独提示",
    ],
    # （三）7(6) "可能由集成的广点通SDK使用": scenario likelihood `may`.
    "modality": [
        "我们可能需要收集您的已安装应用列表",
        # （三）7(4) "本平台可能需要获取您设备的识别码和状态"; 7(5) "将…收集" (build 7).
        "我们可能需要收集您的设备型号、IP地址、SIM卡信息",
        "我们需要收集您的网络信息（所使用网络的运营商、制式、网络类型和网络名称）",
    ],
    # （一）2, 4, 6 "摄像头拍摄（或用户输入）": no album upload for these rows.
    "methods": [
        "- **收集方式**：摄像头拍摄。",
        "- **收集方式**：摄像头拍摄、用户主动填写。",
        "满足监管要求",
    ],
    # （七）2.
    "changes": [
        "更新后的政策自您同意之日起对您生效",
        "有权停止使用本平台的产品和/或服务",
        "未经您明确同意，本平台不会限制您按本隐私政策的内容所应享有的权利。",
        # （七）2 "您同意继续使用本平台服务的，应视为您接受…所做的修改" (build 7).
        "如果您继续使用我们的产品和/或服务，则视为您接受我们对本政策相关条款所做的修改。",
    ],
    # 序言 "根据现行法规及政策，制定本隐私政策".
    "basis": ["（以下简称“本政策”）根据现行法规及政策制定"],
    # （六）1 "我们努力采取…": an effort.
    "security": [
        "我们努力采取各种符合业界标准的物理、电子和管理方面的安全措施来保护您的个人信息安全"
    ],
    # （五）5 "有权拒绝": a discretion.
    "refusal": ["在以下情形中，我们可能无法响应您的请求："],
}

NEVER: list[str] = [
    # Permission prompts and deemed consents presented as separate consent (issue §1.3).
    *(f"“{label}”（单独同意）" for label in PERMISSIONS + DEEMED),
    # The seed's deadlines promise completion or processing, never only an answer.
    "15个工作日内答复",
    # The seed says nothing about what happens when its necessary period ends.
    "期限届满后删除或匿名化处理",
    # Statements of the app the seed does not make.
    "本平台App中不包含会收集您个人信息的第三方H5页面",
    "本平台App未接入会收集您个人信息的第三方SDK",
    "不会从第三方间接获取您的个人信息",
    "未与其他个人信息处理者共同决定",
    "在您首次使用相关功能时",
    "提前通知您停止运营",
    "保存0日",
    "年满0周岁",
    # Issue 13 review: claims no seed section makes. （五）1 says where PI is stored, not
    # that none goes abroad; （三）3 says nothing about the end of the entrustment; （四）7
    # gates only some SDKs, in their own rows; the seed promises no separate consent for
    # sensitive PI; （四）1 and 4 say "您的个人信息", not what is necessary.
    "目前我们不向境外提供您的个人信息",
    "委托关系结束后要求受托方删除或返还个人信息",
    "在您作出同意前不会被调用",
    "处理前我们将取得您的单独同意",
    "我们将另行征得您的单独同意",
    "或本政策另有说明",
    "我们仅为实现本政策所述的目的",
    "我们仅在本政策所述的目的、方式和范围内处理您的个人信息",
    "为实现处理目的所必需的个人信息",
    # A table row that says nothing (no domain, no PI).
    "| 第三方创建的网页 | — | — |",
    # Reviewer's findings (issue 13, second pass). The seed gives no basic/extended tiers
    # and no effect of refusing 资料审核 or 资格审核.
    "不影响您使用基本业务功能",
    "扩展业务功能由您自主选择是否使用",
    # The seed's moment is "在确认签署本政策之前", not registration.
    "在您注册时",
    # （二）4、5 and the SDK rows say "授权" / "相关隐私协议", not separate consent.
    "“第三方账户授权”（单独同意）",
    "“微信支付SDK”（单独同意）",
    "“旷视SDK”（单独同意）",
    # （一）4 "监管要求", not the built-in purpose.
    "为判断是否具备业务申请条件、履行法定义务、配合有权机关",
    # The seed does not say the device-identifier permission is optional.
    "设备识别码和状态（电话）权限：仅在登录及必要的业务环节调用；非必需",
    # （五）5 "有权拒绝" is a refusal ground, not a precondition.
    "**前提条件**：您在本平台没有未清偿的债务",
    # The seed names no law as its basis, and its security measures are an effort.
    "依据《中华人民共和国个人信息保护法》",
    "我们采取的安全保护措施如下",
    # A seam: the page's name repeated as the label of a note that names it.
    "第三方创建的网页：当您通过平台访问第三方创建的网页时",
    # （三）7(5) and (7) are not hedged by 7(4)'s 可能 (build 7).
    "我们可能需要收集您的网络信息",
    "运动传感器数据（如有）、设备型号",
]


def test_the_shared_retention_rule_is_said_once_in_chapter_1(policy: str) -> None:
    """Every scenario keeps PI under （五）2: one line in chapter 1, not one a function."""
    chapter = policy.split("## 1.", 1)[1].split("## 2.", 1)[0]
    assert chapter.count("我们仅会在必需期间和符合法律法规要求的时限内保留您的信息") == 1
    assert "**保存期限**" not in chapter


def test_business_partners_pi_is_not_invented() -> None:
    """（四）5 lists no PI and no purpose for 业务合作方; （四）1 no purpose for 关联公司."""
    recipients = {r.id: r for r in load(DECLARATION).recipients}
    partners = recipients["business_partners"]
    assert partners.elements == [] and sorted(partners.not_stated) == ["elements", "purposes"]
    assert recipients["affiliates"].purposes == []
    assert recipients["affiliates"].not_stated == ["purposes"]


def test_the_dispute_clause_is_said_once(policy: str) -> None:
    """（七）3 is rendered in chapter 9 only, not repeated in 4.6 (issue 13 review)."""
    assert policy.count("双方应友好协商解决") == 1


@pytest.fixture(scope="module")
def policy() -> str:
    return render(load(DECLARATION), "policy", "md").replace("\\", "")


@pytest.mark.parametrize(
    "section, fragment",
    [(section, f) for section, fragments in COMMITMENTS.items() for f in fragments],
)
def test_seed_commitment_is_rendered_in_its_modality(
    policy: str, section: str, fragment: str
) -> None:
    assert fragment in policy, f"{section}: {fragment!r} is not in the render"


@pytest.mark.parametrize("sentence", NEVER)
def test_render_claims_nothing_beyond_the_seed(policy: str, sentence: str) -> None:
    assert sentence not in policy


def test_the_seed_s_age_is_not_invented(policy: str) -> None:
    """The seed says nothing about age or minors: the render states no minimum age."""
    assert "年满18周岁" not in policy and "未满18周岁" not in policy


def test_kinds_of_consent_are_what_the_seed_describes() -> None:
    consents = {c.id: c for c in load(DECLARATION).consents}
    kinds = {c.label: c.kind.value for c in consents.values()}
    assert {kinds[label] for label in PERMISSIONS} == {"permission_prompt"}
    assert {kinds[label] for label in DEEMED} == {"deemed"}
    # Every separate consent names the PI it covers.
    assert all(c.elements for c in consents.values() if c.kind.is_separate)
