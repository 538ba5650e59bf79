"""Identity verification before any rights request is acted on (X35, GB/T 35273 8.7).

Two methods: a one-time SMS code sent to the phone on file, and the last six characters of
the ID number on file. Both have attempt limits: after :data:`MAX_ATTEMPTS` wrong answers
the request's challenge of that method is locked for good — a new code keeps the count
(attempts survive resends), so guessing needs a new request. Codes are stored as salted
SHA-256 hashes, never in clear; comparisons are constant-time. The storage counts an
attempt atomically (a conditional ``UPDATE``), so concurrent answers cannot exceed the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

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
