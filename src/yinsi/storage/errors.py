"""Every error the storage adapter raises; each message says what is wrong and what to do.

::

    StorageError
    ├── StorageNotMigrated       the schema is missing or older than this yinsi
    ├── PolicyVersionConflict    a published version re-published with other content
    ├── PolicyAppMismatch        a declaration published under another app's id
    ├── EventAlreadyStored       an event that already carries a ledger seq appended again
    ├── NaiveTimestamp           a datetime without a timezone (also a ValueError)
    ├── LedgerBusy               an append still conflicting after bounded retries
    └── AuditLogBusy             an audit append still conflicting after bounded retries
"""

from __future__ import annotations


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
