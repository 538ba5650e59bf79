"""Every error the storage adapter raises; each message says what is wrong and what to do.

::

    StorageError
    ├── StorageNotMigrated       the schema is missing or older than this yinsi
    ├── PolicyVersionConflict    a published version re-published with other content
    ├── PolicyAppMismatch        a declaration published under another app's id
    ├── EventAlreadyStored       an event that already carries a ledger seq appended again
    ├── NaiveTimestamp           a datetime without a timezone (also a ValueError)
    ├── LedgerBusy               an append still conflicting after bounded retries
    ├── AuditLogBusy             an audit append still conflicting after bounded retries
    ├── RequestNotFound          no rights request with that id
    ├── RequestExists            a rights request added twice
    ├── RequestConflict          a rights request changed by someone else since it was read
    ├── PlanExists               a second plan for a request that has one
    ├── StepNotFound             a plan step that was never stored
    ├── HoldNotFound             no legal hold with that id
    ├── HoldExists               a legal hold added twice
    ├── IncidentNotFound         no incident with that id
    ├── IncidentExists           an incident opened twice
    ├── StaffNotFound            no staff account with that id or name
    └── StaffExists              a staff user name taken twice
"""

from __future__ import annotations

import sys


class StorageError(Exception):
    """Base of every storage error."""


class StorageNotMigrated(StorageError):
    def __init__(self, current: str | None, head: str) -> None:
        found = (
            "is empty (never migrated)" if current is None else f"is at schema revision {current}"
        )
        super().__init__(
            f"the database {found}, but this yinsi needs revision {head}; "
            "run `yinsi db upgrade` (or yinsi.storage.upgrade(url)) and retry"
        )
        self.current = current
        self.head = head


class PolicyVersionConflict(StorageError):
    def __init__(self, app_id: str, version: str, stored_sha256: str, new_sha256: str) -> None:
        super().__init__(
            f"policy version {version!r} of app {app_id!r} is already published with other "
            f"content (sha256 {stored_sha256[:12]}…, now {new_sha256[:12]}…); published "
            "versions are immutable (X01): raise policy.version in the declaration and "
            "publish again"
        )
        self.app_id = app_id
        self.version = version


class PolicyAppMismatch(StorageError):
    def __init__(self, app_id: str, declared: str) -> None:
        super().__init__(
            f"the declaration is for app {declared!r}, not {app_id!r}; publish it under "
            f"{declared!r} or fix app.id in the declaration"
        )


class EventAlreadyStored(StorageError):
    def __init__(self, seq: int) -> None:
        super().__init__(
            f"the event already has ledger seq {seq}, so it was stored before; append a new "
            "event with seq=None (the store assigns it)"
        )


class NaiveTimestamp(StorageError, ValueError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} has no timezone; pass a timezone-aware datetime, e.g. datetime.now(UTC)"
        )


class LedgerBusy(StorageError):
    def __init__(self, app_id: str, subject_id: str, attempts: int) -> None:
        super().__init__(
            f"appending to the ledger of subject {subject_id!r} (app {app_id!r}) still "
            f"conflicted after {attempts} attempts; retry the request later"
        )


class AuditLogBusy(StorageError):
    def __init__(self, action: str, attempts: int) -> None:
        super().__init__(
            f"appending {action!r} to the audit log still conflicted after {attempts} "
            "attempts; retry the request later"
        )


class RequestNotFound(StorageError, LookupError):
    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"there is no rights request {request_id!r}; check the id (it looks like "
            "req_<hex>) or list the app's requests"
        )
        self.request_id = request_id


class RequestExists(StorageError):
    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"rights request {request_id!r} is already stored; add a new request under a new "
            "id, or change this one with requests.save()"
        )
        self.request_id = request_id


class RequestConflict(StorageError):
    def __init__(self, request_id: str, status: str, transitions: int) -> None:
        super().__init__(
            f"rights request {request_id!r} was changed by someone else since it was read "
            f"(it is now {status} after {transitions} transitions); reload it with "
            "requests.get() and retry"
        )
        self.request_id = request_id
        self.status = status
        self.transitions = transitions


class PlanExists(StorageError):
    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"rights request {request_id!r} already has an execution plan; a plan is made "
            "once: resume it with plans.steps() instead of saving a new one"
        )
        self.request_id = request_id


class StepNotFound(StorageError, LookupError):
    def __init__(self, request_id: str, n: int) -> None:
        super().__init__(
            f"rights request {request_id!r} has no plan step {n}; save the plan with "
            "plans.save() before updating its steps"
        )
        self.request_id = request_id
        self.n = n


class HoldNotFound(StorageError, LookupError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(
            f"there is no legal hold {hold_id!r}; check the id against holds.active() of "
            "the subject"
        )
        self.hold_id = hold_id


class HoldExists(StorageError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(
            f"legal hold {hold_id!r} is already stored; add a new hold under a new id, or "
            "release this one with holds.release()"
        )
        self.hold_id = hold_id


class IncidentNotFound(StorageError, LookupError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(
            f"there is no incident {incident_id!r}; check the id with `yinsi incident show`"
        )
        self.incident_id = incident_id


class IncidentExists(StorageError):
    def __init__(self, incident_id: str) -> None:
        super().__init__(
            f"incident {incident_id!r} is already stored; open a new incident under a new id, "
            "or change this one with incidents.update()"
        )
        self.incident_id = incident_id


class StaffNotFound(StorageError, LookupError):
    def __init__(self, who: str) -> None:
        super().__init__(
            f"there is no staff account {who!r}; `yinsi staff list` shows the accounts"
        )
        self.who = who


class StaffExists(StorageError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"the staff user name {username!r} is taken; choose another name (user names "
            "are never reused, even of disabled accounts)"
        )
        self.username = username


_DRIVERS = ("psycopg", "psycopg2", "pymysql", "MySQLdb", "mariadb", "sqlite3")


def unavailable_errors() -> tuple[type[Exception], ...]:
    """The exception types that may mean the database is unavailable: SQLAlchemy's
    ``OperationalError``, pool ``TimeoutError`` and ``DBAPIError``, and the
    ``OperationalError`` of each DB-API driver already loaded (the hot reads run on the
    driver's cursor, so its errors arrive unwrapped; PEP 249 gives them no common base and
    nothing is imported here). :func:`is_unavailable` tells which instances are."""
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    found: list[type[Exception]] = [OperationalError, PoolTimeout, DBAPIError]
    for name in _DRIVERS:
        module = sys.modules.get(name)
        error = getattr(module, "OperationalError", None) if module is not None else None
        if isinstance(error, type) and issubclass(error, Exception):
            found.append(error)
    return tuple(found)


def is_unavailable(exc: BaseException) -> bool:
    """A timeout, a lost connection or an exhausted pool (answer 503 and retry), not a
    programming or data error (a 500)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError)
    return True  # pool TimeoutError, a driver's OperationalError
