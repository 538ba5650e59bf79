"""Synthetic, valid-looking Chinese PI for the sample back-end: every value is made up.

Names, mobile numbers (``1[3-9]…`` with real carrier prefixes), GB 11643-1999 resident ID
numbers with a correct ISO 7064 MOD 11-2 check character and a real GB/T 2260 region
code, bank card numbers and IMEIs with a correct Luhn digit, addresses that start with a
province-level division, IPv4 addresses and coordinates. Everything is drawn from the
``random.Random`` passed in, so one seed always gives the same people.

Names and street names come from a :class:`People` source: :data:`HAND_MADE` (the short
lists below, the default of the tests and benchmarks) or :class:`FakerPeople` (Faker's
``zh_CN`` locale, seeded: the demo's few hundred users look less alike). Everything
checked — ID numbers, phones, cards — stays generated here either way.

:class:`Uniques` hands out values never handed out before (names, phones, ID numbers,
cards), so a value found in a store names exactly one person.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

# fmt: off
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "欧阳", "司马", "上官",
)
GIVEN_CHARACTERS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "建", "文", "辉",
    "宇", "浩", "婷", "欣", "晨", "思", "佳", "嘉", "子", "梓", "睿", "泽", "雨", "晓", "志",
)
# 中国移动 / 联通 / 电信 / 广电 number segments (号段).
MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158",
    "159", "178", "182", "183", "187", "188", "198", "130", "131", "132", "145", "155",
    "156", "166", "176", "185", "186", "133", "149", "153", "173", "177", "180", "181",
    "189", "191", "199", "192",
)
# fmt: on


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division (GB/T 2260 code) with its province and city names."""

    code: str
    province: str
    city: str
    district: str
    latitude: float
    longitude: float

    @property
    def city_path(self) -> str:
        """``广东省深圳市`` (a municipality is named once: ``北京市``)."""
        return self.province if self.province == self.city else self.province + self.city


DISTRICTS = (
    District("110105", "北京市", "北京市", "朝阳区", 39.9219, 116.4436),
    District("310115", "上海市", "上海市", "浦东新区", 31.2215, 121.5447),
    District("440305", "广东省", "深圳市", "南山区", 22.5333, 113.9304),
    District("440106", "广东省", "广州市", "天河区", 23.1247, 113.3612),
    District("330106", "浙江省", "杭州市", "西湖区", 30.2595, 120.1300),
    District("510107", "四川省", "成都市", "武侯区", 30.6423, 104.0431),
    District("420106", "湖北省", "武汉市", "武昌区", 30.5538, 114.3162),
    District("320102", "江苏省", "南京市", "玄武区", 32.0486, 118.7979),
    District("370102", "山东省", "济南市", "历下区", 36.6665, 117.0763),
    District("610113", "陕西省", "西安市", "雁塔区", 34.2139, 108.9480),
)

