"""The words :mod:`yinsi.taxonomy.column_names` reads column names and comments by.

Rules are tried in order and the first that matches wins, so the specific ones come first
(``银行预留手机`` before ``手机``, ``IP地址`` before ``地址``). A name rule is a regular
expression over the column's lower-case tokens joined by ``_`` (``homeAddr`` →
``home_addr``), anchored on token boundaries.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------ comments (Chinese)

COMMENT_RULES: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    # (words, element, exempt from NOT_PI_COMMENT: the element is itself a date or an id)
    (("手持身份证", "手持证件"), "id_holding_photo", False),
    (
        ("身份证照片", "身份证正面", "身份证反面", "人像面", "国徽面", "证件照片", "证件影像"),
        "id_photo",
        False,
    ),
    (("证件有效期", "身份证有效期", "证件到期", "证件失效"), "id_validity", True),
    (("证件类型",), "id_type", False),
    (("身份证后六位", "身份证后四位", "证件号后"), "id_number_suffix", False),
    (("身份证地址", "身份证住址", "证件地址", "户籍地址", "户籍所在地"), "address", False),
    (("身份证", "证件号", "公民身份号码", "证件号码"), "id_number", False),
    (("银行预留手机", "预留手机", "银行预留电话"), "bank_reserved_mobile", False),
    (("银行卡照片", "银行卡影像"), "bank_card_image", False),
    (
        ("银行卡", "卡号", "开户行", "开户银行", "银行账号", "银行账户", "银行名称", "所属银行"),
        "bank_card",
        False,
    ),
    # the region a number or an address belongs to is not the number itself
    (("号码归属地", "手机归属地", "IP归属地", "归属地"), "coarse_location", False),
    (("IP地址", "IP", "ip"), "ip_address", False),
    (("MAC地址", "MAC"), "mac_address", False),
    (("IMEI",), "imei", False),
    (("IMSI",), "imsi", False),
    (("IDFA",), "idfa", False),
    (("OAID",), "oaid", False),
    (("设备号", "设备ID", "设备id", "设备标识", "设备编号", "设备指纹"), "device_id", True),
    (("设备型号", "手机型号", "机型"), "device_model", False),
    (("设备品牌", "手机品牌"), "device_brand", False),
    (("操作系统", "系统版本"), "os_info", False),
    (("邮箱", "电子邮件", "email", "Email"), "email", False),
    (("收货人",), "recipient_name", False),
    (("收货地址", "配送地址", "收件地址"), "delivery_address", False),
    # a fixed line (带区号) is not a mobile: before 电话
    (
        ("固定电话", "座机", "固话", "家庭电话", "住宅电话", "单位电话", "办公电话", "公司电话"),
        "landline_number",
        False,
    ),
    (("手机", "电话", "联系方式", "移动号码"), "mobile_number", False),
    (
        ("微信号", "微信账号", "QQ号", "QQ账号", "支付宝账号", "微博账号", "抖音号"),
        "third_party_account_id",
        False,
    ),
    # 用户名 is an account's name, not a person's: before 户名 (an account holder's name)
    (("登录名", "用户名", "登录账号", "用户账号", "账号", "昵称"), "account_id", False),
    (("真实姓名", "姓名", "客户名称", "户名", "持卡人", "借款人名称"), "name", False),
    (("居住城市", "所在城市", "常住城市"), "residence_city", False),
    (("住址", "地址", "户籍", "居住地"), "address", False),
    (("出生日期", "生日", "出生年月"), "birth_date", True),
    (("性别",), "gender", False),
    (("民族",), "ethnicity", False),
    (("婚姻", "婚否"), "marital_status", False),
    (("学历", "教育程度"), "education", False),
    (("工作单位", "单位名称", "公司名称", "任职单位", "雇主", "就职单位"), "employer", False),
    (("职业", "职务", "岗位"), "occupation", False),
    (("行业",), "industry", False),
    (("收入范围", "收入区间", "收入档"), "income_range", False),
    (("月收入", "收入", "月薪", "工资", "薪资"), "monthly_income", False),
    (("公积金",), "housing_fund", False),
    (("社保",), "social_security", False),
    (("征信报告",), "credit_report", False),
    (("评分", "信用分", "征信分", "芝麻分"), "credit_score", False),
    (("逾期",), "overdue_info", False),
    # a person's loan, repayments and payments are their financial information (GB/T
    # 35273-2020 Annex A 个人财产信息: 信贷记录、交易和消费记录; JR/T 0171-2020 C2)
    (("还款金额", "应还金额", "已还金额", "账单金额", "应还本金", "应还利息"), "bill_info", False),
    (
        (
            "借款金额",
            "贷款金额",
            "放款金额",
            "申请金额",
            "借款本金",
            "合同金额",
            "授信额度",
            "授信金额",
            "信用额度",
            "可用额度",
            "借款期限",
            "贷款期限",
            "借款用途",
            "贷款用途",
        ),
        "loan_records",
        False,
    ),
    (("支付金额", "付款金额", "实付金额"), "payment_info", False),
    (("交易金额", "交易流水"), "transaction_records", False),
    (("订单金额",), "order_info", False),
    (("人脸", "活体"), "face", False),
    (("交易密码", "支付密码"), "transaction_password", False),
    (("密码",), "password", False),
    (("验证码",), "sms_code", False),
    (("经纬度", "经度", "纬度", "GPS", "定位"), "precise_location", False),
    (("营业执照", "统一社会信用代码"), "business_licence", False),
    (("车牌", "车架号", "发动机号"), "vehicle_info", False),
    (("通讯录",), "address_book", False),
    (("通话记录", "通话详单", "通话清单"), "call_records", False),
    (("短信记录", "短信内容"), "sms_records", False),
    (("APP列表", "应用列表", "安装列表", "已安装应用"), "installed_apps", False),
    (("浏览记录",), "browsing_records", False),
    (("搜索记录", "搜索词"), "search_records", False),
    (("宗教",), "religion", False),
    (("病史", "健康状况"), "health", False),
    (("OpenID", "openid", "UnionID", "unionid"), "third_party_account_id", False),
)

NOT_PI_COMMENT = re.compile(r"(时间|日期|状态|主键|标志|次数|类型|编号|ID|Id|id)\s*$")
"""A comment ending like this names a time, a state or a key, not the PI it mentions
(``手机号更新时间``, ``身份证校验状态``), unless its rule is exempt."""

CONTACT_COMMENT = "联系人"
CONTACT_COLUMN = frozenset({"lxr", "jjlxr", "linkman", "emergency", "emer", "urgent"})
"""Name tokens that make a column a contact's (``lxr_xm`` 联系人姓名)."""
CONTACT_TABLE = CONTACT_COLUMN | {"contact", "contacts"}
"""Name tokens that make a table one of contacts (``user_contact``)."""
CONTACT_PARTS = frozenset({"name", "mobile_number", "landline_number", "address"})
RECORD_TABLES = {
    "call": "call_records",
    "calls": "call_records",
    "calllog": "call_records",
    "thjl": "call_records",
    "tonghua": "call_records",
    "sms": "sms_records",
    "duanxin": "sms_records",
    "dxjl": "sms_records",
}
"""Name tokens of a table of the subject's calls or text messages (``call_record``,
``user_sms``): a phone or name in it is the other party's, part of the record."""
NOT_RECORD_TABLES = frozenset({"code", "codes", "verify", "otp", "captcha", "yzm", "template"})
"""…unless the table is one of codes sent to the subject's own phone (``sms_codes``)."""
RECORD_COMMENTS = {"通话": "call_records", "短信": "sms_records"}
"""The same, in a table's comment (``通话记录``, ``短信记录``)."""
OTHER_PARTY = frozenset(
    {"peer", "other", "opposite", "counterpart", "callee", "caller", "dfhm", "duifang"}
)
"""Name tokens of a column naming the other party of a call or message (``peer_phone``,
``callee_mobile``; comment ``对方号码``): an app's own log of the texts it sent holds the
subject's phone, which these do not name."""
"""What a contact's row holds of the contact: name, phone, address (and a relation)."""
CONTACT_PART_TOKENS = frozenset(
    {
        "name",
        "xm",
        "mc",
        "phone",
        "mobile",
        "tel",
        "telephone",
        "sjh",
        "dh",
        "shouji",
        "addr",
        "address",
        "dz",
    }
)
"""Name tokens of a contact's name, phone or address when the whole name is not a rule's
(``contact_name``, ``linkman_tel``)."""

