"""Identity verification before any rights request is acted on (X35, GB/T 35273 8.7).

Two methods: a one-time SMS code sent to the phone on file, and the last six characters of
the ID number on file. Both have attempt limits: after :data:`MAX_ATTEMPTS` wrong answers
the request's challenge of that method is locked for good — a new code keeps the count
(attempts survive resends), so guessing needs a new request. Codes are stored as salted
SHA-256 hashes, never in clear; comparisons are constant-time. The storage counts an
attempt atomically (a conditional ``UPDATE``), so concurrent answers cannot exceed the limit.

The phone and ID number on file are read through the data map (:func:`on_file`): in a
dataset found by the subject's ``user_id`` or in one hanging off it by ``parent`` links
(an ID table ``user_idcard.user_id`` → ``users.uid``), the nearest first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.rights.ports import Connector, Record
from yinsi.rights.requests import RequestError

MAX_ATTEMPTS = 5
CODE_TTL = timedelta(minutes=10)
SUFFIX_LENGTH = 6


class Method(StrEnum):
    SMS = "sms"
    ID_SUFFIX = "id_suffix"


class VerificationFailed(RequestError):
    """A wrong, expired or locked answer; ``remaining`` attempts are left (0 = locked)."""

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__(message)
        self.remaining = remaining


class CodeLimited(VerificationFailed):
    """No code sent: too soon after the last one, or a cap reached (API: 429).

    ``retry_after`` is the number of seconds to wait; None when waiting does not help
    (this request has had all its codes: answer by ID number or file a new request).
    """

    def __init__(self, message: str, remaining: int, retry_after: int | None) -> None:
        super().__init__(message, remaining)
        self.retry_after = retry_after


LOCKED = "验证失败次数过多，该申请已无法通过此方式验证，请重新提交申请或联系客服。"


@dataclass(frozen=True, slots=True)
class Challenge:
    request_id: str
    method: Method
    secret_sha256: str
    """Salted hash of the code (SMS) or of the normalised ID-number suffix."""
    salt: str
    created_at: datetime
    expires_at: datetime | None
    attempts: int = 0
    verified_at: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.attempts >= MAX_ATTEMPTS and self.verified_at is None


def _digest(salt: str, answer: str) -> str:
    return hashlib.sha256(f"{salt}:{answer}".encode()).hexdigest()


def _normalise_suffix(value: str) -> str:
    return value.strip().upper()[-SUFFIX_LENGTH:]


def sms_challenge(request_id: str, now: datetime) -> tuple[Challenge, str]:
    """A new six-digit code and its challenge; send the code, store the challenge."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    challenge = Challenge(request_id, Method.SMS, _digest(salt, code), salt, now, now + CODE_TTL)
    return challenge, code


def id_suffix_challenge(request_id: str, id_number_on_file: str, now: datetime) -> Challenge:
    """A challenge answered by the last six characters of the ID number on file."""
    salt = secrets.token_hex(16)
    secret = _digest(salt, _normalise_suffix(id_number_on_file))
    return Challenge(request_id, Method.ID_SUFFIX, secret, salt, now, None)


def check(challenge: Challenge, given: str, now: datetime) -> bool:
    """Whether ``given`` answers ``challenge``; raises :class:`VerificationFailed` for a
    locked or expired challenge. Counting a wrong answer is the storage's (atomic) job."""
    if challenge.verified_at is not None:
        return True
    if challenge.locked:
        raise VerificationFailed(LOCKED, 0)
    if challenge.expires_at is not None and now > challenge.expires_at:
        raise VerificationFailed("验证码已过期，请重新获取", MAX_ATTEMPTS - challenge.attempts)
    normalised = given.strip() if challenge.method is Method.SMS else _normalise_suffix(given)
    return hmac.compare_digest(_digest(challenge.salt, normalised), challenge.secret_sha256)


def wrong_answer_message(remaining: int) -> str:
    """What a wrong answer tells the user, with the attempts left (0: locked)."""
    return f"验证信息不正确，还可尝试{remaining}次" if remaining > 0 else LOCKED


