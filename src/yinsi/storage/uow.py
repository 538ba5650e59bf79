"""The SQL unit of work: one session, one transaction, explicit commit."""

from __future__ import annotations

import weakref
from types import TracebackType

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yinsi.storage.api_keys import SqlApiKeyStore
from yinsi.storage.audit import SqlAuditLog
from yinsi.storage.challenges import SqlChallengeStore
from yinsi.storage.claims import SqlRunClaimStore
from yinsi.storage.console_queries import SqlConsoleReports
from yinsi.storage.database import READ_ONLY
from yinsi.storage.deliveries import SqlDeliveryStore
from yinsi.storage.exports import SqlExportStore
from yinsi.storage.holds import SqlLegalHoldStore
from yinsi.storage.incidents import SqlIncidentStore
from yinsi.storage.ledger import SqlConsentLedger
from yinsi.storage.limits import SqlLimitStore
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.outbox import SqlOutboxStore
from yinsi.storage.plans import SqlPlanStore
from yinsi.storage.policies import SqlPolicyStore
from yinsi.storage.ports import UnitOfWork
from yinsi.storage.provisions import SqlProvisionLedger
from yinsi.storage.rights_requests import SqlRightsRequestStore
from yinsi.storage.service_end import SqlServiceEndStore
from yinsi.storage.sources import SqlSourceStore
from yinsi.storage.staff import SqlCampaignStore, SqlStaffStore
from yinsi.storage.statements import Clock, utc_now

_READERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _readers(database: Engine) -> Engine:
    """The database with the read-only execution option (made once per database)."""
    found = _READERS.get(database)
    if found is None:
        found = _READERS[database] = database.execution_options(**{READ_ONLY: True})
    return found


class SqlUnitOfWork(UnitOfWork):
    """``with SqlUnitOfWork(database) as uow: uow.ledger.append(e); uow.commit()``.

    Raises :class:`~yinsi.storage.errors.StorageNotMigrated` when the schema is not
    current. Whatever is not committed when the block ends (normally or by an exception)
    is rolled back. ``read_only`` units of work only read (decisions, key checks); on
    SQLite they do not take the write lock. ``clock`` stamps ``published_at``, ``created_at``, a request's
    ``updated_at`` and audit entries.
    """

    def __init__(
        self, database: Engine, *, clock: Clock = utc_now, read_only: bool = False
    ) -> None:
        require_up_to_date(database)
        bind = _readers(database) if read_only else database
        self._session = Session(bind, expire_on_commit=False, autoflush=False)
        self.ledger = SqlConsentLedger(self._session, clock)
        self.policies = SqlPolicyStore(self._session, clock)
        self.audit = SqlAuditLog(self._session, clock)
        self.api_keys = SqlApiKeyStore(self._session, clock, self.audit)
        self.requests = SqlRightsRequestStore(self._session, clock, self.audit)
        self.plans = SqlPlanStore(self._session)
        self.challenges = SqlChallengeStore(self._session)
        self.holds = SqlLegalHoldStore(self._session, clock, self.audit)
        self.provisions = SqlProvisionLedger(self._session, clock, self.audit)
        self.incidents = SqlIncidentStore(self._session, clock, self.audit)
        self.staff = SqlStaffStore(self._session, clock, self.audit)
        self.campaigns = SqlCampaignStore(self._session, clock, self.audit)
        self.reports = SqlConsoleReports(self._session)
        self.deliveries = SqlDeliveryStore(self._session)
        self.limits = SqlLimitStore(self._session, clock)
        self.exports = SqlExportStore(self._session, clock, self.audit)
        self.service_end = SqlServiceEndStore(self._session, clock, self.audit)
        self.sources = SqlSourceStore(self._session, clock, self.audit)
        self.claims = SqlRunClaimStore(self._session)
        self.outbox = SqlOutboxStore(self._session)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            self._session.close()

    @property
    def session(self) -> Session:
        """The ORM session of this unit of work (for adapters that add their own queries)."""
        return self._session

    def commit(self) -> None:
        self._session.commit()

    def rollback(self) -> None:
        self._session.rollback()
