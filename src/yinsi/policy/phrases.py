"""The policy's fixed Chinese wording for the declaration's closed vocabularies.

Enum labels (``LegalBasis.label`` …) are terms; the phrases here are how a policy says
them in a sentence. Statutory wording follows PIPL (Arts. 13, 24, 44-50) and
GB/T 35273-2020 Annex D.
"""

from __future__ import annotations

from datetime import date

from yinsi.taxonomy import ConsentKind, DeclineMode, Likelihood, RightKind

__all__ = [
    "ASKED",
    "CHANNEL_KIND",
    "CHANNEL_PURPOSES",
    "CONSENT_BASIS",
    "CONSENT_HOW",
    "DECLINE",
    "IMPACT",
    "IMPACT_DEFAULT",
    "PERMISSION_WHEN",
    "PROVIDE",
    "RIGHT_EXPLAINED",
    "RIGHT_STATUTE",
    "RIGHT_TITLE",
    "chinese_date",
    "consent_sentence",
    "provision_clause",
    "version_label",
]


LAWS_IN_FORCE: tuple[tuple[date, str], ...] = (
    (date(2021, 11, 1), "《中华人民共和国个人信息保护法》"),
    (date(2017, 6, 1), "《中华人民共和国网络安全法》"),
    (date(2025, 1, 1), "《网络数据安全管理条例》"),
)
"""The laws a policy is drafted under, with the day each came into force."""


def laws_in_force(on: date) -> str:
    """The laws in force on ``on``: a 2022 policy cannot cite the 2024 regulation."""
    return "".join(name for start, name in LAWS_IN_FORCE if start <= on)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def version_label(version: str) -> str:
    """``1.3`` → ``第1.3版``; anything else (a date, a code) is shown as written."""
    plain = version.replace(".", "")
    return f"第{version}版" if plain.isdigit() else version


ASKED: dict[str, str] = {
    "at_registration": "在您注册时",
    "on_first_use": "在您首次使用相关功能时",
    "each_time": "在每次处理前",
    "in_settings": "在设置页面中",
}

CONSENT_HOW: dict[ConsentKind, str] = {
    ConsentKind.GENERAL: "征求您的同意",
    ConsentKind.SEPARATE: "征求您的单独同意",
    ConsentKind.WRITTEN: "取得您的书面同意",
    ConsentKind.PERMISSION_PROMPT: "请求您授权相应的系统权限",
    ConsentKind.DEEMED: "",
    ConsentKind.OPT_OUT: "",
    ConsentKind.GUARDIAN: "征求您的父母或者其他监护人的同意",
}
"""How each kind of consent is obtained, after "我们将[时机]"; each kind in its own words.

A deemed consent is described by the act the policy treats as consent (its
``description``: "如您…，则视为您同意…"), so it has no phrase of its own; an opt-out
is :data:`OPT_OUT_SENTENCE`.
"""

OPT_OUT_SENTENCE = "该项处理默认开启，您可以将其关闭。"

CONSENT_BASIS: dict[ConsentKind, str] = {
    ConsentKind.GENERAL: "您的同意",
    ConsentKind.SEPARATE: "您的单独同意",
    ConsentKind.WRITTEN: "您的书面同意",
    ConsentKind.PERMISSION_PROMPT: "您的系统权限授权",
    ConsentKind.DEEMED: "视为您同意",
    ConsentKind.OPT_OUT: "默认开启（您可以关闭）",
    ConsentKind.GUARDIAN: "您的父母或者其他监护人的同意",
}
"""A consent as the basis of a provision or an SDK call: "依据：您的单独同意（…）"."""


def consent_sentence(kind: ConsentKind, asked: str = "") -> str:
    """How and when the consent is obtained, as a sentence; "" when the declaration is silent.

    ``asked`` is the timing phrase (:data:`ASKED`) when the declaration states it: "我们将
    在您注册时征求您的单独同意。" Without it nothing is said about timing or manner (the
    kind's label already names the manner), except that an opt-out setting is on by
    default — which is what ``kind: opt_out`` declares.
    """
    if kind is ConsentKind.OPT_OUT:
        return OPT_OUT_SENTENCE
    how = CONSENT_HOW[kind]
    return f"我们将{asked}{how}。" if how and asked else ""


