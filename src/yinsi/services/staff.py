"""``StaffService``: the console's accounts — add, list, disable — and signing in and out.

A login checks the Argon2id hash (rehashing it when the parameters changed) and opens a
session. Failures are throttled per user name *and* client address, and per client
address (``limits.login_*`` settings: by default 5 failures of one name from one address,
or 20 from one address, in 15 minutes make that pair, or that address, wait out the
window). An account is never locked as such: an attacker failing on ``admin`` from one
address does not stop ``admin`` signing in from another. Unknown names are answered
exactly like wrong passwords — same text, same status, same throttling, and the same
work (a verification against a decoy Argon2 hash) — so names cannot be enumerated. The session token (32 random bytes) lives only in the
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
    check_strength,
    hash_password,
    needs_rehash,
    verify_nothing,
    verify_password,
)
from yinsi.security.staff import Role, StaffSession, StaffUser
from yinsi.services.clock import Clock, utc_now
from yinsi.services.code_limits import wait_text
from yinsi.settings.limits import LimitSettings
from yinsi.storage import UnitOfWork, UnitsOfWork

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

DEPLOYMENT = "*"
"""The audit log's app id for deployment-wide entries (as the storage's)."""
WRONG = "用户名或密码错误。"
DISABLED = "该账号已停用，请联系管理员。"


def session_id(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    """Wrong name or password, too many failures (429, ``retry_after`` seconds), a disabled
    account; ``str()`` is the Chinese text."""

    def __init__(self, message: str, status_code: int, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


def _waiting(seconds: int) -> LoginRefused:
    return LoginRefused(
        f"登录失败次数过多，请 {wait_text(seconds)}后再试；如忘记密码，请联系管理员重置。",
        429,
        seconds,
    )


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
        limits: LimitSettings | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._limits = limits or LimitSettings()

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
        check_strength(password, username)
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

    def login(self, username: str, password: str, *, client: str = "") -> SignedIn:
        """Open a session, or raise :class:`LoginRefused` (401 wrong name or password, 429
        too many failures from ``client`` — the client's address — 403 disabled)."""
        now = self._clock()
        keys = _throttle_keys(username, client)
        window = timedelta(seconds=self._limits.login_window_seconds)
        with self._units() as uow:
            wait = self._wait(uow, keys, now, window)
            user = uow.staff.by_username(username)
            if wait is not None or user is None:
                verify_nothing(password)  # as slow as a known name: names are not revealed
            if wait is not None:
                raise _waiting(wait)
            if user is None or not verify_password(user.password_hash, password):
                blocked = self._failed(uow, keys, now, window, None if user is None else user.id)
                uow.commit()
                if blocked:
                    raise _waiting(int(window.total_seconds()))
                raise LoginRefused(WRONG, 401)
            if user.disabled:
                raise LoginRefused(DISABLED, 403)
            uow.limits.clear(keys[0])
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

    def _caps(self) -> tuple[int, int]:
        limits = self._limits
        return limits.login_failures_per_account_address, limits.login_failures_per_address

    def _wait(
        self, uow: UnitOfWork, keys: tuple[str, str], now: datetime, window: timedelta
    ) -> int | None:
        """Seconds to wait when the name from this address, or the address, is blocked."""
        waits = []
        for key, cap in zip(keys, self._caps(), strict=True):
            failures, ends = uow.limits.failures(key, now, window)
            if failures >= cap:
                waits.append(max(int((ends - now).total_seconds() + 0.999), 1))
        return max(waits) if waits else None

    def _failed(
        self,
        uow: UnitOfWork,
        keys: tuple[str, str],
        now: datetime,
        window: timedelta,
        staff_id: str | None,
    ) -> bool:
        """Count a failure on both keys; whether one is blocked now (audited when it starts)."""
        blocked = False
        for key, cap, scope in zip(keys, self._caps(), ("account_address", "address"), strict=True):
            if uow.limits.fail(key, now, window) == cap:
                details: dict[str, str] = {"scope": scope}
                if staff_id is not None:
                    details["staff_id"] = staff_id
                uow.audit.append("console", "staff.login_throttled", DEPLOYMENT, details=details)
            blocked = blocked or uow.limits.failures(key, now, window)[0] >= cap
        return blocked

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


def _throttle_keys(username: str, client: str) -> tuple[str, str]:
    """The counters of a login: the name from this address, and the address (hashed)."""
    name = username.strip().lower()
    pair = hashlib.sha256(f"{name}\n{client}".encode()).hexdigest()[:40]
    address = hashlib.sha256(client.encode()).hexdigest()[:40]
    return f"login:pair:{pair}", f"login:address:{address}"


def _live(session: StaffSession, now: datetime) -> bool:
    return (
        session.revoked_at is None
        and now < session.expires_at
        and now - session.last_seen_at <= IDLE
    )
