"""Closed vocabularies fixed by law: legal bases, consent kinds, recipient kinds, grades.

Each member's value is its stable English id; ``label`` is the Chinese legal term.
These are closed sets (a declaration cannot add a new legal basis), unlike the
catalogues in :mod:`yinsi.taxonomy.catalogue`, which declarations may extend.
"""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    """A StrEnum whose members also carry a Chinese label."""

    label: str

    def __new__(cls, value: str, label: str) -> _Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class LegalBasis(_Labelled):
    """PIPL Art. 13: consent plus the six statutory exceptions."""

    CONSENT = "consent", "取得个人的同意"
    CONTRACT = "contract", "为订立、履行个人作为一方当事人的合同所必需"
    LEGAL_DUTY = "legal_duty", "为履行法定职责或者法定义务所必需"
    EMERGENCY = "emergency", "为应对突发公共卫生事件或紧急情况下保护生命健康和财产安全所必需"
    NEWS_REPORTING = "news_reporting", "为公共利益实施新闻报道、舆论监督等行为，在合理范围内处理"
    PUBLIC_INFORMATION = (
        "public_information",
        "在合理范围内处理个人自行公开或者其他已经合法公开的个人信息",
    )
    OTHER_LAW = "other_law", "法律、行政法规规定的其他情形"

    @property
    def needs_consent(self) -> bool:
        return self is LegalBasis.CONSENT


class ConsentKind(_Labelled):
    """How consent is obtained (PIPL Art. 14: informed, voluntary and explicit).

    Only ``separate`` (单独同意: 网络数据安全管理条例 Art. 62 (7), "专门作出具体、明确的同意")
    and ``written`` (书面同意: 征信业管理条例 Arts. 14, 18, 29) satisfy PIPL Arts. 23, 25,
    29 and 39, and only for the elements the item names. The other kinds are what many
    policies actually use; each renders in its own words:

    - ``permission_prompt``: the operating system's permission dialog (系统权限授权). It
      authorises a permission, not a purpose or a recipient.
    - ``deemed``: consent inferred from an act ("视为您同意…", e.g. choosing a product);
      not an explicit consent (认定方法 三.4: consent by non-explicit means).
    - ``opt_out``: on by default, the user may switch it off (默认开启、可关闭).
    - ``guardian``: consent of a parent or other guardian (PIPL Art. 31;
      网络数据安全管理条例 Art. 22 (3)).
    """

    GENERAL = "general", "同意"
    SEPARATE = "separate", "单独同意"
    WRITTEN = "written", "书面同意"
    PERMISSION_PROMPT = "permission_prompt", "系统权限授权"
    DEEMED = "deemed", "视为同意"
    OPT_OUT = "opt_out", "默认开启、可关闭"
    GUARDIAN = "guardian", "监护人同意"

    @property
    def is_separate(self) -> bool:
        """Separate or written: the only kinds that satisfy PIPL Arts. 23, 25, 29, 39."""
        return self in (ConsentKind.SEPARATE, ConsentKind.WRITTEN)

    @property
    def is_explicit(self) -> bool:
        """The person acts to agree (PIPL Art. 14 "明确作出"); not deemed, not on by default."""
        return self not in (ConsentKind.DEEMED, ConsentKind.OPT_OUT)

    @property
    def strength(self) -> int:
        """How much choice the person keeps, for ordering kinds (a lower value is weaker).

        Deemed and opt-out < general, permission prompt and guardian < separate < written.
        A change to a weaker kind narrows the person's choice (PIPL Art. 14).
        """
        return _CONSENT_STRENGTH[self]


_CONSENT_STRENGTH: dict[ConsentKind, int] = {
    ConsentKind.DEEMED: 0,
    ConsentKind.OPT_OUT: 0,
    ConsentKind.GENERAL: 1,
    ConsentKind.PERMISSION_PROMPT: 1,
    ConsentKind.GUARDIAN: 1,
    ConsentKind.SEPARATE: 2,
    ConsentKind.WRITTEN: 3,
}