# ------------------------------------------------------------------ names (English, pinyin)

_B = r"(?:^|_)"
_E = r"(?:_|$)"


def _rule(
    words: str, element: str, confidence: float = 0.8, *, suffix_ok: bool = False
) -> tuple[re.Pattern[str], str, float, bool]:
    return re.compile(f"{_B}(?:{words}){_E}"), element, confidence, suffix_ok


NAME_RULES: tuple[tuple[re.Pattern[str], str, float, bool], ...] = (
    # columns that name another identifier, then what they say of it: before that identifier
    _rule(
        r"id_?card_?addr(?:ess)?|sfz_?dz|(?:census|household)_?(?:reg_?)?addr(?:ess)?",
        "address",
        0.8,
    ),
    _rule(
        r"(?:ip|mobile|phone|tel)_?(?:area|city|province|region|location|belong\w*|attribution)|gsd",
        "coarse_location",
        0.75,
    ),
    _rule(r"(?:device|phone|mobile)_?brand", "device_brand", 0.75),
    _rule(
        r"(?:face|liveness|living)_?(?:score|similarity|sim|confidence|result|compare\w*)",
        "liveness_parameters",
        0.75,
    ),
    # dates and ids first: they end in a suffix that otherwise means "not PI"
    _rule(
        r"birth(?:day)?(?:_date|_dt)?|date_of_birth|dob|csrq|birthdate",
        "birth_date",
        0.85,
        suffix_ok=True,
    ),
    _rule(
        r"id_(?:card_)?valid(?:ity)?(?:_to|_end|_date|_until)?|id_expir\w*|cert_(?:valid|expir)\w*|zjyxq|sfzyxq",
        "id_validity",
        0.85,
        suffix_ok=True,
    ),
    _rule(r"id_type|cert_type|zjlx", "id_type", 0.8, suffix_ok=True),
    _rule(
        r"id_(?:card_)?(?:photo|img|image|pic|front|back)\w*|sfz_?(?:zm|fm|zp)|idcard_(?:front|back|img|photo)",
        "id_photo",
        0.8,
    ),
    _rule(r"hold(?:ing)?_id\w*|sc_?sfz", "id_holding_photo", 0.8),
    _rule(
        r"sfzh(?:m)?|sfz|zjhm|zjh|id_?card(?:_?no|_?num(?:ber)?)?|id_no|id_num(?:ber)?|"
        r"identity_(?:no|card|number|num)|cert(?:ificate)?_(?:no|num(?:ber)?)|certno|"
        r"national_id|citizen_id|resident_id",
        "id_number",
        0.85,
    ),
    _rule(
        r"ylsjh|yl_sjh|yldh|yl_?mobile|reserved?_(?:mobile|phone)\w*|bank_(?:mobile|phone)\w*",
        "bank_reserved_mobile",
        0.85,
    ),
    _rule(
        r"yhkh?|yhzh|bank_?card(?:_?no|_?num(?:ber)?)?|card_?no|card_?num(?:ber)?|"
        r"bank_(?:account|acct)(?:_no)?|acct_no|khh|khyh|khhmc|bank_?name|open_bank|"
        r"bank_branch|kh_bank|bank_code",
        "bank_card",
        0.8,
    ),
    _rule(
        r"ip|ip_?addr(?:ess)?|ipaddr|client_ip|login_ip|reg_ip|last_ip|remote_ip|ip_?v[46]",
        "ip_address",
        0.85,
    ),
    _rule(r"mac|mac_?addr(?:ess)?|wifi_mac", "mac_address", 0.85),
    _rule(r"imei\w*", "imei", 0.9),
    _rule(r"imsi", "imsi", 0.9),
    _rule(r"meid", "meid", 0.9),
    _rule(r"iccid", "iccid", 0.9),
    _rule(r"android_?id", "android_id", 0.9),
    _rule(r"idfa", "idfa", 0.9),
    _rule(r"idfv", "idfv", 0.9),
    _rule(r"oaid", "oaid", 0.9),
    _rule(
        r"device_?(?:id|no|uuid|sn|code|fingerprint)|devid|dev_id|udid|sbh|sbid",
        "device_id",
        0.85,
        suffix_ok=True,
    ),
    _rule(r"device_?model|phone_?model|mobile_model", "device_model", 0.8),
    _rule(r"os|os_?ver(?:sion)?|system_?version", "os_info", 0.7),
    _rule(r"e?mail(?:_?addr(?:ess)?)?|yx|yxdz|dzyx", "email", 0.85),
    _rule(r"(?:receiver|consignee|recipient)_?name|shr|shrxm", "recipient_name", 0.8),
    _rule(
        r"(?:delivery|shipping|receive|receiver|consignee)_?addr(?:ess)?|shdz",
        "delivery_address",
        0.8,
    ),
    _rule(
        r"(?:home|family|house|work|office|company|unit|corp|fixed)_?(?:tel(?:ephone)?|phone)|"
        r"landline|gddh|dwdh|jtdh|bgdh",
        "landline_number",
        0.75,
    ),
    _rule(
        r"mobile(?:_?phone|_?no|_?num(?:ber)?)?|phone(?:_?no|_?num(?:ber)?)?|cellphone|cell|"
        r"tel(?:ephone)?|msisdn|sjh(?:m)?|shouji|sj|dh|lxdh|dhhm|lxfs",
        "mobile_number",
        0.8,
    ),
    _rule(
        r"login_?name|username|login_?(?:id|account)|user_?account|nick_?name|dlm|yhm|dlzh",
        "account_id",
        0.8,
    ),
    (
        re.compile(
            rf"{_B}(?:xm|xingming|zsxm|khxm|khmc|cardholder){_E}|^(?:(?:real|full|true|cust|"
            r"customer|borrower|person|holder|card_holder|applicant|client|legal|user_real)_?)?"
            r"name$"
        ),
        "name",
        0.75,
        False,
    ),
    _rule(r"(?:live|residence|resident|home|current)_?city|city|jzcs|szcs", "residence_city", 0.6),
    _rule(
        r"addr(?:ess)?|(?:home|live|residence|family|reg|household|current|detail|id)_?addr(?:ess)?|"
        r"address_?detail|dz|jtdz|jzdz|hjdz|zz|xxdz|residence",
        "address",
        0.75,
    ),
    _rule(r"gender|sex|xb|xingbie", "gender", 0.85),
    _rule(r"ethnic\w*|mz|minzu", "ethnicity", 0.75),
    _rule(r"marital\w*|marriage(?:_status)?|hyzk", "marital_status", 0.85),
    _rule(r"education|edu(?:_level)?|degree|xl|xueli", "education", 0.7),
    _rule(r"occupation|profession|job|zhiye", "occupation", 0.75),
    _rule(
        r"employer|company(?:_?name)?|work_?(?:unit|company|place)|gzdw|dwmc|unit_?name|corp_?name|dw",
        "employer",
        0.8,
    ),
    _rule(r"industry|hangye", "industry", 0.75),
    _rule(r"income_?(?:range|level|band)", "income_range", 0.85),
    _rule(r"(?:month(?:ly)?_?)?income|salary|(?:month_?)?salary|ysr|wage", "monthly_income", 0.8),
    _rule(r"housing_?fund|gjj\w*|provident\w*", "housing_fund", 0.8),
    _rule(r"social_?security|shebao", "social_security", 0.8),
    _rule(r"credit_?report|zxbg|zx_report", "credit_report", 0.8),
    _rule(r"(?:credit|zx|risk|fico|xy)_?score|score", "credit_score", 0.75),
    _rule(r"overdue\w*", "overdue_info", 0.7),
    _rule(
        r"(?:repay(?:ment)?|bill|due|paid|should_?pay)_?(?:amount|amt|money|principal|interest)|hkje",
        "bill_info",
        0.7,
    ),
    _rule(
        r"(?:loan|apply|application|borrow|lend|contract|credit)_?(?:amount|amt|money|principal)|"
        r"credit_?(?:limit|line|quota)|loan_?(?:term|purpose|use)|jkje|dkje|sxed",
        "loan_records",
        0.7,
    ),
    _rule(r"(?:pay|payment)_?(?:amount|amt|money)", "payment_info", 0.7),
    _rule(r"(?:trade|txn|transaction)_?(?:amount|amt|money)", "transaction_records", 0.7),
    _rule(r"order_?(?:amount|amt|money)", "order_info", 0.7),
    _rule(r"face\w*|liveness\w*|rlsb", "face", 0.75),
    _rule(
        r"(?:pay|trade|txn|transaction)_?(?:pwd|password|passwd)|jymm|zfmm",
        "transaction_password",
        0.85,
    ),
    _rule(r"pass(?:word)?(?:_hash)?|pwd|passwd|mm", "password", 0.8),
    _rule(r"sms_?code|verify_?code|otp|yzm", "sms_code", 0.8),
    _rule(r"lat(?:itude)?|lng|lon(?:gitude)?|gps\w*|geo\w*|coordinates?", "precise_location", 0.8),
    _rule(r"business_?licen[cs]e\w*|uscc|yyzz|tyshxydm", "business_licence", 0.8),
    _rule(r"(?:license_)?plate(?:_no)?|vin|car_no|cph", "vehicle_info", 0.75),
    _rule(
        r"open_?id|union_?id|wx_?id|alipay_user_id|wechat(?:_?(?:id|no|account))?|weixin(?:_?id)?|"
        r"wx_?(?:no|account)|qq(?:_?(?:no|num(?:ber)?|account))?|alipay(?:_?(?:account|id|no))?|"
        r"weibo_?(?:id|account)",
        "third_party_account_id",
        0.8,
    ),
    _rule(r"call_?(?:logs?|records?|details?|list)|thxd", "call_records", 0.75),
    _rule(r"sms_?(?:logs?|records?|list|content)", "sms_records", 0.75),
    _rule(r"(?:installed_?)?apps?_?list|app_?names|installed_?apps?", "installed_apps", 0.75),
    _rule(r"contacts?_?list|address_?book|phone_?book|txl", "address_book", 0.75),
)

NOT_PI_SUFFIXES = frozenset(
    {
        "time",
        "at",
        "date",
        "dt",
        "status",
        "state",
        "flag",
        "type",
        "count",
        "cnt",
        "times",
        "verified",
    }
)
"""A name ending in one of these names a time, a state or a count (``phone_verified_at``)."""
