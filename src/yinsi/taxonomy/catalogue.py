"""Extensible catalogues: PI categories, elements, purposes and device permissions.

The built-in entries follow GB/T 35273-2020 Annex A (examples of PI) and Annex B
(examples of sensitive PI), graded after JR/T 0171-2020. A declaration may add its own
entries and may make a built-in element *more* sensitive; making one less sensitive
needs a stated reason and is reported (see :mod:`yinsi.declaration.checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from yinsi.taxonomy.kinds import FinancialGrade


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: str
    standard: str = "GB/T 35273-2020 附录A"


@dataclass(frozen=True, slots=True)
class Element:
    """One kind of PI, e.g. 身份证号码. ``sensitive`` means PIPL Art. 28 sensitive PI."""

    id: str
    label: str
    category: str
    sensitive: bool = False
    grade: FinancialGrade | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Purpose:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Permission:
    """A device permission, with the platform names it maps to."""

    id: str
    label: str
    android: tuple[str, ...] = ()
    ios: tuple[str, ...] = ()
    sensitive: bool = False


C1, C2, C3 = FinancialGrade.C1, FinancialGrade.C2, FinancialGrade.C3

CATEGORIES: tuple[Category, ...] = (
    Category("basic_profile", "个人基本资料"),
    Category("identity", "个人身份信息"),
    Category("biometric", "个人生物识别信息"),
    Category("network_identity", "网络身份标识信息"),
    Category("health", "个人健康生理信息"),
    Category("education_work", "个人教育工作信息"),
    Category("property", "个人财产信息"),
    Category("communication", "个人通信信息"),
    Category("contacts", "联系人信息"),
    Category("online_records", "个人上网记录"),
    Category("device", "个人常用设备信息"),
    Category("location", "个人位置信息"),
    Category("business", "经营信息", "行业实践（小微企业主借款）"),
    Category("vehicle", "车辆信息", "行业实践（车险分期）"),
    Category("other", "其他信息"),
)


def _e(
    id: str,
    label: str,
    category: str,
    sensitive: bool = False,
    grade: FinancialGrade | None = None,
    note: str = "",
) -> Element:
    return Element(id, label, category, sensitive, grade, note)


ELEMENTS: tuple[Element, ...] = (
    # 个人基本资料
    _e("name", "姓名", "basic_profile", grade=C2),
    _e("gender", "性别", "basic_profile"),
    _e("birth_date", "出生日期", "basic_profile"),
    _e("ethnicity", "民族", "basic_profile"),
    _e("mobile_number", "手机号码", "basic_profile", grade=C2),
    _e("landline_number", "固定电话号码", "basic_profile", grade=C2),
    _e("email", "电子邮箱", "basic_profile"),
    _e("address", "住址", "basic_profile"),
    _e("residence_city", "居住城市", "basic_profile"),
    _e("delivery_address", "收货地址", "basic_profile"),
    _e("recipient_name", "收货人姓名", "basic_profile"),
    _e("marital_status", "婚姻状况", "basic_profile"),
    _e("mobile_real_name_info", "手机实名信息", "basic_profile", grade=C2),
    # 个人身份信息 (Annex B: sensitive)
    _e("id_number", "身份证号码", "identity", True, C2),
    _e(
        "id_number_suffix",
        "身份证号码后六位或后四位",
        "identity",
        grade=C2,
        note="仅用于核验身份的号码片段，不能单独识别个人",
    ),
    _e("id_type", "证件类型", "identity"),
    _e(
        "other_id_number",
        "其他证件号码",
        "identity",
        True,
        C2,
        "护照、港澳居民来往内地通行证、台湾居民来往大陆通行证等身份证以外的证件号码",
    ),
    _e("id_validity", "证件有效期", "identity", True, C2),
    _e("id_photo", "身份证照片", "identity", True, C2),
    _e("id_holding_photo", "手持身份证照片", "identity", True, C2),
    # 个人生物识别信息 (Annex B: sensitive; JR/T 0171: templates used to authenticate are C3)
    _e("face", "人脸信息", "biometric", True, C3, "人脸图像及视频、人脸识别结果"),
    _e("liveness_parameters", "人脸识别相关参数", "biometric", True, C3),
    # 网络身份标识信息
    _e("account_id", "账号", "network_identity", grade=C2),
    _e("ip_address", "IP地址", "network_identity"),
    _e("login_token", "登录状态令牌", "network_identity", True, C3),
    _e("password", "登录密码", "network_identity", True, C3),
    _e("transaction_password", "交易密码", "network_identity", True, C3),
    _e("sms_code", "短信验证码", "network_identity", True, C3),
    _e("digital_certificate", "个人数字证书（CA证书）及电子签名", "network_identity", True, C3),
    _e("third_party_account_id", "第三方平台账号标识（如OpenID）", "network_identity"),
    _e("channel_id", "渠道号", "network_identity"),
    # 个人教育工作信息
    _e("education", "学历", "education_work"),
    _e("occupation", "职业", "education_work"),
    _e("employer", "工作单位名称", "education_work"),
    _e("industry", "所属行业", "education_work"),
    # 个人财产信息 (Annex B: sensitive)
    _e("bank_card", "银行卡信息", "property", True, C2, "银行卡号、类型、开户行名称"),
    _e("bank_card_image", "银行卡影像", "property", True, C2),
    _e("bank_reserved_mobile", "银行预留手机号码", "property", True, C2),
    _e("monthly_income", "月收入", "property", True, C2),
    _e("income_range", "月收入范围", "property", True, C2),
    _e("property_info", "财产信息", "property", True, C2),
    _e("housing_fund", "公积金信息", "property", True, C2),
    _e("social_security", "社保信息", "property", True, C2),
    _e("transaction_records", "交易记录", "property", True, C2),
    _e("consumption_records", "消费信息", "property", True, C2),
    _e("payment_info", "支付信息", "property", True, C2, "支付流水号、支付金额、支付来源"),
    _e("bill_info", "账单信息", "property", True, C2, "订单号、期数、还款金额、对应资金方"),
    _e(
        "loan_records",
        "借款相关信息",
        "property",
        True,
        C2,
        "借款订单、借款合同、借据、还款计划、实际还款情况",
    ),
    _e("overdue_info", "逾期信息", "property", True, C2),
    _e("credit_report", "征信报告", "property", True, C2),
    _e("credit_score", "信用评分", "property", True, C2),
    _e("insurance_info", "保险信息", "property", True, C2),
    _e("account_opening_time", "开户时间", "property", grade=C1),
    _e(
        "third_party_platform_data",
        "第三方平台账户信息",
        "property",
        True,
        C2,
        "经授权获取的公积金、社保、电商、支付、信用卡等平台信息",
    ),
    # 个人通信信息 (Annex B: communication records and content are sensitive)
    _e("sms_records", "短信记录", "communication", True),
    _e("call_records", "通话记录", "communication", True),
    _e("chat_logs", "聊天记录", "communication", True),
    _e("call_recordings", "通话录音", "communication", True),
    _e("image_logs", "图片日志信息", "communication", True),
    # 联系人信息
    _e("address_book", "通讯录", "contacts", True),
    _e("emergency_contacts", "紧急联系人信息", "contacts", note="姓名、关系、手机号码"),
    _e("common_contacts", "常用联系人信息", "contacts", note="姓名、关系、手机号码"),
    # 个人上网记录 (Annex B: web browsing records are sensitive)
    _e("browsing_records", "浏览记录", "online_records", True, note="点击记录、软件使用记录"),
    _e("search_records", "搜索记录", "online_records"),
    _e("operation_logs", "日志信息", "online_records", note="使用的语言、访问日期和时间、软件信息"),
    _e("user_events", "用户操作事件", "online_records"),
    _e("feedback", "意见反馈信息", "online_records"),
    _e("screenshots", "操作界面截图", "online_records"),
    _e("survey_responses", "调查问卷反馈内容", "online_records"),
    _e("order_info", "订单信息", "online_records"),
    # 个人常用设备信息
    _e("device_model", "设备型号", "device"),
    _e("device_brand", "设备品牌", "device"),
    _e("device_manufacturer", "设备制造商", "device"),
    _e("device_name", "设备名称", "device"),
    _e("device_type", "设备类型", "device"),
    _e("os_info", "操作系统信息", "device", note="系统类型及版本"),
    _e("device_id", "唯一设备标识符", "device"),
    _e("imei", "IMEI", "device"),
    _e("imsi", "IMSI", "device"),
    _e("meid", "MEID", "device"),
    _e("iccid", "ICCID", "device"),
    _e("android_id", "Android ID", "device"),
    _e("idfa", "IDFA", "device"),
    _e("idfv", "IDFV", "device"),
    _e("oaid", "OAID", "device"),
    _e("mac_address", "MAC地址", "device"),
    _e("hardware_serial", "硬件序列号", "device"),
    _e("running_processes", "运行中的进程", "device"),
    _e("installed_apps", "已安装应用列表", "device"),
    _e("network_info", "网络信息", "device", note="网络类型、网络状态、运营商"),
    _e("wifi_info", "WLAN接入点信息", "device", note="WiFi地址、BSSID"),
    _e("base_station", "基站信息", "device"),
    _e("bluetooth_info", "蓝牙信息", "device"),
    _e("sim_info", "SIM卡信息", "device"),
    _e("browser_type", "浏览器类型", "device"),
    _e("device_settings", "设备设置信息", "device", note="语言、时区、地区设置"),
    _e("hardware_info", "硬件信息", "device", note="CPU、内存、存储、电池、屏幕"),
    _e("motion_data", "运动传感器数据", "device"),
    _e("app_info", "应用信息", "device", note="应用标识符、版本、分发渠道"),
    _e("crash_logs", "崩溃及异常日志", "device"),
    _e("jailbreak_flag", "越狱标记", "device"),
    # 个人位置信息 (Annex B: precise location and tracks are sensitive)
    _e("precise_location", "精确位置信息", "location", True, note="GPS经纬度"),
    _e("coarse_location", "粗略位置信息", "location", note="基于IP、基站或WLAN的大致位置"),
    # 经营信息 / 车辆信息
    _e("business_licence", "营业执照信息", "business"),
    _e("business_operating_data", "经营信息", "business"),
    _e("vehicle_info", "车辆信息", "vehicle"),
    # 其他信息 (Annex B: sensitive)
    _e("marriage_history", "婚史", "other", True),
    _e("religion", "宗教信仰", "other", True),
    _e("criminal_records", "未公开的违法犯罪记录", "other", True),
    _e("health", "健康生理信息", "health", True),
)

PURPOSES: tuple[Purpose, ...] = (
    Purpose("account_registration", "注册与登录账号"),
    Purpose("identity_verification", "核验身份、实名认证"),
    Purpose("account_security", "保障账号安全"),
    Purpose("password_reset", "找回密码"),
    Purpose("mobile_number_change", "更换绑定手机号码"),
    Purpose("credit_assessment", "信用评估与授信审核"),
    Purpose("credit_line_increase", "申请提升额度"),
    Purpose("loan_service", "借款申请、放款与还款"),
    Purpose("anti_fraud", "反欺诈与风险控制"),
    Purpose("risk_model_training", "建设反欺诈等数据模型、训练算法模型"),
    Purpose("post_loan_management", "贷后管理与还款提醒"),
    Purpose("emergency_contact", "紧急情况下联系"),
    Purpose("payment_settlement", "支付与资金结算"),
    Purpose("order_fulfilment", "商品订单的仓储、配送与售后"),
    Purpose("invoice", "开具并寄送发票"),
    Purpose("customer_service", "客户咨询与投诉处理"),
    Purpose("follow_up", "客户回访"),
    Purpose("marketing", "发送商业性信息与服务通知"),
    Purpose("personalised_recommendation", "个性化展示与推荐"),
    Purpose("survey", "调查问卷"),
    Purpose("product_improvement", "改善产品功能与用户体验"),
    Purpose("statistics", "运营统计与分析"),
    Purpose("crash_analysis", "崩溃分析与质量监控"),
    Purpose("push_notification", "消息推送"),
    Purpose("social_sharing", "分享至第三方平台"),
    Purpose("map_location", "定位与地址填写"),
    Purpose("e_signature", "电子签名认证"),
    Purpose("security_monitoring", "安全监测与排查系统问题"),
    Purpose("app_hardening", "应用安全加固"),
    Purpose("cloud_storage", "文件存储与加载"),
    Purpose("insurance_guarantee", "保险与担保服务"),
    Purpose("credit_reporting", "报送信用信息"),
    Purpose("legal_compliance", "履行法定义务、配合有权机关"),
    Purpose("login_state", "保持登录状态"),
    Purpose("page_state", "页面数据存储与传递"),
    Purpose("sub_product_account", "为所选子产品开立账号"),
    Purpose("traffic_referral", "向引流合作方推荐服务"),
    Purpose("user_profiling", "形成用户画像"),
    Purpose("merchant_loan", "商户贷、生意贷"),
    Purpose("car_insurance_instalment", "车险分期"),
    Purpose("device_leasing", "设备租赁（淘新机）"),
)

PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "location",
        "位置信息（定位）",
        ("ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION"),
        ("NSLocationWhenInUseUsageDescription",),
        sensitive=True,
    ),
    Permission("camera", "相机", ("CAMERA",), ("NSCameraUsageDescription",)),
    Permission(
        "photos",
        "相册",
        ("READ_MEDIA_IMAGES", "READ_EXTERNAL_STORAGE"),
        ("NSPhotoLibraryUsageDescription",),
    ),
    Permission("storage", "存储（读写SD卡）", ("READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE")),
    Permission("phone_state", "设备识别码和状态（电话）", ("READ_PHONE_STATE",)),
    Permission(
        "network", "网络访问及网络状态", ("INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE")
    ),
    Permission(
        "contacts", "通讯录", ("READ_CONTACTS",), ("NSContactsUsageDescription",), sensitive=True
    ),
    Permission("sms", "短信", ("READ_SMS",), sensitive=True),
    Permission("call_log", "通话记录", ("READ_CALL_LOG",), sensitive=True),
    Permission("installed_apps", "获取应用列表", ("QUERY_ALL_PACKAGES",)),
    Permission(
        "motion",
        "运动数据",
        ("ACTIVITY_RECOGNITION", "BODY_SENSORS"),
        ("NSMotionUsageDescription",),
    ),
    Permission("notifications", "通知", ("POST_NOTIFICATIONS",)),
    Permission("microphone", "麦克风", ("RECORD_AUDIO",), ("NSMicrophoneUsageDescription",)),
    Permission("bluetooth", "蓝牙", ("BLUETOOTH_CONNECT",), ("NSBluetoothAlwaysUsageDescription",)),
)


@dataclass(frozen=True)
class Taxonomy:
    """A set of catalogues keyed by id; :data:`BUILTIN` plus a declaration's extensions."""

    categories: Mapping[str, Category] = field(default_factory=dict)
    elements: Mapping[str, Element] = field(default_factory=dict)
    purposes: Mapping[str, Purpose] = field(default_factory=dict)
    permissions: Mapping[str, Permission] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        categories: Iterable[Category] = (),
        elements: Iterable[Element] = (),
        purposes: Iterable[Purpose] = (),
        permissions: Iterable[Permission] = (),
    ) -> Taxonomy:
        return cls().extended(categories, elements, purposes, permissions)

    def extended(
        self,
        categories: Iterable[Category] = (),
        elements: Iterable[Element] = (),
        purposes: Iterable[Purpose] = (),
        permissions: Iterable[Permission] = (),
    ) -> Taxonomy:
        """A new taxonomy with these entries added; an entry with a known id replaces it."""
        return Taxonomy(
            MappingProxyType({**self.categories, **{c.id: c for c in categories}}),
            MappingProxyType({**self.elements, **{e.id: e for e in elements}}),
            MappingProxyType({**self.purposes, **{p.id: p for p in purposes}}),
            MappingProxyType({**self.permissions, **{p.id: p for p in permissions}}),
        )

    def element(self, id: str) -> Element:
        return self.elements[id]

    def is_sensitive(self, element_id: str) -> bool:
        element = self.elements.get(element_id)
        return element is not None and element.sensitive

    def needs_separate_consent(self, element_id: str) -> bool:
        """Whether processing the element on consent needs a separate consent (PIPL
        Art. 29): it is sensitive and not a transient credential
        (:data:`TRANSIENT_CREDENTIALS`)."""
        return self.is_sensitive(element_id) and element_id not in TRANSIENT_CREDENTIALS


BUILTIN = Taxonomy.of(CATEGORIES, ELEMENTS, PURPOSES, PERMISSIONS)

TRANSIENT_CREDENTIALS = frozenset({"sms_code", "login_token"})
"""Elements that prove who the user is to this app once or for one session: a one-time
SMS code, a session token or cookie. The user hands them over to log in or confirm an
act, and they serve nothing else: asking a separate consent for them (PIPL Art. 29) would
be a false alarm, whatever grade the taxonomy gives them (financial authentication
information, JR/T 0171 C3). The lint and the consent engine both use this one set."""

__all__ = [
    "BUILTIN",
    "CATEGORIES",
    "ELEMENTS",
    "PERMISSIONS",
    "PURPOSES",
    "TRANSIENT_CREDENTIALS",
    "Category",
    "Element",
    "Permission",
    "Purpose",
    "Taxonomy",
]
