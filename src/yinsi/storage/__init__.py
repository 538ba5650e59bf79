"""Storage adapter: SQLAlchemy 2 + Alembic on SQLite (embedded default) or PostgreSQL.

The domain never imports this package; it maps the domain's frozen dataclasses to its
own row classes. Typical use::

    engine = create_engine(database_url())
    upgrade(engine)                      # or `yinsi db upgrade`
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.append(event)
        uow.audit.append("cli", "consent.granted", event.app_id, event.subject_id)
        uow.commit()

Rights requests (issue 5) are reached the same way: ``uow.requests``, ``uow.plans``,
``uow.challenges``, ``uow.holds``; the lifecycle (issue 6) ``uow.provisions`` and
``uow.incidents``; the staff console (issue 7) ``uow.staff``, ``uow.campaigns`` and
``uow.reports``.
"""

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
