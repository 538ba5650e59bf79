"""A labelled corpus of Chinese PI for benchmarks/pii.py, from the project's own generators.

ID numbers, mobile numbers, bank cards, IMEIs, MAC and IPv4 addresses come from the demo's
generators (``yinsi_demo.generators``, which the sample back-end uses), person names and
street names from its ``FakerPeople`` (Faker's ``zh_CN`` locale, seeded): those were not
written with the detectors in mind. The kinds the demo does not generate (landlines, USCC,
travel documents, plates, IPv6, e-mail, dates of birth) and the hard negatives are here.

Every kind yinsi's detectors know appears in ordinary Chinese sentences, in the ways it is
written (separators, ``+86``, grouped card numbers, new-energy plates…), next to hard
negatives that look like PI and are not: order numbers, 13-digit millisecond timestamps,
amounts, version strings, unallocated mobile segments, ID numbers and card numbers that
fail their checksum, dates that are not dates of birth. Seeded: the same seed gives the
same corpus. Every value is made up.

Run alone it prints a few sentences: ``python benchmarks/pii_corpus.py [--quick]``.
"""

from __future__ import annotations

import random
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

sys.path.insert(0, "src")

from yinsi_demo import generators as demo

Span = tuple[str, int, int]


@dataclass(frozen=True)
class Sample:
    text: str
    spans: tuple[Span, ...]


REGIONS = (
    "110105", "110108", "310104", "310115", "440305", "440106", "330106", "320102",
    "510107", "420106", "370202", "610113", "500103", "350203", "430104", "210102",
)  # fmt: skip
UNALLOCATED = ("100", "110", "120", "121", "127", "154", "160", "161", "164", "168", "194")
AREA_CODES = ("010", "021", "020", "022", "025", "027", "028", "029", "0571", "0755",
              "0512", "0531", "0371", "0591", "0731", "0851")  # fmt: skip
COMPOUND = ("欧阳", "司马", "上官", "诸葛")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力志新宇浩然欣怡子轩"
PLATE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def id18(rng: random.Random, valid: bool = True) -> str:
    born = demo.birth_date(rng, date(2026, 12, 6), youngest=18, oldest=70)
    number = demo.id_number(rng, rng.choice(demo.DISTRICTS), born, male=rng.random() < 0.5)
    if valid:
        return number
    return number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]])


def id15(rng: random.Random) -> str:
    return (
        f"{rng.choice(REGIONS)}{rng.randint(50, 99)}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 28):02d}{_digits(rng, 3)}"
    )


def mobile(rng: random.Random) -> str:
    number = demo.mobile(rng)
    style = rng.randrange(6)
    if style == 1:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 3:
        return f"+86 {number}"
    if style == 4:
        return f"+86-{number[:3]}-{number[3:7]}-{number[7:]}"
    return number


def landline(rng: random.Random) -> str:
    area = rng.choice(AREA_CODES)
    local = str(rng.randint(2, 8)) + _digits(rng, 7 if len(area) == 3 else rng.choice((6, 7)))
    style = rng.randrange(4)
    if style == 1:
        return f"({area}){local}"
    if style == 2:
        return f"{area}-{local}转{rng.randint(100, 9999)}"
    return f"{area}-{local}"


def bank_card(rng: random.Random, valid: bool = True) -> str:
    number, _ = demo.bank_card(rng)
    length = len(number)
    if not valid:
        last = int(number[-1])
        number = number[:-1] + str((last + rng.randint(1, 9)) % 10)
    if length == 16 and rng.random() < 0.4:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def uscc(rng: random.Random) -> str:
    body = rng.choice(("91", "92", "12", "52", "93")) + rng.choice(REGIONS)
    body += "".join(rng.choice(USCC_CHARS) for _ in range(9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=False))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def imei(rng: random.Random) -> str:
    return demo.imei(rng)


def mac(rng: random.Random) -> str:
    text = demo.mac_address(rng)
    if rng.random() < 0.3:
        text = text.replace(":", "-")
    return text.lower() if rng.random() < 0.5 else text


def ipv4(rng: random.Random) -> str:
    return demo.ipv4(rng)


def ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randrange(65536):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2409:" + ":".join(groups[1:4]) + "::" + groups[7]
    return ":".join(groups)


def email(rng: random.Random) -> str:
    local = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
    if rng.random() < 0.4:
        local += _digits(rng, rng.randint(2, 4))
    return f"{local}@{rng.choice(('qq.com', '163.com', 'gmail.com', 'xiaoying.com.cn', 'sina.cn'))}"


_PEOPLE: list[demo.People] = []


def _people(rng: random.Random) -> demo.People:
    """Faker ``zh_CN`` names and streets, seeded by :func:`build` (seed 0 otherwise)."""
    if not _PEOPLE:
        _PEOPLE.append(demo.FakerPeople(0))
    return _PEOPLE[0]


def person(rng: random.Random) -> str:
    if rng.random() < 0.05:  # Faker rarely gives a compound surname
        return rng.choice(COMPOUND) + "".join(rng.choice(GIVEN) for _ in range(2))
    return _people(rng).name(rng)


def address(rng: random.Random) -> str:
    district = rng.choice(demo.DISTRICTS)
    text = demo.address(rng, district, _people(rng))
    start = rng.random()  # most written from the province, some from the city or district
    if start > 0.9:
        text = text[len(district.city_path) :]
    elif start > 0.7 and district.province != district.city:
        text = text[len(district.province) :]
    if rng.random() < 0.3:  # not every address goes down to the room
        text = text[: text.index("号") + 1]
    return text


def birth(rng: random.Random) -> str:
    y, m, d = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"{y}-{m:02d}-{d:02d}", f"{y}年{m}月{d}日", f"{y}/{m:02d}/{d:02d}"))


