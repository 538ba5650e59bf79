"""Staff passwords: Argon2id hashes, the rehash rule and the password policy (X25, W17).

Pure domain: no storage. A password is kept only as an Argon2id hash (argon2-cffi's
RFC 9106 defaults: 64 MiB, 3 passes, 4 lanes); :func:`needs_rehash` tells a login to
store a fresh hash when the parameters changed since the password was set.
:func:`check_strength` is the policy every new password meets: at least
:data:`MIN_LENGTH` characters, not one of the ~20,000 most common passwords (also with
digits or symbols added at the end: ``password1234``), not the user name or containing
it. The list ships with the package (``common_passwords.txt.gz``, from Django's
``CommonPasswordValidator``, BSD licence); nothing is downloaded. Login throttling is the
service's (:mod:`yinsi.services.staff`).
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yinsi.security.errors import SecurityError

__all__ = [
    "MIN_LENGTH",
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


def check_strength(password: str, username: str = "") -> None:
    """Refuse a password the policy does not allow (see the module docstring); the
    :class:`WeakPassword` message says the rule, in Chinese."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少需要 {MIN_LENGTH} 个字符，建议使用多个单词组成的短语。")
    if len(set(password)) < 4:
        raise WeakPassword("密码过于简单（重复字符），请换一个更难猜测的密码。")
    folded = password.strip().lower()
    name = username.strip().lower()
    if folded == name or (len(name) >= 3 and name in folded):
        raise WeakPassword("密码不能与用户名相同或包含用户名，请换一个密码。")
    bare = _TRAILER.sub("", folded)
    common = common_passwords()
    if folded in common or bare in common or folded.replace(" ", "") in common:
        raise WeakPassword(
            "该密码属于常见密码（或仅在常见密码后加了数字、符号），很容易被猜中，"
            "请换一个更难猜测的密码，例如由多个不相关的词组成的短语。"
        )


_TRAILER = re.compile(r"[\d\W_]+$")
"""Digits and symbols at the end: ``password1234`` is ``password`` with a suffix."""


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords the policy refuses (lower case), read once from package data."""
    data = resources.files("yinsi.security").joinpath("common_passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split("\n")) - {""}


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
