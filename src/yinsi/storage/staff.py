"""Staff accounts and sessions on SQL, and re-consent campaigns; every change is audited.

Audit entries go under the deployment-wide app id ``*`` (campaigns under their app) and
name accounts and sessions by id only: never a user name, a password, its hash or a
session token.
"""

from __future__ import annotations

import builtins
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yinsi.consent.campaigns import Campaign
from yinsi.security.staff import Role, StaffSession, StaffUser
from yinsi.storage.api_keys import DEPLOYMENT
from yinsi.storage.console_ports import CampaignStore, StaffStore
from yinsi.storage.console_tables import ConsentCampaignRow, StaffSessionRow, StaffUserRow
from yinsi.storage.errors import StaffExists, StaffNotFound
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, ensure_app


class SqlStaffStore(StaffStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def add(
        self,
        username: str,
        role: Role | str,
        password_hash: str,
        *,
        display_name: str = "",
        actor: str = "cli",
    ) -> StaffUser:
        granted = Role(role)  # ValueError names an unknown role
        name = username.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise ValueError(f"user name {username!r}: 1 to 64 characters, no spaces")
        if self.by_username(name) is not None:
            raise StaffExists(name)
        row = StaffUserRow(
            id=f"staff_{secrets.token_hex(8)}",
            username=name,
            password_hash=password_hash,
            role=granted.value,
            display_name=display_name.strip() or name,
            disabled=False,
            failed_logins=0,
            locked_until=None,
            created_at=self._clock(),
            created_by=actor,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError as exc:  # a concurrent add of the same name won
            raise StaffExists(name) from exc
        self._audit.append(
            actor, "staff.created", DEPLOYMENT, details={"staff_id": row.id, "role": row.role}
        )
        return _user(row)

    def get(self, user_id: str) -> StaffUser | None:
        row = self._session.get(StaffUserRow, user_id, populate_existing=True)
        return None if row is None else _user(row)

    def by_username(self, username: str) -> StaffUser | None:
        row = self._session.scalars(
            select(StaffUserRow).where(StaffUserRow.username == username.strip())
        ).one_or_none()
        return None if row is None else _user(row)

    def list(self) -> builtins.list[StaffUser]:
        rows = self._session.scalars(
            select(StaffUserRow).order_by(StaffUserRow.created_at, StaffUserRow.id)
        )
        return [_user(r) for r in rows]

    def disable(self, user_id: str, *, actor: str) -> StaffUser:
        row = self._row(user_id)
        if not row.disabled:
            row.disabled = True
            self._session.execute(
                update(StaffSessionRow)
                .where(StaffSessionRow.user_id == user_id, StaffSessionRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            self._session.flush()
            self._audit.append(actor, "staff.disabled", DEPLOYMENT, details={"staff_id": user_id})
        return _user(row)

    def login_failed(self, user_id: str, failures: int, locked_until: datetime | None) -> None:
        row = self._row(user_id)
        row.failed_logins = failures
        if locked_until is not None:
            until = utc(locked_until, f"the lock of staff account {user_id}")
            row.locked_until = until
            self._audit.append(
                "console",
                "staff.locked",
                DEPLOYMENT,
                details={"staff_id": user_id, "until": until.isoformat()},
            )
        self._session.flush()

    def logged_in(
        self, user_id: str, session: StaffSession, *, new_hash: str | None = None
    ) -> None:
        row = self._row(user_id)
        row.failed_logins = 0
        row.locked_until = None
        if new_hash is not None:
            row.password_hash = new_hash
        self._session.add(
            StaffSessionRow(
                id=session.id,
                user_id=user_id,
                created_at=utc(session.created_at, "a session's creation time"),
                last_seen_at=utc(session.last_seen_at, "a session's last activity"),
                expires_at=utc(session.expires_at, "a session's end"),
                revoked_at=None,
            )
        )
        self._session.flush()
        self._audit.append(
            user_id,
            "staff.login",
            DEPLOYMENT,
            details={"staff_id": user_id, "rehashed": new_hash is not None},
        )

    def session(self, session_id: str) -> StaffSession | None:
        row = self._session.get(StaffSessionRow, session_id, populate_existing=True)
        return None if row is None else _session_of(row)

    def touch(self, session_id: str, at: datetime) -> None:
        self._session.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.id == session_id)
            .values(last_seen_at=utc(at, "a session's last activity"))
        )

    def logout(self, session_id: str, at: datetime) -> None:
        row = self._session.get(StaffSessionRow, session_id)
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = utc(at, "a session's end")
        self._session.flush()
        self._audit.append(
            row.user_id, "staff.logout", DEPLOYMENT, details={"staff_id": row.user_id}
        )

    def _row(self, user_id: str) -> StaffUserRow:
        row = self._session.get(StaffUserRow, user_id, populate_existing=True)
        if row is None:
            raise StaffNotFound(user_id)
        return row


class SqlCampaignStore(CampaignStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def start(self, app_id: str, version: str, subjects: int, *, actor: str) -> Campaign:
        ensure_app(self._session, app_id, self._clock)
        row = ConsentCampaignRow(
            id=f"camp_{secrets.token_hex(8)}",
            app_id=app_id,
            version=version,
            subjects=subjects,
            started_at=self._clock(),
            started_by=actor,
        )
        self._session.add(row)
        self._session.flush()
        self._audit.append(
            actor,
            "consent.campaign_started",
            app_id,
            details={"campaign_id": row.id, "version": version, "subjects": subjects},
        )
        return _campaign(row)

    def get(self, campaign_id: str) -> Campaign | None:
        row = self._session.get(ConsentCampaignRow, campaign_id)
        return None if row is None else _campaign(row)

    def list(self, app_id: str) -> builtins.list[Campaign]:
        rows = self._session.scalars(
            select(ConsentCampaignRow)
            .where(ConsentCampaignRow.app_id == app_id)
            .order_by(ConsentCampaignRow.started_at.desc(), ConsentCampaignRow.id)
        )
        return [_campaign(r) for r in rows]


def _user(row: StaffUserRow) -> StaffUser:
    return StaffUser(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        display_name=row.display_name,
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled=row.disabled,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
    )


def _session_of(row: StaffSessionRow) -> StaffSession:
    return StaffSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _campaign(row: ConsentCampaignRow) -> Campaign:
    return Campaign(
        id=row.id,
        app_id=row.app_id,
        version=row.version,
        subjects=row.subjects,
        started_at=row.started_at,
        started_by=row.started_by,
    )