def plate(rng: random.Random) -> str:
    head = rng.choice(PLATE_ABBR) + rng.choice(PLATE_LETTERS)
    if rng.random() < 0.3:
        return head + rng.choice("DF") + rng.choice(PLATE_LETTERS + string.digits) + _digits(rng, 4)
    return head + rng.choice(PLATE_LETTERS + string.digits) + _digits(rng, 4)


def passport(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "E" + _digits(rng, 8)
    return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + _digits(rng, 7)


def hk_macau(rng: random.Random) -> str:
    return rng.choice(("C" + _digits(rng, 8), "C" + rng.choice("ABCDEFGH") + _digits(rng, 7)))


def taiwan(rng: random.Random) -> str:
    return "L" + _digits(rng, 8)


Generator = Callable[[random.Random], str]
# (kind, generator, sentence templates with {v} where the value goes)
POSITIVES: tuple[tuple[str, Generator, tuple[str, ...]], ...] = (
    ("id_number", id18, ("身份证号{v}，请核对。", "客户证件号码：{v}", "借款人身份证{v}已实名")),
    ("id_number", id15, ("老身份证号码{v}需要换领。",)),
    ("mobile", mobile, ("手机{v}，", "请拨打{v}联系我", "联系电话：{v}。", "预留手机号{v}已验证")),
    ("landline", landline, ("公司电话{v}，", "座机：{v}", "请致电{v}咨询")),
    ("bank_card", bank_card, ("银行卡号{v}，", "还款账户{v}扣款失败", "尾号核对：卡号 {v}")),
    ("uscc", uscc, ("统一社会信用代码：{v}", "企业信用代码{v}，")),
    ("passport", passport, ("护照号码{v}，", "护照 {v} 已过期")),
    ("hk_macau_permit", hk_macau, ("往来港澳通行证{v}，", "港澳通行证号码：{v}")),
    ("taiwan_permit", taiwan, ("大陆居民往来台湾通行证{v}，",)),
    ("plate", plate, ("车牌号{v}，", "车辆{v}已抵押")),
    ("imei", imei, ("设备IMEI：{v}", "IMEI {v}，")),
    ("mac", mac, ("MAC地址{v}，", "设备mac: {v}")),
    ("ipv4", ipv4, ("登录IP：{v}，", "来自{v}的请求")),
    ("ipv6", ipv6, ("IPv6地址{v}，", "登录IP {v}")),
    ("email", email, ("邮箱{v}，", "请发送至{v}。")),
    ("birth_date", birth, ("出生日期：{v}，", "生日{v}", "出生于{v}。")),
    (
        "person_name",
        person,
        ("姓名：{v}，", "联系人{v}，", "{v}先生您好", "借款人{v}逾期", "{v}于昨日来电咨询。"),
    ),
    ("address", address, ("住址：{v}，", "收货地址{v}。", "寄到{v}")),
)


def _negatives(rng: random.Random) -> str:
    """A sentence with no PI that a careless detector flags."""
    choice = rng.randrange(12)
    if choice == 0:
        return f"订单号{_digits(rng, 18)}已发货。"
    if choice == 1:
        return f"时间戳{rng.randint(1_600_000_000_000, 1_800_000_000_000)}写入日志。"
    if choice == 2:
        return f"本期应还金额{rng.randint(1000, 99999)}.{_digits(rng, 2)}元。"
    if choice == 3:
        return f"请升级到版本{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}。"
    if choice == 4:
        return f"号码{rng.choice(UNALLOCATED)}{_digits(rng, 8)}不存在。"
    if choice == 5:
        return f"证件号{id18(rng, valid=False)}校验失败。"
    if choice == 6:
        return f"卡号{bank_card(rng, valid=False)}无效。"
    if choice == 7:
        return f"合同签订于{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}。"
    if choice == 8:
        return f"交易流水号{_digits(rng, 16)}，"
    if choice == 9:
        return f"工单编号{rng.randint(10**10, 10**11)}处理中。"
    if choice == 10:
        return f"共{rng.randint(2, 99)}笔，合计¥{_digits(rng, 11)}。"
    return rng.choice(("本产品年化利率不超过24%。", "欢迎使用小赢卡贷。", "请在3个工作日内完成。"))


def build(n_sentences: int, seed: int = 17, negative_share: float = 0.3) -> list[Sample]:
    """``n_sentences`` sentences, about ``negative_share`` of them hard negatives."""
    rng = random.Random(seed)
    _PEOPLE[:] = [demo.FakerPeople(seed)]
    samples: list[Sample] = []
    for _ in range(n_sentences):
        if rng.random() < negative_share:
            samples.append(Sample(_negatives(rng), ()))
            continue
        kind, generator, templates = rng.choice(POSITIVES)
        value = generator(rng)
        template = rng.choice(templates)
        if template.endswith("{v}"):  # a sentence ends with its full stop
            template += "。"
        start = template.index("{v}")
        text = template.replace("{v}", value)
        samples.append(Sample(text, ((kind, start, start + len(value)),)))
    return samples


def join(samples: list[Sample], per_document: int = 20) -> list[Sample]:
    """Documents of ``per_document`` sentences each, with the spans moved along."""
    documents: list[Sample] = []
    for i in range(0, len(samples), per_document):
        text, spans = "", list[Span]()
        for sample in samples[i : i + per_document]:
            spans.extend((k, s + len(text), e + len(text)) for k, s, e in sample.spans)
            text += sample.text
        documents.append(Sample(text, tuple(spans)))
    return documents


if __name__ == "__main__":
    for sample in build(12, seed=1):
        print(sample.text, [sample.text[s:e] for _, s, e in sample.spans])
