"""The ports of the staff console (issue 7): staff accounts and sessions, re-consent
campaigns, and the read queries of the console's pages.

Reached from a unit of work (``uow.staff``, ``uow.campaigns``, ``uow.reports``); nothing is
stored until ``uow.commit()``. Creating, disabling and locking an account, signing in and
out, and starting a campaign are audited in the same transaction, by ids only: never a
password, a hash or a session token.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from yinsi.consent.campaigns import Campaign
from yinsi.rights.holds import LegalHold
from yinsi.security.staff import Role, StaffSession, StaffUser


class StaffStore(abc.ABC):
    """Staff accounts and their sessions."""

    @abc.abstractmethod
    def add(
        self,
        username: str,
        role: Role | str,
        password_hash: str,
        *,
        display_name: str = "",
        actor: str = "cli",
    ) -> StaffUser:
        """A new account; raises :class:`~yinsi.storage.errors.StaffExists` for a taken name."""

    @abc.abstractmethod
    def get(self, user_id: str) -> StaffUser | None: ...

    @abc.abstractmethod
    def by_username(self, username: str) -> StaffUser | None: ...

    @abc.abstractmethod
    def list(self) -> builtins.list[StaffUser]:
        """Every account, disabled ones too, oldest first."""

    @abc.abstractmethod
    def disable(self, user_id: str, *, actor: str) -> StaffUser:
        """Disable the account and end its sessions (idempotent).

        Raises :class:`~yinsi.storage.errors.StaffNotFound`.
        """

    @abc.abstractmethod
    def login_failed(self, user_id: str, failures: int, locked_until: datetime | None) -> None:
        """Store the count of failures in a row; a lock (``locked_until``) is audited."""

    @abc.abstractmethod
    def logged_in(
        self, user_id: str, session: StaffSession, *, new_hash: str | None = None
    ) -> None:
        """Reset the failures, store the new session (and ``new_hash``, a rehash)."""

    @abc.abstractmethod
    def session(self, session_id: str) -> StaffSession | None:
        """The session with this id (the token's SHA-256), revoked or not."""

    @abc.abstractmethod
    def touch(self, session_id: str, at: datetime) -> None:
        """Record activity on the session (for the idle timeout)."""

    @abc.abstractmethod
    def logout(self, session_id: str, at: datetime) -> None:
        """Revoke the session (idempotent)."""


class CampaignStore(abc.ABC):
    """Re-consent campaigns; starting one is audited."""

    @abc.abstractmethod
    def start(self, app_id: str, version: str, subjects: int, *, actor: str) -> Campaign: ...

    @abc.abstractmethod
    def get(self, campaign_id: str) -> Campaign | None: ...

    @abc.abstractmethod
    def list(self, app_id: str) -> builtins.list[Campaign]:
        """The app's campaigns, newest first."""


@dataclass(frozen=True, slots=True)
class RequestTimes:
    """When a rights request was received and, once closed, when it closed."""

    kind: str
    received_at: datetime
    closed_at: datetime | None


class ConsoleReports(abc.ABC):
    """Read-only queries of the console's pages, aggregated in the database where possible."""

    @abc.abstractmethod
    def apps(self) -> builtins.list[str]:
        """The ids of the apps with a published policy version, sorted."""

    @abc.abstractmethod
    def accepted_versions(self, app_id: str) -> dict[str | None, int]:
        """Subjects by the policy version they accepted last (None: none accepted)."""

    @abc.abstractmethod
    def subjects_behind(self, app_id: str, version: str) -> Iterator[str]:
        """Subjects who accepted an earlier version than ``version`` and not ``version``
        (the new version applies to them once they accept it, X02), sorted."""

    @abc.abstractmethod
    def granted_sets(self, app_id: str) -> builtins.list[tuple[frozenset[str], int]]:
        """How many subjects hold each distinct set of granted consent items."""

    @abc.abstractmethod
    def request_times(self, app_id: str, since: datetime) -> builtins.list[RequestTimes]:
        """Requests received since ``since``, each with the time it closed (if it did)."""

    @abc.abstractmethod
    def holds(self, app_id: str, *, released: bool = False) -> builtins.list[LegalHold]:
        """The app's legal holds not released (with ``released``, all), newest first."""
