"""``StaffService``: the console's accounts — add, list, disable — and signing in and out.

A login checks the Argon2id hash (rehashing it when the parameters changed), counts
failures (:class:`~yinsi.security.passwords.Throttle`: 5 in a row lock the account for 15
minutes) and opens a session. The session token (32 random bytes) lives only in the
browser's cookie; the database keeps its SHA-256. A session ends on logout, after
:data:`IDLE` without a request, or :data:`LIFETIME` after login, whichever comes first.

The console (``/console/login``, ``/console/staff``) and ``yinsi staff`` both go through
this service; creating, disabling, locking, signing in and out are audited by the storage
adapter in the same transaction, by ids only (never a password, a hash or a token).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from yinsi.security.passwords import (
    Throttle,
    check_strength,
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from yinsi.security.staff import Role, StaffSession, StaffUser
from yinsi.services.clock import Clock, utc_now
from yinsi.storage import UnitsOfWork

__all__ = [
    "IDLE",
    "LIFETIME",
    "TOUCH_EVERY",
    "LoginRefused",
    "SelfDisable",
    "SignedIn",
    "StaffService",
    "session_id",
]

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""Activity is written at most this often (not on every request)."""

WRONG = "用户名或密码错误。"
DISABLED = "该账号已停用，请联系管理员。"


def session_id(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    """Wrong name or password, a locked or disabled account; ``str()`` is the Chinese text."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class SelfDisable(ValueError):
    """An admin asked to disable their own account: someone must be left to manage the others."""

    def __init__(self) -> None:
        super().__init__("不能停用自己的账号，请由另一位管理员操作。")


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: StaffUser
    session: StaffSession
    token: str
    """For the cookie; never stored."""


class StaffService:
    """Staff accounts and their sessions over a unit-of-work factory."""

    def __init__(
        self,
        units: UnitsOfWork,
        *,
        clock: Clock = utc_now,
        throttle: Throttle | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._throttle = throttle or Throttle()

    # ------------------------------------------------------------ accounts

    def add(
        self,
        username: str,
        role: Role | str,
        password: str,
        *,
        display_name: str = "",
        actor: str = "cli",
    ) -> StaffUser:
        """A new account with ``password`` stored as an Argon2id hash.

        Raises ``WeakPassword`` (the rule, in Chinese) before anything is hashed or stored,
        ``StaffExists`` for a taken name and ``ValueError`` for a malformed name or role.
        """
        check_strength(password)
        hashed = hash_password(password)
        with self._units() as uow:
            user = uow.staff.add(username, role, hashed, display_name=display_name, actor=actor)
            uow.commit()
        return user

    def list(self) -> list[StaffUser]:
        """Every account, disabled ones too, oldest first."""
        with self._units(read_only=True) as uow:
            return uow.staff.list()

    def disable(self, user_id: str, *, actor: str) -> StaffUser:
        """Disable the account and end its sessions (idempotent).

        Raises :class:`SelfDisable` when ``actor`` is the account itself and
        ``StaffNotFound`` for an unknown id.
        """
        if user_id == actor:
            raise SelfDisable
        with self._units() as uow:
            user = uow.staff.disable(user_id, actor=actor)
            uow.commit()
        return user

    def disable_named(self, username: str, *, actor: str) -> StaffUser | None:
        """:meth:`disable` by login name; None when there is no such account."""
        with self._units() as uow:
            user = uow.staff.by_username(username)
            if user is None:
                return None
            if user.id == actor:
                raise SelfDisable
            uow.staff.disable(user.id, actor=actor)
            uow.commit()
        return user

    # ------------------------------------------------------------ sessions

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
        """Revoke the session with id ``session`` (idempotent)."""
        with self._units() as uow:
            uow.staff.logout(session, self._clock())
            uow.commit()


def _live(session: StaffSession, now: datetime) -> bool:
    return (
        session.revoked_at is None
        and now < session.expires_at
        and now - session.last_seen_at <= IDLE
    )
