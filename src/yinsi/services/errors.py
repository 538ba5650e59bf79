"""The errors a service call may raise besides the domain's own, for entry points to map.

They are raised by the storage adapter; entry points import them from here, never from
:mod:`yinsi.storage`, so that they depend on the service layer alone.
"""

from yinsi.services.root import NoDataMap
from yinsi.storage.errors import (
    AuditLogBusy,
    EventAlreadyStored,
    HoldExists,
    HoldNotFound,
    IncidentExists,
    IncidentNotFound,
    LedgerBusy,
    NaiveTimestamp,
    PlanExists,
    PolicyAppMismatch,
    PolicyVersionConflict,
    RequestConflict,
    RequestExists,
    RequestNotFound,
    StaffExists,
    StaffNotFound,
    StepNotFound,
    StorageError,
    StorageNotMigrated,
    is_unavailable,
    unavailable_errors,
)

__all__ = [
    "AuditLogBusy",
    "EventAlreadyStored",
    "HoldExists",
    "HoldNotFound",
    "IncidentExists",
    "IncidentNotFound",
    "LedgerBusy",
    "NaiveTimestamp",
    "NoDataMap",
    "PlanExists",
    "PolicyAppMismatch",
    "PolicyVersionConflict",
    "RequestConflict",
    "RequestExists",
    "RequestNotFound",
    "StaffExists",
    "StaffNotFound",
    "StepNotFound",
    "StorageError",
    "StorageNotMigrated",
    "is_unavailable",
    "unavailable_errors",
]
