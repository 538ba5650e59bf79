"""Staff of the console: roles, accounts and sessions (issue 7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a member of staff may do in the console (checked on the server for every action)."""

    ADMIN = "admin"
    """Everything, including staff accounts and publishing policy versions."""
    OPERATOR = "operator"
    """The request queue, approve / refuse / run, legal holds, incidents."""
    AUDITOR = "auditor"
    """Reads everything and verifies the audit log; never changes anything."""

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {Role.ADMIN: "管理员", Role.OPERATOR: "运营专员", Role.AUDITOR: "审计员"}


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: str
    username: str
    role: Role
    display_name: str
    password_hash: str = field(repr=False)
    created_at: datetime
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffSession:
    id: str
    """The SHA-256 of the session token (the token itself is only in the browser's cookie)."""
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
