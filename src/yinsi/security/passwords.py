"""Staff passwords: Argon2id hashes, the rehash rule and login throttling (X25, W17).

Pure domain: no storage. A password is kept only as an Argon2id hash (argon2-cffi's
RFC 9106 defaults: 64 MiB, 3 passes, 4 lanes); :func:`needs_rehash` tells a login to
store a fresh hash when the parameters changed since the password was set.
:class:`Throttle` locks an account after repeated failures, so a password cannot be
guessed online: by default 5 failures in a row lock it for 15 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yinsi.security.errors import SecurityError

__all__ = [
    "MIN_LENGTH",
    "Throttle",
    "WeakPassword",
    "check_strength",
    "hash_password",
    "needs_rehash",
    "verify_nothing",
    "verify_password",
]

MIN_LENGTH = 12
HASHER = PasswordHasher()
"""argon2-cffi's defaults (RFC 9106 "low memory"): a change here rehashes on next login."""


class WeakPassword(SecurityError, ValueError):
    """A password too short to set; the message says the rule, in Chinese."""


def check_strength(password: str) -> None:
    """Refuse a password shorter than :data:`MIN_LENGTH` or made of one repeated character."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少需要 {MIN_LENGTH} 个字符，建议使用多个单词组成的短语。")
    if len(set(password)) < 4:
        raise WeakPassword("密码过于简单（重复字符），请换一个更难猜测的密码。")


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    """An Argon2id hash of ``password`` with a fresh random salt (PHC string format)."""
    return hasher.hash(password)


def verify_password(stored: str, password: str, hasher: PasswordHasher = HASHER) -> bool:
    """Whether ``password`` matches ``stored``; a malformed stored hash never matches."""
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, hasher: PasswordHasher = HASHER) -> bool:
    """Whether ``stored`` was made with other parameters than ``hasher``'s (then rehash)."""
    try:
        return hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def _decoy() -> str:
    return hash_password("yinsi-decoy-password-never-matches")


def verify_nothing(password: str) -> None:
    """Spend the time of one verification, for an unknown user name.

    A login that answered at once for an unknown name would tell which names exist.
    """
    verify_password(_decoy(), password)


@dataclass(frozen=True, slots=True)
class Throttle:
    """How many failed logins in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """The failure count after one more failure, and the lock's end if it locks now.

        The count starts over once the account locks, so after the lock ends a user has
        ``max_failures`` tries again.
        """
        failures += 1
        if failures >= self.max_failures:
            return 0, now + self.lock_for
        return failures, None

    @staticmethod
    def locked(locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until

    @staticmethod
    def message(locked_until: datetime) -> str:
        """What the login page says while the account is locked (time in China, UTC+8)."""
        local = locked_until + timedelta(hours=8)
        return (
            f"登录失败次数过多，账号已临时锁定，请于北京时间 {local:%H:%M} 后重试；"
            "如忘记密码，请联系管理员重置。"
        )
