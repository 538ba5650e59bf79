"""Person names: a surname from the shipped dictionary and one to three more characters,
taken only where a cue says a name is there.

The cues: a label or a role before the name (``姓名：``, ``借款人（签字）：``,
``紧急联系人1：``, ``乙方（借款人）：``, ``权利人``), a relation or a call (``其哥哥``,
``同事``, ``致电``), the words after it (``先生``, ``的手机``, ``(父亲)``, ``是其表弟``, ``您好``
after the start of a message), or a sentence that opens with it and goes on with what the
person did (``张伟于昨日来电``). A name in the transliterated form ``阿卜杜拉·艾则孜`` after
a cue needs no surname.

What follows a cue is taken as a name only when it does not read as words
(:func:`~.resources.common_words`): the surname and the next character are no word
(``谢谢``, ``明天``, ``利息``), nor is the given name (``曾`` + ``多次``), nor does it open
with a province (``江西``) or run into a company (``腾讯科技``); a third character that
starts a word is left out (``张丽`` + ``逾期``). Particles such as 为, 和, 向, 以 end a name
only where they start the next words: ``李为民，`` and ``我是王向东的老婆`` keep them,
``王伟和他`` does not. After a chat's speaker label (``客户：``, ``坐席：`` at the start of a
line) a name must be the whole utterance up to a punctuation mark or a number, and after a
cue that is an ordinary word of a sentence (``客户``, ``同事``, ``致电``) a name with a rare
surname (one outside ``common_surnames.txt``) must end there too (``客户房贷还没批`` is
no name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files

from yinsi.taxonomy.detectors.context import Hit
from yinsi.taxonomy.detectors.resources import cities, common_words, surnames
from yinsi.taxonomy.regions import PROVINCE_PREFIXES

# Characters never in a given name: particles, pronouns, verbs of the sentences names
# appear in, and the first characters of the words that follow a name.
_STOP = frozenset(
    "的了是在与及或等手电身住地于已将把被给对从请您你我他她们这那个到说要会也就还很吗呢吧"
    "啊哦呀啦么因所而但让叫号码证卡话址邮箱机姓名联系人客户用户昨时分秒总佰仟亿贰叁肆捌玖"
)
# Characters that are given names too (李为民, 陈和平, 王向东, 林以宁, 张如意, 赵元): they end
# a name only where they start the next words.
_SOFT = frozenset("为和向以如元年日今")
# What may follow a name whose given part holds a soft character: the end of the value.
_ENDS = frozenset("的是在说已于也就都称")
_HONORIFICS = frozenset({"先生", "女士", "小姐"})
# A name never runs into these: ``腾讯科技``, ``王府井百货公司``.
_ORG = re.compile(
    "公司|集团|银行(?!卡)|分行|支行|科技|网络|技术|实业|贸易|投资|控股|股份|有限|商贸|保险|证券|"
    "百货|商城|电器|汽车|地产|置业|物业|传媒|文化|教育|咨询|工程|电子|通信|医药|药业|食品|能源|"
    "医院|大学|学院|学校|中学|小学|酒店|超市|商场|商行|专卖|门店|分店|工厂|工作室|事务所|委员会"
)
_CJK = re.compile("[\u4e00-\u9fa5]")
_NAME_CHAR = "[^\\x00-\\u4dff\\u9fa6-\\U0010ffff" + "".join(sorted(_STOP)) + "]"
_DOTTED = re.compile(f"{_NAME_CHAR}{{2,6}}(?:[·•・．]{_NAME_CHAR}{{1,8}}){{1,2}}")


def _split(words: str) -> list[str]:
    return words.split()


# Labels and roles: what follows them is a name or nothing.
_LABELS = _split(
    "姓名 姓名全称 名字 真实姓名 联系人 联系人姓名 紧急联系人 收货人 收件人 寄件人 发件人 "
    "持卡人 开户名 户名 账户名 借款人 共同借款人 出借人 申请人 被申请人 申请执行人 被执行人 "
    "担保人 保证人 抵押人 出质人 委托人 代理人 监护人 法定代表人 法人代表 法人 经办人 "
    "处理人 负责人 审批人 审核人 复核人 受理人 经手人 操作人 操作员 收款人 付款人 还款人 "
    "投诉人 举报人 报案人 当事人 签收人 签名 签字 客户名称 客户姓名 持证人 所有人 权利人 "
    "经营者 户主 业主 承租人 出租人 被保险人 投保人 受益人 我叫 尊敬的 客户经理 客服专员 "
    "催收员 业务员 信贷员 患者 员工 甲方 乙方 丙方"
)
# Words of a sentence that are followed by a name as often as by anything else.
_WORDS = _split(
    "客户 用户 本人 我是 致 致电 电联 客服 专员 坐席 配偶 丈夫 妻子 父亲 母亲 哥哥 姐姐 弟弟 "
    "妹妹 爸爸 妈妈 儿子 女儿 老公 老婆 朋友 同事 同学 室友 房东 领导 表哥 表弟 表姐 表妹 "
    "堂哥 堂弟 堂姐 堂妹 兄弟 姐妹 邻居 亲戚 舅舅 叔叔 阿姨 姑姑"
)
_RELATIONS = "|".join(w for w in _WORDS[_WORDS.index("配偶") :]) + "|本人|借款人|联系人"
# A chat's speaker labels: at the start of a line what follows is an utterance.
_SPEAKERS = frozenset({"客户", "用户", "客服", "客服专员", "专员", "坐席", "催收员", "业务员"})

_Trie = dict[str, "_Trie"]


def _trie(words: list[str]) -> str:
    """A pattern matching the longest of ``words`` at a position, written as a trie so that
    the engine tries one branch per character rather than every word."""
    tree: _Trie = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def walk(node: _Trie) -> str:
        branches = [re.escape(c) + walk(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return walk(tree)


_CUE = re.compile(
    "(?=[" + "".join(sorted({w[0] for w in _LABELS + _WORDS})) + "])"
    "(?P<cue>姓[ \t　]+名|" + _trie(_LABELS + _WORDS) + ")"
    # 紧急联系人1：, 借款人（签字）：, 乙方（借款人）：, 姓名/Name
    r"(?P<sep>[0-9]{0,2}(?:[（(][\u4e00-\u9fa5]{1,6}[）)]|[）)])?[ \t]?(?:/?[ \t]?(?:Name|NAME))?"
    r"[:：]?(?:\n|[ \t　]{0,3}))"
)
_SPEAKER_LINE = re.compile(r"\s*(?:\[[^\]\n]{0,40}\]|[0-9][0-9:/. -]{6,24})?\s*$")
# A sentence that opens with a name and goes on with what the person did.
_OPENING_VERB = re.compile(
    "于(?!是)|已|来电|致电|申请|办理|逾期|还款|借款|表示|反馈|投诉|签署|提交|确认|同意|授权"
)
_OPENING = re.compile(
    f"(?:^|(?<=[。！？；，\n]))(?=[\u4e00-\u9fa5]{{2,4}}?(?:{_OPENING_VERB.pattern}))",
    re.MULTILINE,
)
_POST_CUES = re.compile(
    r"(?=[先女小同老经的是（(，,、\s])(?:先生|女士|小姐|同学|老师|经理|"
    r"的(?:手机|电话|身份证|银行卡|地址|住址|邮箱|账户|账号|护照|微信|QQ)|"
    r"[（(](?:手机|电话|联系电话|身份证|" + _RELATIONS + r")|"  # 王小明（手机：…）, 王德发(父亲)
    r"是(?:其|我|他|她)的?(?:" + _RELATIONS + r")|"  # 张国华是其表弟
    r"(?:[，,、]\s?|\s|[（(])[男女]性?(?=[，,、。；;）)\s]|$))"  # 张三，男，1990年…
)
# 【某金融】蔡某某您好 at the start of a message, 请问是王某某本人吗
_GREETINGS = re.compile("您好|你好|本人")


def _data(name: str) -> list[str]:
    text = files(__package__ or __name__).joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def _common_surnames() -> frozenset[str]:
    """The surnames of most of the population (``common_surnames.txt``)."""
    return frozenset("".join(_data("common_surnames.txt")))


@cache
def _provinces() -> frozenset[str]:
    return frozenset(p for p, _ in PROVINCE_PREFIXES if len(p) > 1)


def _surname_at(text: str, i: int) -> int:
    """The length of the surname starting at ``i`` (0 if none): compound ones first."""
    single, compound = surnames()
    if text[i : i + 2] in compound and _given(text, i + 2):
        return 2
    return 1 if text[i : i + 1] in single else 0


def _given(text: str, i: int) -> bool:
    return i < len(text) and "\u4e00" <= text[i] <= "\u9fa5" and text[i] not in _STOP


def _hard_end(text: str, i: int) -> bool:
    """Whether the value ends at ``i`` for certain: no Chinese character follows (the end,
    a punctuation mark, a space, a digit), or the words written after a name (先生, 的手机)."""
    if i >= len(text) or not _CJK.match(text[i]):
        return True
    return text[i : i + 2] in _HONORIFICS or _POST_CUES.match(text, i) is not None


def _clear_end(text: str, i: int) -> bool:
    """:func:`_hard_end`, or a word that follows a name in a sentence (的, 是, 说)."""
    return text[i : i + 1] in _ENDS or _hard_end(text, i)


def _word_like(value: str, surname: int = 1) -> bool:
    """Whether a would-be name reads as words: the surname and the next character
    (谢谢, 信息), or the given name (方 + 提供, 曾 + 多次), or a place (江西人)."""
    words = common_words()
    given = value[surname:]
    if surname == 1 and value[:2] in words:
        return True
    if given[:2] in words:
        return True
    return any(value[:n] in _provinces() for n in (2, 3, 4))


def _name_at(text: str, i: int, form: bool) -> int:
    """The end of the name that starts at ``i`` (``i`` if none): the surname and one or two
    more characters (three as a form's whole value, ``收货人：易烊千玺 ``), where the words
    allow."""
    surname = _surname_at(text, i)
    if not surname:
        return i
    words = common_words()
    start = end = i + surname
    longest = 3 if form and surname == 1 else 2
    while end < start + longest and _given(text, end):
        end += 1
    if end - start == 3 and (
        not _hard_end(text, end) or any(text[k : k + 2] in words for k in range(i, end - 1))
    ):
        end -= 1  # four characters only as the whole value of a form's field
    soft = [k for k in range(start, end) if text[k] in _SOFT]
    if soft and (len(soft) > 1 or not _clear_end(text, end) or end - start == 1):
        end = soft[0]  # 王伟和他: 和 starts the next words
    pair = text[end - 1 : end + 1]
    if (
        end - start == 2
        and text[end : end + 1] not in _ENDS
        and (pair in words or pair in _HONORIFICS)
    ):
        end -= 1  # 张丽逾期: the third character starts a word
    if end == start or _word_like(text[i:end], surname):
        return i
    if any(text[i:k] in cities() and text[k : k + 1] in "市人籍县区分" for k in (end - 1, end)):
        return i  # 客户温州人, 温州分行, 黄山市人
    near = (end - 1, end, end + 1) if _CJK.match(text, end) else (end - 1,)
    return i if any(_ORG.match(text, k) for k in near) else end


def _dotted_at(text: str, i: int) -> int:
    """The end of a transliterated name (阿卜杜拉·艾则孜) starting at ``i``, or ``i``."""
    m = _DOTTED.match(text, i)
    if m is None or text[i : i + 2] in _provinces() or text[i : i + 2] in cities():
        return i
    end = m.end()
    while end - i > 5 and text[end - 2 : end] in common_words():
        end -= 2  # 古丽米拉·阿不都热合曼 + 逾期
    return end


def _speaker(text: str, m: re.Match[str]) -> bool:
    """Whether the cue is a chat's speaker label (``[10:02] 客户：``) at a line's start."""
    if m.group("cue") not in _SPEAKERS or not re.search("[:：]", m.group("sep")):
        return False
    line = text.rfind("\n", 0, m.start()) + 1
    return _SPEAKER_LINE.fullmatch(text, line, m.start()) is not None


def _after_cues(text: str) -> Iterator[Hit]:
    for m in _CUE.finditer(text):
        i, cue, sep = m.end(), m.group("cue"), m.group("sep")
        if sep.endswith("\n") and cue not in _LABELS:
            continue  # a label's value may be on the next line, not a sentence's
        label = bool(sep.strip()) or cue in _LABELS
        end = _dotted_at(text, i) if label else i
        if end > i:
            yield ("person_name", i, end, 0.85)
            continue
        end = _name_at(text, i, bool(sep))
        if end == i:
            continue
        if _speaker(text, m) and not _hard_end(text, end):
            continue  # 客户：查一下我的还款计划
        plain = cue in _WORDS and not sep.strip()
        if plain and text[i] not in _common_surnames() and not _clear_end(text, end):
            continue  # 客户房贷还没批下来
        yield ("person_name", i, end, 0.85 if label else 0.8)


def _name_before(text: str, end: int) -> int | None:
    """The start of a name ending at ``end`` (before a post cue), if there is one: the
    longest that starts with a known surname."""
    for length in (4, 3, 2):
        start = end - length
        if start < 0 or not all(_CJK.match(c) and c not in _STOP for c in text[start:end]):
            continue
        if text[start] in _SOFT and start and _CJK.match(text[start - 1]):
            continue  # 向李四的手机: 向 is the verb
        if is_name(text[start:end]):
            return start
    return None


def is_name(value: str) -> bool:
    """A bare value that reads as a Chinese name: a known surname and one or two more
    (not a common word: 支付宝, 信息), or a transliterated name (阿卜杜拉·艾则孜)."""
    if _dotted_at(value, 0) == len(value) > 0:
        return True
    surname = _surname_at(value, 0)
    given = value[surname:]
    if not surname or not 1 <= len(given) <= 2 or _word_like(value, surname):
        return False
    if value in cities():
        return False
    if not all(_CJK.match(c) and c not in _STOP for c in given):
        return False
    return sum(c in _SOFT for c in given) < len(given)


def names(text: str) -> Iterator[Hit]:
    for m in _OPENING.finditer(text):
        end = _name_at(text, m.start(), False)
        if end - m.start() >= 2 and _OPENING_VERB.match(text, end):
            yield ("person_name", m.start(), end, 0.75)
    yield from _after_cues(text)
    for m in _POST_CUES.finditer(text):
        start = _name_before(text, m.start())
        if start is not None:
            yield ("person_name", start, m.start(), 0.8)
    for m in _GREETINGS.finditer(text):
        start = _name_before(text, m.start())
        if start is None:
            continue
        before = text[start - 1] if start else "\n"
        if (before == "是") if m.group() == "本人" else not _CJK.match(before):
            yield ("person_name", start, m.start(), 0.75)
