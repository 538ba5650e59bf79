"""PI written in words: dates of birth in context, person names and postal addresses.

Names need a cue (``姓名：``, ``联系人``, ``先生``, ``的手机``…) and a surname from the
shipped dictionary; addresses start at a province or a prefecture-level city and run to a
street number (``路…号``), with the complex, building, unit and room (or, with no street
number, a district's complex and its building: ``南山区科技园南区W1-A栋3楼``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache

from yinsi.taxonomy.detectors.context import Hit
from yinsi.taxonomy.detectors.resources import cities, common_words, districts, surnames
from yinsi.taxonomy.regions import PROVINCE_PREFIXES

# --- dates of birth --------------------------------------------------------------------

_DATE = (
    r"(?P<y>(?:19|20)[0-9]{2})(?:(?P<s>[-/.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"
    r"|年(?P<m2>[0-9]{1,2})月(?:(?P<d2>[0-9]{1,2})[日号]?)?"
    r"|(?P<m3>0[1-9]|1[0-2])(?P<d3>0[1-9]|[12][0-9]|3[01]))(?![0-9])"
)
_BIRTH = re.compile(
    r"(?:出生日期|出生年月日?|出生于|生于|生日|出生|DOB|D\.O\.B\.?|date\s+of\s+birth"
    r"|birth\s*(?:day|date))[^0-9\n]{0,6}?" + f"(?P<date>{_DATE})",
    re.IGNORECASE,
)
_BORN_ON = re.compile(f"(?P<date>{_DATE})" + r"\s?(?:出生|生人)")
"""A date the words after say is a birth: 1990年5月6日出生."""
BARE_DATE = re.compile(_DATE)


def date_valid(m: re.Match[str]) -> bool:
    """A real calendar date (a year and month alone count) not after today."""
    year = int(m.group("y"))
    month = m.group("m") or m.group("m2") or m.group("m3")
    day = m.group("d") or m.group("d2") or m.group("d3") or "1"
    try:
        born = date(year, int(month), int(day))
    except (TypeError, ValueError):
        return False
    return born <= date.today()


def birth_dates(text: str) -> Iterator[Hit]:
    for m in _BIRTH.finditer(text):
        if date_valid(m):
            yield ("birth_date", m.start("date"), m.end("date"), 0.9)
    for m in _BORN_ON.finditer(text):
        if date_valid(m):
            yield ("birth_date", m.start("date"), m.end("date"), 0.85)


# --- person names ----------------------------------------------------------------------

# Characters that end a given name: particles, pronouns, verbs of the sentences names
# appear in, and the first characters of the words that follow a name.
_STOP = (
    "的了是在和与及或等手电身住地于已将把被向给对从请您你我他她们这那个到"
    "说要会也就还很吗呢吧啊哦呀啦么为以因所而但如让叫号码证卡话址邮箱机姓名联系人客户用户"
    "今昨年日时分秒元，。、；：！？ 　"
)
_PRE_CUES = (
    r"(?:姓名|名字|联系人|收货人|收件人|寄件人|持卡人|开户名|户名|借款人|申请人|担保人|"
    r"紧急联系人|客户经理|客户|用户|本人|我叫|我是|患者|员工|法定代表人|法人|经办人|签名|尊敬的|致|"
    # the people a ticket, a contract or a collection note names by their role
    r"处理人|负责人|审批人|审核人|受理人|经手人|操作人|操作员|收款人|付款人|还款人|委托人|"
    r"代理人|监护人|配偶|丈夫|妻子|父亲|母亲|客服专员|客服|专员|坐席|催收员|业务员|信贷员)"
)
_HONORIFICS = frozenset({"先生", "女士", "小姐"})
# Words that often follow a name: a third character that starts one ends the name.
_FOLLOWERS = frozenset(
    {"逾期", "申请", "还款", "借款", "欠款", "未还", "提交", "签署", "签字", "办理", "确认",
     "同意", "授权", "名下", "本人", "来电", "致电", "反馈", "投诉", "您好", "已经", "正在",
     "今天", "昨天", "明天", "需要", "希望", "表示", "登录", "注册", "购买", "收到",
     "负责", "跟进", "处理", "联系", "催收", "回访", "审核", "审批", "接听", "拨打"}
)  # fmt: skip
_OPENING_VERBS = (
    "于(?!是)|已|来电|致电|申请|办理|逾期|还款|借款|表示|反馈|投诉|签署|提交|确认|同意|授权"
)
_POST_CUES = re.compile(
    r"先生|女士|小姐|同学|老师|经理|"
    r"的(?:手机|电话|身份证|银行卡|地址|住址|邮箱|账户|账号|护照|微信|QQ)|"
    r"[（(](?:手机|电话|联系电话|身份证)|"  # 王小明（手机：…）
    r"(?:[，,、]\s?|\s|[（(])[男女]性?(?=[，,、。；;）)\s]|$)"  # 张三，男，1990年…
)


@cache
def _name_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    single, compound = surnames()
    given = f"[^\\x00-\\u4dff\\u9fa6-\\U0010ffff{re.escape(_STOP)}]"
    surname = "(?:" + "|".join(sorted(compound)) + "|[" + "".join(sorted(single)) + "])"
    after_cue = re.compile(_PRE_CUES + r"[:：\s]{0,2}" + f"(?P<name>{surname}{given}{{1,2}})")
    bare = re.compile(f"(?:{surname}){given}{{1,2}}")
    # A sentence that opens with a name and goes on with what the person did.
    opening = re.compile(
        f"(?:^|(?<=[。！？；，\n]))(?P<name>{surname}{given}{{1,2}})(?={_OPENING_VERBS})",
        re.MULTILINE,
    )
    return after_cue, bare, opening


def _word_like(candidate: str) -> bool:
    """Whether a would-be name opens with a common word (信息, 支付), or its given part is
    one (方 + 提供): :func:`~.resources.common_words`."""
    words = common_words()
    return candidate[:2] in words or candidate[1:3] in words


def is_name(value: str) -> bool:
    """A bare value that reads as a Chinese name: a known surname and one or two more
    (not a common word: 支付宝, 信息)."""
    return _name_patterns()[1].fullmatch(value) is not None and not _word_like(value)


def _given_char(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fa5" and c not in _STOP


def _name_before(text: str, end: int) -> tuple[int, float] | None:
    """The start of a name ending at ``end`` (before a post cue), if there is one: the
    longest that starts with a known surname."""
    for length in (4, 3, 2):
        start = end - length
        if start < 0 or not all(_given_char(c) for c in text[start:end]):
            continue
        if is_name(text[start:end]):
            return start, 0.8
    return None


def names(text: str) -> Iterator[Hit]:
    after_cue, _, opening = _name_patterns()
    for m in opening.finditer(text):
        if not _word_like(m.group("name")):
            yield ("person_name", m.start("name"), m.end("name"), 0.75)
    for m in after_cue.finditer(text):
        start, end = m.span("name")
        if text[end - 1 : end + 1] in _HONORIFICS or text[end - 1 : end + 1] in _FOLLOWERS:
            end -= 1
        word = _word_like(text[start:end])
        if text[end - 2 : end] not in _HONORIFICS and end - start >= 2 and not word:
            yield ("person_name", start, end, 0.85)
    for m in _POST_CUES.finditer(text):
        found = _name_before(text, m.start())
        if found is not None:
            yield ("person_name", found[0], m.start(), found[1])


# --- addresses -------------------------------------------------------------------------

_CJK = "[\u4e00-\u9fa5]"
_NUM = r"(?:[0-9]+|[一二三四五六七八九十百零]+)"


@cache
def _address_pattern() -> re.Pattern[str]:
    provinces = "|".join(re.escape(text) for text, _ in PROVINCE_PREFIXES)
    city_names = "|".join(re.escape(c) for c in cities())
    city = f"(?:(?:{city_names})市?|{_CJK}{{2,5}}?(?:自治州|地区|盟|市))"
    district = f"(?:{_CJK}{{1,6}}?(?:新区|区|县|旗|市))"
    town = f"(?:{_CJK}{{1,6}}?(?:街道|镇|乡))"
    # a named area between the district and the town or road: 科技园南区, 经济技术开发区
    area = f"(?:{_CJK}{{1,6}}?(?:开发区|工业区|工业园|科技园|产业园|园区|片区|新城|南区|北区|东区|西区))"
    road = f"(?:[{_CJK[1:-1]}0-9]{{1,10}}?(?:大道|大街|路|街|巷|弄|胡同|村|里|道))"
    unit = (
        f"(?:{_NUM}(?:号楼|号院|栋|幢|座|单元|楼|层|室|号)"
        r"|[A-Za-z0-9]+(?:[-－][A-Za-z0-9]+)*(?:栋|幢|座|区|楼|层|室)|[-－][0-9]+)"
    )
    detail = f"{unit}*"
    # a residential or office complex between the street number (or the town) and the
    # building: 现代城5号楼, 科技园南区W1-A栋; taken only when a building, unit or room follows
    complex_ = (
        f"(?:[{_CJK[1:-1]}A-Za-z0-9]{{1,12}}?(?:大厦|大楼|广场|中心|花园|小区|公寓|家园|"
        f"新村|科技园|产业园|园区|苑|园|城|府|庭|阁|公馆|写字楼|南区|北区|东区|西区)(?={unit}))"
    )
    known_city = f"(?:{city_names})市?"
    known_district = "(?:" + "|".join(re.escape(d) for d in districts()) + ")"
    head = f"(?:(?:{provinces}){city}?|{known_city}|(?={known_district}))"
    # A first-character class in front lets the engine skip most positions cheaply
    # instead of trying several hundred names at each.
    names = [text for text, _ in PROVINCE_PREFIXES] + list(cities()) + list(districts())
    firsts = {name[0] for name in names}
    first = "(?=[" + "".join(sorted(firsts)) + "])"
    section = "(?:[东南西北中一二三四五六七八九十0-9]{1,2}段)?"  # 天府大道北段, 人民南路三段
    street = f"{area}?{town}?{road}{section}{_NUM}号{complex_}?{detail}"
    campus = f"{town}?{complex_}{unit}+"  # no street number: a district's complex, building
    return re.compile(f"{first}{head}(?:{district}?{street}|{district}{campus})")


def addresses(text: str) -> Iterator[Hit]:
    for m in _address_pattern().finditer(text):
        yield ("address", m.start(), m.end(), 0.85)


def is_address(value: str) -> bool:
    """A bare value that reads as a postal address down to the street number."""
    m = _address_pattern().match(value)
    return m is not None and m.end() >= len(value) - 4
