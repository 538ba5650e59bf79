"""小赢卡贷 (seed 000): the render says what 第1.3版 commits to, in its modality, and no more.

Each entry of :data:`COMMITMENTS` is a commitment of the seed (../shared/seeds/
000_c3b0e496369e37e0.txt), by section, written as it must appear in the rendered policy:
the same bound ("最长不超过", not "保存"), the same verb ("进行处理", "答复", "处理完成"),
the same hedge ("原则上", "一般情况下") and the same "可能" / "会". :data:`NEVER` lists
sentences the render must not contain: the seed's words turned into a stronger promise,
and claims the seed does not make.
"""

from __future__ import annotations

import pytest

from conftest import EXAMPLES
from yinsi.declaration import load
from yinsi.policy import render

DECLARATION = EXAMPLES / "xiaoying-kadai.yaml"

COMMITMENTS: dict[str, list[str]] = {
    # 第6节: "最长不超过您注销账户后[5]年"; "存储期限不会超过一个月"; deleted or anonymised after.
    "retention": [
        "最长不超过您注销账户后5年，期限届满后删除或匿名化处理",
        "最长不超过1个月，期限届满后删除或匿名化处理",
        "| 账户及业务相关个人信息 | 最长不超过5年 | 注销账户之日 |",
        "除法律法规及监管另有要求外，最长不超过您注销账户后5年",
    ],
    # 4.8: "原则上将于收到您的请求并在验证您用户身份后的十五个工作日内做出答复"; 4.5, 4.6.1:
    # "将在十五个工作日内对您的请求进行处理" (4.6.1 names no start); 4.9: "一般来说…三个工作日
    # 内处理完成…最长…十五个工作日…作出答复"; 第10节: "一般情况下，我们将在15个工作日内回复".
    "deadlines": [
        "我们原则上将在收到您的请求并验证您的身份后15个工作日内答复。",
        "我们将在验证您的身份后15个工作日内对您的请求进行处理。",
        "我们将在15个工作日内对您的请求进行处理。",
        "我们将在验证您的身份后15个工作日内答复，一般情况下在3个工作日内处理完成。",
        "一般情况下，我们将在15个工作日内予以答复。",
    ],
    # 4.8 "在以下情形中，按照法律法规要求，我们将无法响应您的请求".
    "refusal": [
        "在以下情形中，我们将无法响应您的请求：\n\n1. 与我们履行法律法规规定的义务相关的；"
    ],
    # 9.3 "如果您继续使用…则视为您接受…所做的修改".
    "continued use": [
        "如果您继续使用我们的产品和/或服务，则视为您接受我们对本政策相关条款所做的修改。"
    ],
    # 第4节: how each right is exercised.
    "rights": [
        "【我的】：查阅绑定银行卡、手机号码、登录密码和交易密码",
        "关闭设备功能或在设备中进行“隐私设置”",
        "客服热线：952592",
        "yskf@xiaoying.com",
        "注销账户为不可逆行为",
        "但法律法规或监管机构另有规定需要留存的除外",
        "我们可能基于用户画像决定您的金融产品额度",
        "按照页面提示的方式退订或关闭，或通过短信中提供的退订方式退订个性化展示广告",
        "已故用户生前未另有安排",
        "与我们履行法律法规规定的义务相关的",
        "涉及商业秘密的",
        "如您不满意我们的答复，还可以向消费者权益保护部门投诉或向有管辖权的法院提起诉讼。",
    ],
    # 2.1, 2.2: provisions with the seed's "会" / "可能".
    "provision": [
        "我们会向第三方资金出借主体（资金提供方）、资金清算银行、第三方支付机构提供相关个人信息",
        "我们可能会向信用评估机构（征信、核验及查询服务合作方／信息核验服务提供商）提供相关个人信息",
        "我们会向依法设立的第三方电子认证服务合作机构提供相关个人信息",
        "我们可能会向保险及担保服务提供方提供相关个人信息",
        "我们可能会向转接清算交易机构提供相关个人信息",
        "在委托关系解除时，我们会要求合作机构不再保存相关信息",
    ],
    # 2.2.4 F: the SDK table, with the PI each row lists.
    "sdks": [
        "| com.yingzt.lib | 数据分析SDK | 运营统计与分析 | IMEI |",
        "七牛云存储SDK",
        "| 爱加密 | 移动应用安全加固 | 应用安全加固 | 不收集个人信息 |",
        "每日互动股份有限公司（个推）",
        "https://docs.getui.com/privacy/",
    ],
    # 2.2.4 F: third-party H5 links and what they may collect.
    "h5": [
        "| 腾讯 TBS | x5.tencent.com |",
        "| 支付宝 | open.alipay.com |",
        "可能收集的个人信息",
    ],
    # 第7节, Cookie指引.
    "cookies": [
        "您禁用Cookie功能后，可能无法登录或使用小赢卡贷依赖于Cookie的服务或功能",
        "我们不会将Cookie用于本政策所述目的之外的任何用途",
        "我们会根据相关法律法规的要求及时删除这些供浏览使用的Cookie",
    ],
    # 2.2.3, 第11节, 第6节: the affiliates, each with the PI its row lists, and the carve-outs.
    "affiliates": [
        "深圳数镜科技有限责任公司",
        "征信报告*、三方数据查询结果*",
        "我们可能会向其提供您的个人信息",
        "关联公司如果要改变个人信息的处理目的，将再次征求您的授权同意",
        "可能导致您无法使用由该关联公司在本平台上为您提供的服务",
        "并不影响我们的关联方基于您的同意而继续处理您的个人信息以及您届时相应地继续使用该等关联方的服务",
    ],
    # 1.1.1 H(2): opt-out, as the seed describes it; H(1) says only 退订或关闭 (issue 13).
    "consent kinds": [
        "“个性化展示与推荐（用户画像）”（默认开启、可关闭）",
        "“商业性信息与服务通知”（同意）",
        "可以通过信息或页面提示的方式退订或关闭",
        "“安装应用列表”（同意）",
        "“位置信息*”（单独同意）",
        "我们将在每次处理前征求您的同意",
    ],
    # Full read (issue 13): each recipient in its own modality within one scenario
    # (2.2.4 A "我们会将", 2.2.4 B "我们可能会将"); 1.1.3 and 2.2.4 G/H in the seed's words.
    "modality of provision": [
        "我们会向第三方资金出借主体（资金提供方）、资金清算银行、第三方支付机构提供相关个人信息，"
        "可能会向信用评估机构（征信、核验及查询服务合作方／信息核验服务提供商）提供相关个人信息",
        "您同意我们有权对您的个人信息进行分析并用于建设数据模型（例如反欺诈模型），"
        "有权将您的个人信息用于机器学习或算法模型训练",
        "我们可能会向引流合作方共享您在注册、开通小赢额度服务",
        "您同意我们可以向转接清算交易机构提供查询所需相关信息",
        "采取技术方式对委托处理的信息进行脱敏处理",
    ],
    # Build 7: 1.2 F/H in the seed's word (授权同意); 1.2 B "可能会…接收并记录" with its GPS位置;
    # 1.3 "可能会…获取"; 2.2.4 F's SDKs by function, their testing and the open-source 注;
    # 1.1.1 H(1) and 第5节 on the general consent item.
    "build 7": [
        "“通讯录”（授权同意）",
        "“与借贷审核相关的短信记录/通话记录/图片日志信息”（授权同意）",
        "我们可能需要收集您的设备型号",
        "基站信息（基站传感器信息）、精确位置信息*（GPS位置）",
        "我们可能需要收集您的征信报告*（人行征信报告，如有）",
        "银行卡识别SDK需要获得您的银行卡号码",
        "广告推送SDK需要获取您的设备识别码、设备位置进行广告推送",
        "软件工具开发包（SDK）进行严格的安全检测，并与授权合作方约定严格的数据保护措施",
        "功能性开源组件（来源网址https://github.com/）",
        "“商业性信息与服务通知”（同意）：我们可能会通过电话、短信、App Push、站内信等方式",
        "如您拒绝或关闭：您不可取消与服务有关、性质不属于推广的公告。",
        "您可以通过页面勾选同意、确认同意或者使用/继续使用小赢卡贷产品和/或服务的方式同意本政策",
    ],
    # 3.4 and the statute behind 4.10 / 第4节 (PIPL Arts. 24 para. 2, 44).
    "law and incidents": [
        "难以逐一告知的，我们将采取合理、有效的方式发布公告。",
        "（《个人信息保护法》第二十四条第二款）",
        "依据《个人信息保护法》第四十四条，您对您的个人信息的处理享有知情权、决定权",
        "本平台仅服务于中华人民共和国大陆（不包括香港特别行政区、澳门特别行政区和台湾地区）境内用户",
    ],
}