def answer(challenge: Challenge, given: str, now: datetime) -> Challenge:
    """The challenge after one answer: verified, or one more attempt counted (in memory).

    Raises :class:`VerificationFailed` (with the attempts left) for a locked or expired
    challenge and :class:`WrongAnswer` for a wrong one. Services count attempts with the
    storage's atomic counter instead (see :meth:`RightsService.verify`).
    """
    if challenge.verified_at is not None:
        return challenge
    if check(challenge, given, now):
        return replace(challenge, verified_at=now)
    counted = replace(challenge, attempts=challenge.attempts + 1)
    remaining = MAX_ATTEMPTS - counted.attempts
    raise WrongAnswer(wrong_answer_message(remaining), remaining, counted)


class WrongAnswer(VerificationFailed):
    """A wrong answer; ``challenge`` has the attempt counted and must be stored."""

    def __init__(self, message: str, remaining: int, challenge: Challenge) -> None:
        super().__init__(message, remaining)
        self.challenge = challenge


def sms_text(code: str, app_name: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (
        f"【{app_name}】您正在申请行使个人信息权利，验证码{code}，{minutes}分钟内有效。"
        "如非本人操作，请忽略本短信。"
    )


# ------------------------------------------------------------------ the value on file

NOT_ON_FILE = "未找到可用于验证身份的信息，请联系客服"
"""What the end user is told when no phone or ID number is on file (the engineer gets
:attr:`NotOnFile.detail`)."""

ELEMENT_OF = {Method.SMS: "mobile_number", Method.ID_SUFFIX: "id_number"}
"""The declared element each method reads from the stores."""

THROUGH_PARENTS = frozenset({"id_number"})
"""Elements read from datasets below the subject's root too (an ID table hanging off the
user by ``parent``). A phone is read only from the root's own records: a code sent to a
``mobile_number`` found under an order or a bank card (a recipient's, a reserved phone)
could reach someone else and let them verify as the subject."""


@dataclass(frozen=True, slots=True)
class IdentityRoute:
    """Where a verification value is read: ``field`` of ``dataset``, reached from the
    subject's ``user_id`` through ``via`` (the root first, ``dataset`` last): by the
    root's ``subject:`` link, then by each child's ``parent:`` link."""

    element: str
    dataset: str
    field: str
    via: tuple[str, ...]

    @property
    def through_parents(self) -> bool:
        return len(self.via) > 1


@dataclass(frozen=True, slots=True)
class Routes:
    """The routes to ``element`` in a data map, and why other datasets are not routes."""

    element: str
    routes: tuple[IdentityRoute, ...]
    unlinked: tuple[str, ...]
    """Datasets holding the element that no chain of links joins to ``user_id``."""
    without: tuple[str, ...]
    """Datasets joined to ``user_id`` that hold no such element (no column for it)."""
    below: tuple[str, ...] = ()
    """Datasets holding it below the root, not read for this element (see
    :data:`THROUGH_PARENTS`)."""


def _root_by_user_id(ds: Dataset) -> bool:
    if ds.table is not None:
        return ds.subject is not None and ds.subject.identity == "user_id"
    return ds.key is not None and set(ds.placeholders) == {"user_id"}


def _chain(data_map: DataMap, ds: Dataset) -> tuple[str, ...] | None:
    """The datasets from a root found by ``user_id`` down to ``ds``, or None."""
    ids = {d.id: d for d in data_map.datasets}
    chain = [ds.id]
    current = ds
    while not _root_by_user_id(current):
        if current.parent is None or current.parent.dataset in chain:
            return None
        parent = ids.get(current.parent.dataset)
        if parent is None:
            return None
        chain.append(parent.id)
        current = parent
    return tuple(reversed(chain))


def identity_routes(data_map: DataMap, element: str) -> Routes:
    """Every dataset holding ``element`` that a subject's ``user_id`` reaches, root first."""
    routes: list[IdentityRoute] = []
    unlinked: list[str] = []
    without: list[str] = []
    below: list[str] = []
    for ds in data_map.datasets:
        chain = _chain(data_map, ds)
        fields = [f.name for f in ds.fields if f.element == element]
        if not fields:
            if chain is not None:
                without.append(ds.id)
            continue
        if chain is None:
            unlinked.append(ds.id)
            continue
        if len(chain) > 1 and element not in THROUGH_PARENTS:
            below.append(ds.id)
            continue
        routes += [IdentityRoute(element, ds.id, name, chain) for name in fields]
    routes.sort(key=lambda r: len(r.via))  # the nearest first: a root's own column wins
    return Routes(element, tuple(routes), tuple(unlinked), tuple(without), tuple(below))


class NotOnFile(VerificationFailed):
    """No value to verify against: the end user reads :data:`NOT_ON_FILE`; ``detail``
    tells the engineer which datasets were searched and why nothing was found (never a
    value: it names datasets and columns only)."""

    def __init__(self, element: str, detail: str) -> None:
        super().__init__(NOT_ON_FILE, 0)
        self.element = element
        self.detail = detail


def on_file(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    subject_id: str,
    element: str,
) -> str:
    """The first value of ``element`` held for the subject, through ``subject:`` and
    ``parent:`` links; raises :class:`NotOnFile` saying what was searched."""
    found = identity_routes(data_map, element)
    read: dict[str, list[Record]] = {}
    searched: list[str] = []
    for route in found.routes:
        records = _records(data_map, connectors, subject_id, route.via, read)
        values = {str(v) for r in records if (v := r.values.get(route.field)) not in (None, "")}
        if len(values) == 1 or (values and not route.through_parents):
            return next(iter(values)) if len(values) == 1 else _first(records, route.field)
        state = (
            "no record"
            if not records
            else "empty"
            if not values
            else f"{len(values)} different values in its records: whose is not known, not used"
        )
        searched.append(f"{route.dataset}.{route.field} ({state}; via {' → '.join(route.via)})")
    raise NotOnFile(element, _detail(found, searched))


def _first(records: list[Record], field: str) -> str:
    """The first non-empty value of ``field`` (the root's own records, in their order)."""
    return next(str(v) for r in records if (v := r.values.get(field)) not in (None, ""))


def _records(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    subject_id: str,
    via: tuple[str, ...],
    read: dict[str, list[Record]],
) -> list[Record]:
    parent: Dataset | None = None
    records: list[Record] = []
    for dataset_id in via:
        ds = data_map.dataset(dataset_id)
        if dataset_id in read:
            records = read[dataset_id]
        elif parent is None:
            column = ds.subject.column if ds.subject is not None else "user_id"
            records = connectors[ds.store].find(ds, {column: [subject_id]})
        else:
            link = ds.parent
            assert link is not None  # a chain below its root goes by parent links
            by_key = link.references is None or link.references == parent.primary_key
            values = [
                r.key if by_key else str(r.values.get(str(link.references)))
                for r in records
                if by_key or r.values.get(str(link.references)) is not None
            ]
            records = connectors[ds.store].find(ds, {link.column: values}) if values else []
        read[dataset_id] = records
        parent = ds
        if not records:
            return []
    return records


def _detail(found: Routes, searched: list[str]) -> str:
    parts = [f"no {found.element!r} on file for this subject"]
    if searched:
        parts.append("searched: " + ", ".join(searched))
    else:
        parts.append(f"no dataset linked to user_id holds {found.element!r}")
    if found.unlinked:
        parts.append(
            "holding it but not linked to user_id by `subject`/`parent`: "
            + ", ".join(found.unlinked)
        )
    if found.below:
        parts.append(
            f"holding it below the root, not read for {found.element!r} (only the "
            "subject's own records are): " + ", ".join(found.below)
        )
    if found.without:
        parts.append(
            f"linked to user_id without a column for {found.element!r}: " + ", ".join(found.without)
        )
    return "; ".join(parts) + " (check the data map: `yinsi map check MAP --connect`)"
