"""Identity verification before any rights request is acted on (X35, GB/T 35273 8.7).

Two methods: a one-time SMS code sent to the phone on file, and the last six characters of
the ID number on file. Both have attempt limits: after :data:`MAX_ATTEMPTS` wrong answers
the challenge is locked and a new one must be asked for. Codes are stored as salted
SHA-256 hashes, never in clear; comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from yinsi.rights.requests import RequestError

MAX_ATTEMPTS = 5
CODE_TTL = timedelta(minutes=10)
SUFFIX_LENGTH = 6

log = logging.getLogger("yinsi.rights.sms")


class Method(StrEnum):
    SMS = "sms"
    ID_SUFFIX = "id_suffix"


class VerificationFailed(RequestError):
    """A wrong, expired or locked answer; ``remaining`` attempts are left (0 = locked)."""

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__(message)
        self.remaining = remaining


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


def answer(challenge: Challenge, given: str, now: datetime) -> Challenge:
    """The challenge after one answer: verified, or one more attempt counted.

    Raises :class:`VerificationFailed` (with the attempts left) for a locked or expired
    challenge and for a wrong answer — after recording it: the caller stores the returned
    :attr:`VerificationFailed.challenge` before re-raising.
    """
    if challenge.verified_at is not None:
        return challenge
    if challenge.locked:
        raise VerificationFailed("验证失败次数过多，请重新获取验证码", 0)
    if challenge.expires_at is not None and now > challenge.expires_at:
        raise VerificationFailed("验证码已过期，请重新获取", MAX_ATTEMPTS - challenge.attempts)
    normalised = given.strip() if challenge.method is Method.SMS else _normalise_suffix(given)
    if hmac.compare_digest(_digest(challenge.salt, normalised), challenge.secret_sha256):
        return replace(challenge, verified_at=now)
    counted = replace(challenge, attempts=challenge.attempts + 1)
    remaining = MAX_ATTEMPTS - counted.attempts
    message = (
        f"验证信息不正确，还可尝试{remaining}次"
        if remaining
        else "验证失败次数过多，请重新获取验证码"
    )
    raise WrongAnswer(message, remaining, counted)


class WrongAnswer(VerificationFailed):
    """A wrong answer; ``challenge`` has the attempt counted and must be stored."""

    def __init__(self, message: str, remaining: int, challenge: Challenge) -> None:
        super().__init__(message, remaining)
        self.challenge = challenge


class SmsSender(ABC):
    """Sends a verification code; apps plug in their SMS gateway."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None: ...


class LogSmsSender(SmsSender):
    """The default: writes the message to the log (for development and the demo)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
        self.sent.append((phone, text))
        log.warning("SMS to %s: %s", masked, text)


def sms_text(code: str, app_name: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (
        f"【{app_name}】您正在申请行使个人信息权利，验证码{code}，{minutes}分钟内有效。"
        "如非本人操作，请忽略本短信。"
    )
