"""Signing staff in and out: the login use case, sessions with an idle timeout.

A login checks the Argon2id hash (rehashing it when the parameters changed), counts
failures (:class:`~yinsi.security.passwords.Throttle`: 5 in a row lock the account for 15
minutes) and opens a session. The session token (32 random bytes) lives only in the
browser's cookie; the database keeps its SHA-256. A session ends on logout, after
:data:`IDLE` without a request, or :data:`LIFETIME` after login, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from yinsi.security.passwords import (
    Throttle,
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from yinsi.security.staff import StaffSession, StaffUser
from yinsi.storage import UnitOfWork

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""Activity is written at most this often (not on every request)."""

WRONG = "用户名或密码错误。"
DISABLED = "该账号已停用，请联系管理员。"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def session_id(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    """Wrong name or password, a locked or disabled account; ``str()`` is the Chinese text."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: StaffUser
    session: StaffSession
    token: str
    """For the cookie; never stored."""


class Accounts:
    """The login use case over a unit-of-work factory."""

    def __init__(
        self,
        units: Callable[[], UnitOfWork],
        *,
        clock: Clock = _utc_now,
        throttle: Throttle | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._throttle = throttle or Throttle()

    def login(self, username: str, password: str) -> SignedIn:
        """Open a session, or raise :class:`LoginRefused` (401 wrong, 429 locked, 403 disabled)."""
        now = self._clock()
        with self._units() as uow:
            user = uow.staff.by_username(username)
            if user is None:
                verify_nothing(password)  # as slow as a known name: names are not revealed
                raise LoginRefused(WRONG, 401)
            if user.locked_until is not None and Throttle.locked(user.locked_until, now):
                raise LoginRefused(Throttle.message(user.locked_until), 429)
            if not verify_password(user.password_hash, password):
                failures, until = self._throttle.after_failure(user.failed_logins, now)
                uow.staff.login_failed(user.id, failures, until)
                uow.commit()
                if until is not None:
                    raise LoginRefused(Throttle.message(until), 429)
                raise LoginRefused(WRONG, 401)
            if user.disabled:
                raise LoginRefused(DISABLED, 403)
            token = secrets.token_urlsafe(32)
            session = StaffSession(
                id=session_id(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + LIFETIME,
            )
            rehash = hash_password(password) if needs_rehash(user.password_hash) else None
            uow.staff.logged_in(user.id, session, new_hash=rehash)
            uow.commit()
        return SignedIn(user, session, token)

    def resume(self, token: str) -> tuple[StaffUser, StaffSession] | None:
        """The user and session of a cookie's token, or None if it ended (or never was)."""
        now = self._clock()
        with self._units() as uow:
            session = uow.staff.session(session_id(token))
            if session is None or not _live(session, now):
                return None
            user = uow.staff.get(session.user_id)
            if user is None or user.disabled:
                return None
            if now - session.last_seen_at >= TOUCH_EVERY:
                uow.staff.touch(session.id, now)
                uow.commit()
        return user, session

    def logout(self, session: str) -> None:
        with self._units() as uow:
            uow.staff.logout(session, self._clock())
            uow.commit()


def _live(session: StaffSession, now: datetime) -> bool:
    return (
        session.revoked_at is None
        and now < session.expires_at
        and now - session.last_seen_at <= IDLE
    )