ROADS = ("建设路", "人民路", "解放路", "中山路", "科技园路", "滨海大道", "学府路", "长江路")
BANK_BINS = (
    ("622202", "中国工商银行", 19),
    ("621700", "中国建设银行", 19),
    ("622848", "中国农业银行", 19),
    ("621790", "中国银行", 19),
    ("621483", "招商银行", 16),
    ("622588", "招商银行", 16),
    ("622262", "交通银行", 19),
)
DEVICE_MODELS = (
    "HUAWEI Mate 60",
    "HONOR 90",
    "Xiaomi 14",
    "Redmi K70",
    "OPPO Reno11",
    "vivo X100",
    "iPhone 15",
    "iPhone 13",
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_digit(payload: str) -> str:
    """The Luhn check digit to append to ``payload`` (bank cards, IMEIs)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def id_number(rng: random.Random, district: District, birth: date, *, male: bool) -> str:
    """A GB 11643 number: region, birth date, sequence (odd for men), check character."""
    sequence = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{district.code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def bank_card(rng: random.Random) -> tuple[str, str]:
    """``(card number, bank name)``: a debit card number with a valid Luhn digit."""
    bin_, bank, length = rng.choice(BANK_BINS)
    payload = bin_ + "".join(str(rng.randrange(10)) for _ in range(length - len(bin_) - 1))
    return payload + luhn_digit(payload), bank


def imei(rng: random.Random) -> str:
    """15 digits: an 8-digit type allocation code, a serial, the Luhn digit."""
    payload = "86" + "".join(str(rng.randrange(10)) for _ in range(12))
    return payload + luhn_digit(payload)


def address(rng: random.Random, district: District, people: People | None = None) -> str:
    """``广东省深圳市南山区科技园路88号3栋1201室``: the district's own province and city (the
    ID number's region code agrees), a street from ``people`` (default :data:`HAND_MADE`)."""
    street = (people or HAND_MADE).street(rng)
    return (
        f"{district.city_path}{district.district}{street}{rng.randrange(1, 300)}号"
        f"{rng.randrange(1, 20)}栋{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}室"
    )


def mac_address(rng: random.Random) -> str:
    """A universally administered unicast MAC address, ``A4:5E:60:1B:2C:3D``."""
    first = rng.randrange(256) & 0b11111100
    return ":".join(f"{b:02X}" for b in (first, *(rng.randrange(256) for _ in range(5))))


def os_version(rng: random.Random, model: str) -> str:
    if model.startswith("iPhone"):
        return f"iOS {rng.choice((16, 17, 18))}.{rng.randrange(0, 6)}"
    if model.startswith(("HUAWEI", "HONOR")):
        return f"HarmonyOS {rng.choice(('3.0', '4.0', '4.2'))}"
    return f"Android {rng.choice((12, 13, 14))}"


def ipv4(rng: random.Random) -> str:
    first = rng.choice((36, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def device_id(rng: random.Random) -> str:
    """An OAID / IDFV-like identifier (UUID form, upper case)."""
    digits = f"{rng.getrandbits(128):032X}"
    return "-".join((digits[:8], digits[8:12], digits[12:16], digits[16:20], digits[20:]))


def location(rng: random.Random, district: District) -> str:
    """``22.533301,113.930412``: latitude, longitude within a few km of the district."""
    lat = district.latitude + rng.uniform(-0.03, 0.03)
    lng = district.longitude + rng.uniform(-0.03, 0.03)
    return f"{lat:.6f},{lng:.6f}"


def hex_token(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(4 * length):0{length}x}"


def birth_date(rng: random.Random, today: date, *, youngest: int, oldest: int) -> date:
    """A birth date giving an age between ``youngest`` and ``oldest`` years ``today``."""
    start = date(today.year - oldest - 1, today.month, 1) + timedelta(days=40)
    end = date(today.year - youngest, 1, 1) - timedelta(days=1)
    return start + timedelta(days=rng.randrange((end - start).days))


class People:
    """Where the synthetic people's names and street names come from.

    This base class draws them from :data:`SURNAMES`, :data:`GIVEN_CHARACTERS` and
    :data:`ROADS` with the seeding's ``rng`` (the same calls, in the same order, as ever:
    seeds keep giving the same rows). ``male`` is the sex the person's ID number encodes,
    ``None`` when nothing else says it (an emergency contact, a marketing lead).
    """

    def name(self, rng: random.Random, male: bool | None = None) -> str:
        return name(rng)

    def street(self, rng: random.Random) -> str:
        return rng.choice(ROADS)


HAND_MADE = People()


class FakerPeople(People):
    """Names and street names from Faker's ``zh_CN`` locale, for the demo.

    Faker draws from its own generator, seeded with ``seed``: the same seed gives the same
    people (with the same Faker version); ``rng`` is not used. Names follow the sex of the
    ID number (``name_male`` / ``name_female``).
    """

    def __init__(self, seed: int) -> None:
        from faker import Faker  # imported here: ~0.3 s, and only the demo needs it

        self._fake = Faker("zh_CN")
        self._fake.seed_instance(seed)

    def name(self, rng: random.Random, male: bool | None = None) -> str:
        if male is None:
            return str(self._fake.name())
        return str(self._fake.name_male() if male else self._fake.name_female())

    def street(self, rng: random.Random) -> str:
        return str(self._fake.street_name())


@dataclass(slots=True)
class Uniques:
    """Values never handed out twice in one seeding, so each identifies one person.

    Phones, ID numbers, cards and device ids have room for millions of people and are
    always new. Chinese names are not (about 70,000 combinations here): :meth:`draw` with
    ``strict=False`` tries a few times and then accepts a name someone else already has,
    as in real life; :meth:`~yinsi_demo.truth.Seeded.unique_values` says which values
    really are one person's.
    """

    rng: random.Random
    seen: set[str] = field(default_factory=set)

    def draw(self, make: Callable[[random.Random], str], *, strict: bool = True) -> str:
        value = make(self.rng)
        for _ in range(_TRIES if strict else _BEST_EFFORT_TRIES):
            if value not in self.seen:
                break
            value = make(self.rng)
        else:
            if strict:
                raise RuntimeError(
                    f"could not draw a new unique value in {_TRIES} tries; seed fewer people"
                )
        self.seen.add(value)
        return value

    def pair(self, make: Callable[[random.Random], tuple[str, str]]) -> tuple[str, str]:
        """Like :meth:`draw` (strict) for generators that return a value and its detail."""
        for _ in range(_TRIES):
            value, detail = make(self.rng)
            if value not in self.seen:
                self.seen.add(value)
                return value, detail
        raise RuntimeError(
            f"could not draw a new unique value in {_TRIES} tries; seed fewer people"
        )


_TRIES = 1000
_BEST_EFFORT_TRIES = 8