class RecipientKind(_Labelled):
    """Who PI goes to (PIPL Arts. 21, 23, 25, 38; GB/T 35273 §9)."""

    AFFILIATE = "affiliate", "关联公司"
    ENTRUSTED_PROCESSOR = "entrusted_processor", "受托处理者"
    OTHER_HANDLER = "other_handler", "其他个人信息处理者"
    SDK = "sdk", "第三方SDK"
    PUBLIC_DISCLOSURE = "public_disclosure", "公开披露"
    CROSS_BORDER = "cross_border", "境外接收方"

    @property
    def needs_separate_consent(self) -> bool:
        """PIPL Art. 23 (provision), 25 (disclosure), 39 (cross-border).

        Entrusted processing (Art. 21) acts on the handler's behalf and needs no
        consent of its own; affiliates are other handlers in law (Art. 23).
        """
        return self in (
            RecipientKind.AFFILIATE,
            RecipientKind.OTHER_HANDLER,
            RecipientKind.PUBLIC_DISCLOSURE,
            RecipientKind.CROSS_BORDER,
        )


class FinancialGrade(_Labelled):
    """JR/T 0171-2020 personal financial information grades."""

    C1 = "C1", "C1 机构内部信息"
    C2 = "C2", "C2 可识别特定个人身份与金融状况的信息"
    C3 = "C3", "C3 用户鉴别信息"


class FunctionKind(_Labelled):
    """GB/T 35273 §5.3: refusing an extended function never blocks a basic one."""

    BASIC = "basic", "基本业务功能"
    EXTENDED = "extended", "扩展业务功能"


class CollectionMethod(_Labelled):
    """How PI reaches the handler (the 我来数科 list of collection methods, W03)."""

    USER_INPUT = "user_input", "用户主动填写"
    CAMERA = "camera", "摄像头拍摄或相册上传"
    CAMERA_CAPTURE = "camera_capture", "摄像头拍摄"
    DEVICE_PERMISSION = "device_permission", "经授权通过设备权限获取"
    AUTOMATIC = "automatic", "使用产品或服务过程中自动收集"
    COOKIE = "cookie", "通过Cookie及同类技术收集"
    MOBILE_SERVICE_PASSWORD = "mobile_service_password", "提供手机号码及服务密码或短信验证码"
    ACCOUNT_AUTHORISATION = "account_authorisation", "授权登录第三方账户获取"
    PARTNER = "partner", "经授权由业务合作方提供"
    DATA_SERVICE_QUERY = "data_service_query", "经授权向依法设立的数据服务机构查询"
    CUSTOMER_SERVICE = "customer_service", "通过客服渠道提供"

    @property
    def indirect(self) -> bool:
        """The PI comes from a third party, not from the person or their device (X18)."""
        return self in _INDIRECT_METHODS


_INDIRECT_METHODS = frozenset(
    {
        CollectionMethod.PARTNER,
        CollectionMethod.DATA_SERVICE_QUERY,
        CollectionMethod.ACCOUNT_AUTHORISATION,
    }
)


class Platform(_Labelled):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    H5 = "h5", "H5"


class TrackingKind(_Labelled):
    """Client-side storage and tracking technologies (X40, W02)."""

    COOKIE = "cookie", "Cookie"
    HEADER = "header", "请求头"
    LOCAL_STORAGE = "local_storage", "LocalStorage"
    WEB_BEACON = "web_beacon", "网络信标"
    LOG_FILE = "log_file", "日志文件"
    ETAG = "etag", "实体标签（ETag）"


class RightKind(_Labelled):
    """The rights of PIPL Chapter IV (Arts. 44-50) and the seeds' channels for them."""

    ACCESS = "access", "查阅"
    COPY = "copy", "复制"
    TRANSFER = "transfer", "转移（可携带）"
    CORRECTION = "correction", "更正、补充"
    DELETION = "deletion", "删除"
    WITHDRAW_CONSENT = "withdraw_consent", "撤回同意"
    CANCEL_ACCOUNT = "cancel_account", "注销账号"
    EXPLANATION = "explanation", "要求解释说明处理规则"
    CONTEST_AUTOMATED_DECISION = "contest_automated_decision", "拒绝仅通过自动化决策作出的决定"
    OPT_OUT_PERSONALISATION = "opt_out_personalisation", "拒绝个性化展示与推送"
    RESTRICT = "restrict", "限制或拒绝处理"
    DECEASED_RELATIVES = "deceased_relatives", "已故用户近亲属的权利"
    COMPLAINT = "complaint", "投诉、举报"