PROVIDE: dict[Likelihood | None, str] = {
    Likelihood.MAY: "可能会",
    Likelihood.WILL: "会",
    None: "",
}
"""Says 可能 or 会 before 向…提供, as the declaration says it (nothing when it does not)."""


def provision_clause(likelihood: Likelihood | None, names: str) -> str:
    """Says "我们可能会向X提供相关个人信息" in the declared modality (no final full stop)."""
    return f"我们{PROVIDE[likelihood]}向{names}提供相关个人信息"


PERMISSION_WHEN: dict[str, str] = {
    "on_first_use": "在您首次使用相关功能时申请",
    "on_use": "仅在您使用相关功能时调用",
    "at_login": "仅在您登录时调用",
    "at_launch": "在应用启动时申请",
    "necessary_steps": "仅在登录及必要的业务环节调用",
}

CHANNEL_KIND: dict[str, str] = {
    "phone": "电话",
    "email": "电子邮箱",
    "in_app": "App内",
    "web": "网址",
    "postal": "通讯地址",
    "online_chat": "在线客服",
}

CHANNEL_PURPOSES: dict[str, str] = {
    "inquiry": "咨询",
    "complaint": "投诉",
    "rights_request": "行使个人信息权利",
    "pi_officer": "联系个人信息保护负责人",
    "incident": "报告个人信息安全问题",
    "report": "举报",
}

DECLINE: dict[DeclineMode, str] = {
    DeclineMode.BROWSE_ONLY: (
        "您不同意更新后的政策的，我们仍将向您提供仅浏览模式，"
        "但您可能无法使用本平台产品和/或服务的完整功能。"
    ),
    DeclineMode.PREVIOUS_VERSION: (
        "您不同意更新后的政策的，我们将继续按照您此前已同意的版本处理您的个人信息。"
    ),
    DeclineMode.STOP_SERVICE: "您不同意更新后的政策的，有权停止使用本平台的产品和/或服务。",
}
"""What declining a new version means, one sentence per ``policy.on_decline``: each says
its own promise only. Browse-only does not say the accepted version goes on being
applied (that is ``previous_version``'s promise, and ``on_decline`` takes one value)."""

# PIPL Art. 30: the impact on the person of processing sensitive PI, by category.
IMPACT: dict[str, str] = {
    "identity": "身份信息一旦泄露或被非法使用，可能导致您的身份被冒用，或使您遭受诈骗等不法侵害",
    "biometric": (
        "生物识别信息具有唯一性且不可更改，一旦泄露或被非法使用，可能导致您的身份被冒用、"
        "财产遭受损失，且难以通过更换加以补救"
    ),
    "property": "财产信息一旦泄露或被非法使用，可能导致您的财产遭受损失或使您遭受金融诈骗",
    "network_identity": "账户凭证一旦泄露，可能导致您的账户被盗用、财产遭受损失",
    "communication": "通信信息一旦泄露，可能导致您及他人的通信秘密和隐私受到侵害",
    "contacts": "联系人信息一旦泄露，可能导致您及您的联系人受到骚扰或诈骗",
    "online_records": "上网记录一旦泄露，可能暴露您的个人偏好和隐私",
    "location": "位置信息一旦泄露，可能暴露您的行踪，危及您的人身和财产安全",
    "basic_profile": "该等信息一旦泄露，可能导致您受到骚扰，或使您的人身、财产安全受到威胁",
    "health": "健康生理信息一旦泄露，可能导致您受到歧视或人格尊严受到侵害",
}
IMPACT_DEFAULT = "一旦泄露或者非法使用，容易导致您的人格尊严受到侵害或者人身、财产安全受到危害"

