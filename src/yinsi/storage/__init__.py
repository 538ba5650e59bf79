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
from yinsi.storage.console_ports import (
    Campaign,
    CampaignStore,
    ConsoleReports,
    Role,
    StaffSession,
    StaffStore,
    StaffUser,
)
from yinsi.storage.engine import create_engine
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
    ApiKey,
    ApiKeyStore,
    AuditLog,
    ConsentLedger,
    PolicyStore,
    Scope,
    UnitOfWork,
)
from yinsi.storage.records import ChangeFlag, PolicyVersion
from yinsi.storage.rights_ports import (
    ChallengeStore,
    LegalHoldStore,
    PlanStore,
    RightsRequestStore,
)
from yinsi.storage.uow import SqlUnitOfWork
from yinsi.storage.url import database_url

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "AuditLog",
    "AuditLogBusy",
    "Campaign",
    "CampaignStore",
    "ChallengeStore",
    "ChangeFlag",
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
    "PolicyVersion",
    "PolicyVersionConflict",
    "ProvisionLedger",
    "RequestConflict",
    "RequestExists",
    "RequestNotFound",
    "RightsRequestStore",
    "Role",
    "Scope",
    "SqlApiKeyStore",
    "SqlAuditLog",
    "SqlUnitOfWork",
    "StaffExists",
    "StaffNotFound",
    "StaffSession",
    "StaffStore",
    "StaffUser",
    "StepNotFound",
    "StorageError",
    "StorageNotMigrated",
    "UnitOfWork",
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