NEVER: list[str] = [
    # Template texts the seed does not use (issue 13 review): a legal conclusion for SDKs
    # that collect nothing, 举报 in chapter 9 where the seed offers complaints only, an instruction to
    # minors other than the seed's own (第8节).
    "不收集个人信息，无需同意",
    # 4.8 "将无法响应", not the template's hedge.
    "我们可能无法响应您的请求",
    "或需要投诉、举报",
    "请您不要注册或使用",
    "“安装应用列表”（单独同意）",
    # The modality changes: a maximum is not a fixed period, a reply not completion.
    "自注销账户之日起保存5年",
    "保存1个月",
    "自收集之日起保存",
    # Per-SDK location gates the seed does not have (2.2.4 F lists location among what
    # the SDKs may collect; 1.2 E's authorisation is for our own collection).
    "获取地理位置信息另需",
    "获取精确位置信息另需",
    # Opt-out personalisation is not a separate consent.
    "“个性化展示与推荐（用户画像）”（单独同意）",
    # Text artefacts.
    "（如已实名，如有）",
    "适用于本政策适用于",
    "保存0日",
    "年满0周岁",
    # Issue 13 review: 第6节 states conditions for a transfer abroad, never "none";
    # the seed gates no SDK "before consent"; the overview states the law, not a promise
    # qualified by "本政策另有说明".
    "目前我们不向境外提供您的个人信息",
    "在您作出同意前不会被调用",
    "或本政策另有说明",
    "我们仅在本政策所述的目的、方式和范围内处理您的个人信息",
    # Full read of the render beside the seed (issue 13): 1.1.1 B sends an SMS code, it
    # never asks for a carrier service password; 1.2 E–I never say a permission is called
    # "only" when a feature is used; 1.2 I states no refusal consequence of its own.
    "服务密码",
    "仅在您使用相关功能时调用",
    "- **如您拒绝**：如果您拒绝向我们提供上述信息，将导致您无法获得信用付额度及/或使用小赢卡贷部分产品或服务。\n\n#### 1.1.17",
    # 1.1.3 "您同意我们有权…": a right claimed, not "我们会"; 2.2.4 G "可能会", H "可以".
    "我们会对您的个人信息进行分析",
    "我们会将您在注册、开通小赢额度服务",
    "我们会向转接清算交易机构提供",
    # 2.1 does the 脱敏 unconditionally; 2.2.4 H's de-identified data are the clearing
    # institution's, not what we provide.
    "在可能的情况下进行去标识化处理",
    # 2.1's last sentence is said once, in the seed's words.
    "委托关系结束后要求受托方删除或返还个人信息",
    "提供查询所需相关信息；依据：您的“向转接清算交易机构提供查询信息并获取交易行为标签”（单独同意）；提供前进行去标识化处理",
    # A scenario with recipients of both modalities: no bare "我们向…提供" (neither 会 nor 可能会).
    "为实现上述目的，我们向",
    # 3.4 "采取合理、有效的方式发布公告", not GB/T's 警示信息; PIPL Art. 24 para. 2 is the
    # law's duty, not a promise the seed makes; 第6节 says "存放于境内" once.
    "发布警示信息",
    "我们通过自动化决策方式向您进行信息推送、商业营销的，将同时提供",
    "个人信息存放于中华人民共和国境内。",
    # Build 7: 1.2 F/H say 授权同意; 1.1.3 names no PI (“您的个人信息”) and no collection;
    # 1.3 names no method and no 芝麻分; 1.2 B names no phone permission; the seed never
    # says marketing stops "我们将不再向您发送".
    "“通讯录”（单独同意）",
    "“与借贷审核相关的短信记录/通话记录/图片日志信息”（单独同意）",
    "日志信息（如有）",
    "通讯录*（如有）",
    "芝麻分，如有",
    "经授权向依法设立的数据服务机构查询",
    "经授权由业务合作方提供；涉及的个人信息：征信报告",
    "设备识别码和状态（电话）",
    "从第三方获取个人信用相关信息",
    "我们将不再向您发送前述信息",
    "退订或关闭。您不可取消",
    # 第6节 has its own exception for the end of service; the template adds none.
    "进行删除或匿名化处理，法律、行政法规另有规定的除外。国家法律法规",
]


def test_the_complaint_escalation_is_said_once(policy: str) -> None:
    """4.9 is rendered once (chapter 9), not also in 4.6 (issue 13 review)."""
    assert policy.count("如您不满意我们的答复") == 1


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


def test_every_rights_deadline_keeps_the_seed_s_verb() -> None:
    """4.5 and 4.6.1 promise processing, 4.8 an answer: "答复" never stands for 进行处理."""
    rights = {r.id: r for r in load(DECLARATION).rights.items}
    assert all(r.deadline is None or r.deadline.verb is not None for r in rights.values())
    for rid in ("copy", "transfer", "contest_automated_decision"):
        verb = rights[rid].deadline.verb if rights[rid].deadline else None
        assert verb is not None and verb.value == "process", rid


def test_the_summary_keeps_the_hedge_of_each_deadline() -> None:
    """4.8 "原则上…十五个工作日内做出答复": the summary's rights table keeps 原则上, and 4.9's
    usual three working days (issue 13 full read)."""
    summary = render(load(DECLARATION), "summary", "md")
    assert "| 原则上15个工作日内答复 |" in summary
    assert "| 15个工作日内答复，一般情况下3个工作日内处理完成 |" in summary