RIGHT_TITLE: dict[RightKind, str] = {
    RightKind.ACCESS: "查阅您的个人信息",
    RightKind.COPY: "复制您的个人信息",
    RightKind.TRANSFER: "转移您的个人信息",
    RightKind.CORRECTION: "更正、补充您的个人信息",
    RightKind.DELETION: "删除您的个人信息",
    RightKind.WITHDRAW_CONSENT: "撤回或改变您的同意",
    RightKind.CANCEL_ACCOUNT: "注销您的账号",
    RightKind.EXPLANATION: "要求我们解释说明个人信息处理规则",
    RightKind.CONTEST_AUTOMATED_DECISION: "拒绝仅通过自动化决策作出的决定",
    RightKind.OPT_OUT_PERSONALISATION: "拒绝个性化展示与推送",
    RightKind.RESTRICT: "限制或拒绝我们处理您的个人信息",
    RightKind.DECEASED_RELATIVES: "已故用户近亲属的权利",
    RightKind.COMPLAINT: "投诉与举报",
}

RIGHT_STATUTE: dict[RightKind, str] = {
    RightKind.ACCESS: "您有权查阅我们处理的您的个人信息（《个人信息保护法》第四十五条）。",
    RightKind.COPY: "您有权复制我们处理的您的个人信息（《个人信息保护法》第四十五条）。",
    RightKind.TRANSFER: (
        "符合国家网信部门规定条件的，您有权请求将您的个人信息转移至您指定的个人信息处理者"
        "（《个人信息保护法》第四十五条）。"
    ),
    RightKind.CORRECTION: (
        "您发现您的个人信息不准确或者不完整的，有权请求我们更正、补充（《个人信息保护法》第四十六条）。"
    ),
    RightKind.DELETION: "有下列情形之一的，我们将主动删除您的个人信息；我们未删除的，您有权请求删除：",
    RightKind.WITHDRAW_CONSENT: (
        "对于基于您的同意而进行的个人信息处理活动，您有权撤回同意（《个人信息保护法》第十五条）。"
    ),
    RightKind.CANCEL_ACCOUNT: "您可以申请注销您的账号。",
    RightKind.EXPLANATION: (
        "您有权要求我们对本政策所述的个人信息处理规则进行解释说明（《个人信息保护法》第四十八条）。"
    ),
    RightKind.CONTEST_AUTOMATED_DECISION: (
        "通过自动化决策方式作出对您个人权益有重大影响的决定的，您有权要求我们予以说明，"
        "并有权拒绝我们仅通过自动化决策的方式作出决定（《个人信息保护法》第二十四条）。"
    ),
    RightKind.OPT_OUT_PERSONALISATION: (
        "通过自动化决策方式向个人进行信息推送、商业营销，应当同时提供不针对其个人特征的选项，"
        "或者向个人提供便捷的拒绝方式（《个人信息保护法》第二十四条第二款）。"
    ),
    RightKind.RESTRICT: (
        "您有权限制或者拒绝我们对您个人信息的处理，法律、行政法规另有规定的除外"
        "（《个人信息保护法》第四十四条）。"
    ),
    RightKind.DECEASED_RELATIVES: (
        "用户死亡的，其近亲属为了自身的合法、正当利益，可以对死者的相关个人信息行使查阅、复制、"
        "更正、删除等权利；死者生前另有安排的除外（《个人信息保护法》第四十九条）。"
    ),
    # PIPL Art. 65 gives 投诉、举报 to the authorities, not to us: say only the complaint.
    RightKind.COMPLAINT: "您可以就我们的个人信息处理活动向我们投诉。",
}
"""Each right as the law grants it: one sentence (the deletion right: the lead-in of its
triggers), said whenever the declaration lists the right."""

RIGHT_EXPLAINED: dict[RightKind, str] = {
    RightKind.WITHDRAW_CONSENT: (
        "撤回同意不影响撤回前基于您的同意已进行的个人信息处理活动的效力。"
    ),
    RightKind.CANCEL_ACCOUNT: (
        "账号注销后，我们将依法删除您的个人信息或者对其进行匿名化处理，法律、行政法规另有规定的除外。"
    ),
}
"""What the law makes of a right, said only when the declaration gives no words of its
own for it (``effect``): the app's words then say it, once."""
