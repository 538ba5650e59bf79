"""Erasure and de-identification strategies as value transforms (PIPL Arts. 47, 73).

A :class:`Strategy` says what becomes of one stored value when PI must be erased (a
deletion request, an expired retention period) or de-identified before it leaves (a
recipient such as a collection agency gets a :class:`DeidentificationProfile`).

Every transform is **idempotent**: ``apply(s, apply(s, v)) == apply(s, v)``. An erasure
that crashed half-way can simply run again; :func:`is_erased` tells the executor which
values already have their strategy's form. ``None`` (no value) stays ``None``.

Errors::

    DeidentificationError (ValueError)
    ├── NotApplicable        the strategy does not fit the value (or is row-level: delete)
    ├── KeyRequired          keyed_hash without a usable secret key
    └── UnprofiledElement    a record field the profile says nothing about
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from yinsi.declaration.datamap import Strategy
from yinsi.security.masking import mask
from yinsi.taxonomy.formats import Format, InvalidValue, format_of, validate
from yinsi.taxonomy.regions import PROVINCES, province_of

ANONYMISED = "已匿名"
TOKEN_PREFIX = "h1:"
TOKEN_LENGTH = len(TOKEN_PREFIX) + 32
"""Characters of a ``keyed_hash`` pseudonym (``h1:`` + 32 hex digits)."""
MIN_KEY_BYTES = 16
MAX_AGE = 150
_TOKEN = re.compile(r"h1:[0-9a-f]{32}")
_YEAR = re.compile(r"[0-9]{4}")
_BAND = re.compile(r"(?P<tens>[0-9]{0,2})0-(?P=tens)9")  # 0-9, 30-39, 140-149
_PROVINCE_NAMES = frozenset(p.name for p in PROVINCES.values())
# Formats whose string values generalise: dates to a year, addresses to a province.
_GENERALISABLE = frozenset({Format.TEXT, Format.DATE, Format.ADDRESS})


class DeidentificationError(ValueError):
    """Base of the errors of this module."""


class NotApplicable(DeidentificationError):
    def __init__(self, strategy: Strategy, value: object, element: str | None, fix: str) -> None:
        self.strategy = strategy
        self.element = element
        where = f" of element {element!r}" if element else ""
        kind = type(value).__name__
        super().__init__(f"strategy {strategy.value!r} does not fit a {kind} value{where}; {fix}")


class KeyRequired(DeidentificationError):
    def __init__(self, problem: str) -> None:
        super().__init__(
            f"strategy 'keyed_hash' needs a secret key: {problem}; pass key=<bytes> of at "
            f"least {MIN_KEY_BYTES} bytes, kept apart from the data (e.g. in a KMS), one key "
            "per recipient so that tokens cannot be joined across recipients"
        )


class UnprofiledElement(DeidentificationError):
    def __init__(self, profile: str, elements: Iterable[str]) -> None:
        self.elements = tuple(sorted(elements))
        names = ", ".join(repr(e) for e in self.elements)
        super().__init__(
            f"de-identification profile {profile!r} has no strategy for {names}; add each "
            "to its strategies, or to keep if the recipient may receive it as it is"
        )


def _check_key(key: bytes | None) -> bytes:
    if not isinstance(key, bytes):
        raise KeyRequired("no key given" if key is None else f"got a {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise KeyRequired(f"the key has {len(key)} bytes")
    return key


def _null(value: object, element: str | None, key: bytes | None) -> object:
    return None


def _mask(value: object, element: str | None, key: bytes | None) -> object:
    if not isinstance(value, str):
        raise NotApplicable(
            Strategy.MASK, value, element, "masking keeps text only; use null or generalise"
        )
    return mask(format_of(element) if element else Format.TEXT, value)


def _keyed_hash(value: object, element: str | None, key: bytes | None) -> object:
    secret = _check_key(key)
    if not isinstance(value, str):
        raise NotApplicable(
            Strategy.KEYED_HASH,
            value,
            element,
            "a token is text and would not fit the column; use null or generalise",
        )
    if _TOKEN.fullmatch(value):
        return value
    canonical = value
    if element:
        # One token per person, however the value was typed (+86, spaces, x or X).
        with contextlib.suppress(InvalidValue):
            canonical = validate(format_of(element), value)
    digest = hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[: TOKEN_LENGTH - len(TOKEN_PREFIX)]


def _age_band(age: int, element: str | None) -> str:
    if not 0 <= age < MAX_AGE:
        raise NotApplicable(
            Strategy.GENERALISE,
            age,
            element,
            f"an integer is read as an age and must be 0 to {MAX_AGE - 1}; "
            "use null or anonymise for other numbers",
        )
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def _year(text: str) -> str | None:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return f"{parse(text).year:04d}"
        except ValueError:
            continue
    return None


def _generalise_text(text: str, element: str | None) -> str:
    fmt = format_of(element) if element else Format.TEXT
    stripped = text.strip()
    if _YEAR.fullmatch(stripped) or _BAND.fullmatch(stripped) or stripped in _PROVINCE_NAMES:
        return stripped  # already generalised
    if fmt in _GENERALISABLE:
        year = _year(stripped) if fmt is not Format.ADDRESS else None
        if year is not None:
            return year
        province = province_of(stripped) if fmt is not Format.DATE else None
        if province is not None:
            return province.name
    raise NotApplicable(
        Strategy.GENERALISE,
        text,
        element,
        "generalise knows ISO dates (→ year) and addresses that start with a province "
        "(→ province); use mask, keyed_hash or anonymise for this element",
    )


def _generalise(value: object, element: str | None, key: bytes | None) -> object:
    if isinstance(value, datetime):
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    if isinstance(value, date):
        return date(value.year, 1, 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return _age_band(value, element)
    if isinstance(value, str):
        return _generalise_text(value, element)
    raise NotApplicable(
        Strategy.GENERALISE,
        value,
        element,
        "generalise knows dates, datetimes, ages (int) and text; use null or anonymise",
    )


def _anonymise(value: object, element: str | None, key: bytes | None) -> object:
    return ANONYMISED if isinstance(value, str) else None


_TRANSFORMS: dict[Strategy, Callable[[object, str | None, bytes | None], object]] = {
    Strategy.NULL: _null,
    Strategy.MASK: _mask,
    Strategy.KEYED_HASH: _keyed_hash,
    Strategy.GENERALISE: _generalise,
    Strategy.ANONYMISE: _anonymise,
}


def apply(
    strategy: Strategy | str,
    value: object,
    *,
    element: str | None = None,
    key: bytes | None = None,
) -> object:
    """``value`` erased or de-identified by ``strategy``; idempotent for every strategy.

    ``element`` (an element id such as ``mobile_number``) picks the masking pattern, the
    generalisation and the normalisation before hashing; ``key`` is the HMAC key of
    ``keyed_hash``. ``None`` stays ``None``. Raises :class:`NotApplicable` for ``delete``
    (row-level) and for a value the strategy does not fit, :class:`KeyRequired` for
    ``keyed_hash`` without a key of at least 16 bytes.

    - ``generalise``: a ``date`` → 1 January of its year; a ``datetime`` → midnight of its
      day (same type and timezone, so it still fits its column); an ``int`` (an age) →
      its 10-year band ``"30-39"``; a string ISO date → its year ``"1990"``; an address →
      its province-level division ``"广东省"``.
    - ``anonymise`` replaces the value; anonymised data must no longer identify anyone,
      even combined with other data (PIPL Art. 73 (4)). Anonymising a *row* therefore
      also needs its identifying columns (ids, phone, account) removed or nulled — one
      field's transform alone does not make the row anonymous.
    - ``keyed_hash`` is de-identification (PIPL Art. 73 (3)), not anonymisation: whoever
      holds the key can link tokens back to people; the output stays PI.
    """
    s = Strategy(strategy)
    if s is Strategy.DELETE:
        raise NotApplicable(
            s,
            value,
            element,
            "delete removes the whole row, which the connector does; for one field use "
            "null or anonymise",
        )
    if s is Strategy.KEYED_HASH:
        _check_key(key)
    if value is None:
        return None
    return _TRANSFORMS[s](value, element, key)


def is_erased(strategy: Strategy | str, value: object, *, element: str | None = None) -> bool:
    """Whether ``value`` already has ``strategy``'s form (the executor's check after a run).

    For ``delete`` it is always False: a value read back means the row is still there.
    ``None`` counts as erased for every other strategy.
    """
    s = Strategy(strategy)
    if s is Strategy.DELETE:
        return False
    if value is None:
        return True
    if s is Strategy.NULL:
        return False
    if s is Strategy.KEYED_HASH:
        return isinstance(value, str) and _TOKEN.fullmatch(value) is not None
    if s is Strategy.ANONYMISE:
        return value == ANONYMISED
    try:
        result = _TRANSFORMS[s](value, element, None)
    except NotApplicable:
        return False
    return type(result) is type(value) and result == value


@dataclass(frozen=True, slots=True)
class DeidentificationProfile:
    """What a recipient gets: element id → strategy, plus the elements it may get as is.

    A record field named in neither ``strategies`` nor ``keep`` is refused
    (:class:`UnprofiledElement`), so a column added later never leaks in clear.
    ``delete`` in a profile drops the field from the record.
    """

    name: str
    strategies: Mapping[str, Strategy]
    keep: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        strategies = {e: Strategy(s) for e, s in self.strategies.items()}
        object.__setattr__(self, "strategies", MappingProxyType(strategies))
        object.__setattr__(self, "keep", frozenset(self.keep))
        both = self.keep & strategies.keys()
        if both:
            raise ValueError(
                f"de-identification profile {self.name!r} both keeps and de-identifies "
                f"{', '.join(sorted(both))}; remove each from one of the two"
            )

    @property
    def needs_key(self) -> bool:
        return Strategy.KEYED_HASH in self.strategies.values()


def apply_profile(
    profile: DeidentificationProfile, record: Mapping[str, object], *, key: bytes | None = None
) -> dict[str, object]:
    """``record`` (element id → value) de-identified by ``profile``; idempotent.

    Raises :class:`UnprofiledElement` naming every field the profile does not cover, and
    :class:`KeyRequired` before touching anything if the profile hashes without a key.
    """
    unknown = [f for f in record if f not in profile.keep and f not in profile.strategies]
    if unknown:
        raise UnprofiledElement(profile.name, unknown)
    if profile.needs_key:
        _check_key(key)
    out: dict[str, object] = {}
    for element, value in record.items():
        if element in profile.keep:
            out[element] = value
        elif (strategy := profile.strategies[element]) is not Strategy.DELETE:
            out[element] = apply(strategy, value, element=element, key=key)
    return out
