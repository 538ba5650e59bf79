"""Storage adapter: SQLAlchemy 2 + Alembic on SQLite (embedded default) or PostgreSQL.

The domain never imports this package; it maps the domain's frozen dataclasses to its
own row classes. Typical use::

    database = create_engine(database_url())
    upgrade(database)                      # or `yinsi db upgrade`
    with SqlUnitOfWork(database) as uow:
        uow.ledger.append(event)
        uow.audit.append("cli", "consent.granted", event.app_id, event.subject_id)
        uow.commit()

Rights requests (issue 5) are reached the same way: ``uow.requests``, ``uow.plans``,
``uow.challenges``, ``uow.holds``; the lifecycle (issue 6) ``uow.provisions`` and
``uow.incidents``; the staff console (issue 7) ``uow.staff``, ``uow.campaigns`` and
``uow.reports``.

Every name is imported on first use (:mod:`yinsi._lazy`): SQLAlchemy and Alembic load
only when something here is used.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.storage import queries
    from yinsi.storage.api_keys import SqlApiKeyStore
    from yinsi.storage.audit import SqlAuditLog
    from yinsi.storage.console_ports import CampaignStore, ConsoleReports, StaffStore
    from yinsi.storage.database import create_engine
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
    )
    from yinsi.storage.lifecycle_ports import IncidentStore, ProvisionLedger
    from yinsi.storage.migrate import (
        current_revision,
        head_revision,
        is_up_to_date,
        require_up_to_date,
        upgrade,
    )
    from yinsi.storage.policies import content_sha256
    from yinsi.storage.ports import (
        ApiKeyStore,
        AuditLog,
        ConsentLedger,
        PolicyStore,
        UnitOfWork,
        UnitsOfWork,
    )
    from yinsi.storage.rights_ports import (
        ChallengeStore,
        LegalHoldStore,
        PlanStore,
        RightsRequestStore,
    )
    from yinsi.storage.uow import SqlUnitOfWork
    from yinsi.storage.url import database_url
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "queries": ("queries",),
            "api_keys": ("SqlApiKeyStore",),
            "audit": ("SqlAuditLog",),
            "console_ports": (
                "CampaignStore",
                "ConsoleReports",
                "StaffStore",
            ),
            "database": ("create_engine",),
            "errors": (
                "AuditLogBusy",
                "EventAlreadyStored",
                "HoldExists",
                "HoldNotFound",
                "IncidentExists",
                "IncidentNotFound",
                "LedgerBusy",
                "NaiveTimestamp",
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
            ),
            "lifecycle_ports": (
                "IncidentStore",
                "ProvisionLedger",
            ),
            "migrate": (
                "current_revision",
                "head_revision",
                "is_up_to_date",
                "require_up_to_date",
                "upgrade",
            ),
            "policies": ("content_sha256",),
            "ports": (
                "ApiKeyStore",
                "AuditLog",
                "ConsentLedger",
                "PolicyStore",
                "UnitOfWork",
                "UnitsOfWork",
            ),
            "rights_ports": (
                "ChallengeStore",
                "LegalHoldStore",
                "PlanStore",
                "RightsRequestStore",
            ),
            "uow": ("SqlUnitOfWork",),
            "url": ("database_url",),
        },
    )

__all__ = [
    "ApiKeyStore",
    "AuditLog",
    "AuditLogBusy",
    "CampaignStore",
    "ChallengeStore",
    "ConsentLedger",
    "ConsoleReports",
    "EventAlreadyStored",
    "HoldExists",
    "HoldNotFound",
    "IncidentExists",
    "IncidentNotFound",
    "IncidentStore",
    "LedgerBusy",
    "LegalHoldStore",
    "NaiveTimestamp",
    "PlanExists",
    "PlanStore",
    "PolicyAppMismatch",
    "PolicyStore",
    "PolicyVersionConflict",
    "ProvisionLedger",
    "RequestConflict",
    "RequestExists",
    "RequestNotFound",
    "RightsRequestStore",
    "SqlApiKeyStore",
    "SqlAuditLog",
    "SqlUnitOfWork",
    "StaffExists",
    "StaffNotFound",
    "StaffStore",
    "StepNotFound",
    "StorageError",
    "StorageNotMigrated",
    "UnitOfWork",
    "UnitsOfWork",
    "content_sha256",
    "create_engine",
    "current_revision",
    "database_url",
    "head_revision",
    "is_up_to_date",
    "queries",
    "require_up_to_date",
    "upgrade",
]