class DeletionTrigger(_Labelled):
    """PIPL Art. 47 (1)-(5): when PI must be deleted."""

    PURPOSE_DONE = "purpose_done", "处理目的已实现、无法实现或者为实现处理目的不再必要"
    SERVICE_ENDED = "service_ended", "停止提供产品或者服务，或者保存期限已届满"
    CONSENT_WITHDRAWN = "consent_withdrawn", "个人撤回同意"
    UNLAWFUL = "unlawful", "违反法律、行政法规或者违反约定处理个人信息"
    OTHER_LAW = "other_law", "法律、行政法规规定的其他情形"


class RetentionStart(_Labelled):
    """The event a retention period counts from."""

    COLLECTION = "collection", "收集之日"
    ACCOUNT_CANCELLATION = "account_cancellation", "注销账户之日"
    RELATIONSHIP_END = "relationship_end", "业务关系结束之日"
    TRANSACTION_END = "transaction_end", "交易结束之日"
    LOAN_SETTLED = "loan_settled", "借款结清之日"
    """A lender's usual start: records kept five years after the loan is settled
    (反洗钱法: after the business relationship ends)."""
    PURPOSE_DONE = "purpose_done", "处理目的实现之日"
    LAST_ACTIVITY = "last_activity", "最后一次使用之日"

    @property
    def event(self) -> str:
        """The event itself, for "最长不超过您注销账户后5年" (the label names its day)."""
        return _START_EVENT[self]


_START_EVENT: dict[RetentionStart, str] = {
    RetentionStart.COLLECTION: "收集",
    RetentionStart.ACCOUNT_CANCELLATION: "您注销账户",
    RetentionStart.RELATIONSHIP_END: "业务关系结束",
    RetentionStart.TRANSACTION_END: "交易结束",
    RetentionStart.LOAN_SETTLED: "您的借款结清",
    RetentionStart.PURPOSE_DONE: "处理目的实现",
    RetentionStart.LAST_ACTIVITY: "您最后一次使用",
}


class RetentionBound(_Labelled):
    """Whether a retention period is a maximum or a fixed term: the policy's modality.

    "最长不超过您注销账户后5年" promises at most five years; "保存5年" promises five. A
    policy that says the first must not be rendered as the second.
    """

    AT_MOST = "at_most", "最长不超过"
    EXACTLY = "exactly", "保存"


class DeadlineVerb(_Labelled):
    """What the handler promises to do within a rights deadline, in the policy's words.

    Answering (答复) is not completing (处理完成): "15个工作日内处理完成" promises the
    result, "15个工作日内答复" only a reply.
    """

    ANSWER = "answer", "答复"
    COMPLETE = "complete", "处理完成"
    PROCESS = "process", "对您的请求进行处理"
    PROCESS_OR_REPLY = "process_or_reply", "进行处理或反馈"


class DeadlineQualifier(_Labelled):
    """A hedge the policy puts on a deadline ("原则上", "一般情况下")."""

    IN_PRINCIPLE = "in_principle", "原则上"
    GENERALLY = "generally", "一般情况下"


class Likelihood(_Labelled):
    """Whether the policy says PI may (可能) or will (会) be provided."""

    MAY = "may", "可能会"
    WILL = "will", "会"


class RetentionAction(_Labelled):
    """What happens when a retention period ends (网络数据安全管理条例 Art. 21)."""

    DELETE = "delete", "删除"
    ANONYMISE = "anonymise", "匿名化处理"
    DELETE_OR_ANONYMISE = "delete_or_anonymise", "删除或匿名化处理"


class DeclineMode(_Labelled):
    """What a user who declines a new policy version can still do (X02, W19)."""

    BROWSE_ONLY = "browse_only", "仅浏览模式"
    PREVIOUS_VERSION = "previous_version", "继续按已同意的版本处理"
    STOP_SERVICE = "stop_service", "停止使用服务"
