"""The composition root: every service of one process, on one database pool.

An entry point (a CLI command, ``yinsi serve``, a worker) opens :class:`Services` once,
uses the services it needs and closes it once::

    with Services.open(url, data_map="datamap.yaml", actor="cli") as services:
        services.rights.submit("u1", "access")

``Services.open`` creates the connection pool of yinsi's database and refuses one that is
not migrated; with a data map it loads the map, checks it against the app's published
declaration and wires the connectors of its stores (connected on first use, ``${VAR}``
URLs expanded from ``environ``). Services are built on first use and share the pool, the
data map and the connectors; nothing else in yinsi creates either.
"""

# long: one cached property per service, each a few lines; splitting the root would
# scatter the one place where the process's services are wired together.
from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypedDict, TypeVar, Unpack

from yinsi.connectors import Connectors
from yinsi.declaration import DeclarationError
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import load_data_map, read_data_map
from yinsi.declaration.yaml_limits import YamlLimits
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent import Engine
from yinsi.services.consent_cache import ConsentStateCache, state_cache
from yinsi.settings import Settings
from yinsi.storage import SqlUnitOfWork, UnitOfWork, create_engine, database_url
from yinsi.storage.database import Timeouts
from yinsi.storage.lifecycle_ports import ProvisionUnit
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.provision_writes import joined_provision_unit, provision_unit

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine as SqlEngine

    from yinsi.delivery import SmsSender
    from yinsi.services.api_keys import ApiKeyService
    from yinsi.services.audit import AuditService
    from yinsi.services.campaigns import CampaignService
    from yinsi.services.delivery import DeliveryService
    from yinsi.services.delivery_retry import DeliveryOutbox
    from yinsi.services.exports import ExportService
    from yinsi.services.incidents import IncidentService
    from yinsi.services.jobs import JobQueue
    from yinsi.services.privacy_links import PrivacyLinkService
    from yinsi.services.reports import ReportsService
    from yinsi.services.retention import RetentionService
    from yinsi.services.rights import RightsService
    from yinsi.services.rights_jobs import RequestRuns
    from yinsi.services.service_end import ServiceEndService
    from yinsi.services.sharing import SharingService
    from yinsi.services.sourcing import SourcingService
    from yinsi.services.staff import StaffService

__all__ = ["NoDataMap", "Options", "Services", "erasure_key"]

T = TypeVar("T")


class NoDataMap(RuntimeError):
    """A service that acts on the app's stores was asked for without a data map."""

    def __init__(self, service: str) -> None:
        super().__init__(
            f"{service} needs the app's data map: pass --map FILE (or set YINSI_DATA_MAP)"
        )
        self.service = service


def erasure_key(environ: Mapping[str, str], path: Path) -> bytes:
    """The key of keyed-hash erasure: ``YINSI_ERASURE_KEY`` (base64), else a random
    key file made on first use with mode 0600 (the embedded default)."""
    text = environ.get("YINSI_ERASURE_KEY")
    if text:
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError as exc:
            raise ValueError(
                "YINSI_ERASURE_KEY is not base64; make one with `openssl rand -base64 32`"
            ) from exc
        if len(key) < 16:
            raise ValueError("YINSI_ERASURE_KEY must hold at least 16 bytes (32 recommended)")
        return key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


class Options(TypedDict, total=False):
    """How a root's services behave; every key is optional."""

    actor: str
    """Who the audit log names for the services' writes: ``cli`` (default), ``api``, …"""
    clock: Clock
    """Stamps every write; must return timezone-aware datetimes (default: UTC now)."""
    sms: SmsSender | None
    """Replaces the SMS sender the settings configure (tests capture codes with it)."""
    hash_key: bytes | None
    """Keys keyed-hash erasure (default: ``YINSI_ERASURE_KEY``, else a key file)."""
    export_dir: Path | None
    """Where access exports are written (default: ``settings.exports.folder``, else
    ``$YINSI_HOME/exports``)."""
    settings: Settings
    """The process's settings (default: :func:`~yinsi.settings.load_settings` defaults)."""


class Services:
    """The services of one process on one database (see the module docstring).

    Build it with :meth:`open`; the constructor takes what :meth:`open` made, for tests
    that bring their own connectors or clock. ``actor`` names the writer in the audit log
    (``cli``, ``api``, a worker's name).
    """

    def __init__(
        self,
        database: SqlEngine,
        *,
        data_map: DataMap | None = None,
        connectors: Connectors | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Unpack[Options],
    ) -> None:
        self.database = database
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.data_map = data_map
        self.connectors = connectors
        self.actor = options.get("actor", "cli")
        self.clock = options.get("clock", utc_now)
        self.home = Path(self.environ.get("YINSI_HOME", ".yinsi"))
        self._sms = options.get("sms")
        self._hash_key = options.get("hash_key")
        self._export_dir = options.get("export_dir")
        self.settings = options.get("settings") or Settings()

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        data_map: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Unpack[Options],
    ) -> Services:
        """Open yinsi's database at ``url`` (None: ``YINSI_DATABASE_URL``, else the
        embedded SQLite file) and, with ``data_map``, the app's stores.

        Raises ``StorageNotMigrated`` for a database ``yinsi db upgrade`` has not migrated,
        ``DeclarationError`` for a data map with problems (each with FILE:LINE) and
        ``UnknownName`` when its app has published no declaration yet.
        """
        env = os.environ if environ is None else environ
        database = create_engine(
            database_url(env) if url is None else url, timeouts=_timeouts(options)
        )
        try:
            require_up_to_date(database)
            services = cls(database, environ=env, **options)
            if data_map is not None:
                services.data_map = services.load_data_map(data_map)
                services.connectors = Connectors(services.data_map, environ=env)
            return services
        except BaseException:
            database.dispose()
            raise

    def load_data_map(self, path: str | Path) -> DataMap:
        """The data map at ``path``, checked against its app's published declaration."""
        raw, problems = read_data_map(path)
        if raw is None:
            raise DeclarationError(problems)
        return load_data_map(path, self.consent.declaration(raw.app))

    # ------------------------------------------------------------ shared pieces

    def units(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work on the shared pool (for services; entry points call services)."""
        return SqlUnitOfWork(self.database, clock=self.clock, read_only=read_only)

    def provision_units(self) -> ProvisionUnit:
        """The sharing gate's transaction (state read under lock, provision stored)."""
        return provision_unit(self.database, self.clock)

    def joined_provision_units(self, connection: object) -> ProvisionUnit:
        """The sharing gate's transaction inside the caller's, on ``connection`` to yinsi's
        own SQLite file (``SharingService.provide(within=…)``)."""
        return joined_provision_unit(self.database, self.clock, connection)

    @cached_property
    def erasure_key(self) -> bytes:
        """The ``hash_key`` option, else the environment's or the key file's, checked
        against the fingerprint the database recorded (:mod:`.erasure_keys`)."""
        from yinsi.services.erasure_keys import anchored_erasure_key

        return self._hash_key or anchored_erasure_key(self, self.home / "erasure.key")

    def _require_map(self, service: str) -> tuple[DataMap, Connectors]:
        if self.data_map is None or self.connectors is None:
            raise NoDataMap(service)
        return self.data_map, self.connectors

    def _on_stores(
        self, service: str, build: Callable[..., T], *, keyed: bool = True, **options: object
    ) -> T:
        """``build(consent, data_map, connectors, units=, actor=, **options)``: a service
        that acts on the app's stores, on this root's pool, map and connectors; ``keyed``
        ones also get the erasure key and the environment their store URLs expand from."""
        data_map, connectors = self._require_map(service)
        if keyed:
            options |= {"hash_key": self.erasure_key, "environ": self.environ}
        return build(
            self.consent, data_map, connectors, units=self.units, actor=self.actor, **options
        )

    # ------------------------------------------------------------ services

    @cached_property
    def consent(self) -> Engine:
        """Policy versions, the consent ledger and decisions (``yinsi.Engine``)."""
        return Engine(
            actor=self.actor,
            clock=self.clock,
            database=self.database,
            yaml_limits=YamlLimits.of(self.settings.inputs),
            state_cache=self.state_cache,
        )

    @cached_property
    def state_cache(self) -> ConsentStateCache | None:
        """Decisions' consent states in memory, on PostgreSQL (``settings.cache``)."""
        return state_cache(self.database, self.settings.cache)

    @cached_property
    def rights(self) -> RightsService:
        """Rights requests against the data map's stores."""
        from yinsi.services.rights import RightsService
        from yinsi.services.run_leases import RunLeases

        leases = RunLeases(self.units, length_s=self.settings.jobs.lease_s)  # wall clock
        return self._on_stores(
            "rights requests",
            RightsService,
            export_dir=self.exports.folder,
            exports=self.exports,
            delivery=self.delivery,
            clock=self.clock,
            limits=self.settings.limits,
            leases=leases,
        )

    @cached_property
    def jobs(self) -> JobQueue:
        """Background jobs (:mod:`.jobs`): sent to Celery workers when
        ``settings.jobs.broker_url`` is set, else run in-process."""
        from yinsi.services.jobs import queue_of

        return queue_of(self)

    @cached_property
    def runs(self) -> RequestRuns:
        """Running rights requests here or on a worker (``:run``, ``--enqueue``)."""
        from yinsi.services.rights_jobs import RequestRuns

        return RequestRuns(self.rights, self.jobs)

    @cached_property
    def exports(self) -> ExportService:
        """Export archives at rest: private files, expiry and audited deletion (issue 14)."""
        from yinsi.services.exports import ExportService

        folder = self._export_dir or self.settings.exports.folder or self.home / "exports"
        return ExportService(
            self.units, folder, settings=self.settings.exports, clock=self.clock, actor=self.actor
        )

    @cached_property
    def retention(self) -> RetentionService:
        """Retention sweeps of the data map's stores."""
        from yinsi.services.retention import RetentionService, stored_legal_holds

        holds = stored_legal_holds(self.units)
        return self._on_stores(
            "retention sweeps", RetentionService, home=self.home, legal_holds=holds
        )

    @cached_property
    def sharing(self) -> SharingService:
        """The sharing gate, the provision ledger and entrustment ends."""
        from yinsi.services.sharing import SharingService

        return SharingService(
            self.consent,
            units=self.units,
            provision_units=self.provision_units,
            joined_units=self.joined_provision_units,
            clock=self.clock,
            actor=self.actor,
            hash_key=self._hash_key,
        )

    @cached_property
    def sourcing(self) -> SourcingService:
        """PI from third parties (X18): the source register and the acquisition gate."""
        from yinsi.services.sourcing import SourcingService

        return SourcingService(self.consent, units=self.units, clock=self.clock, actor=self.actor)

    @cached_property
    def incidents(self) -> IncidentService:
        """Security incidents: affected subjects from the data map, notices, reports."""
        from yinsi.services.field_values import FieldValues, clear_connectors
        from yinsi.services.incidents import IncidentService

        service: IncidentService = self._on_stores(
            "incidents",
            IncidentService,
            keyed=False,
            clock=self.clock,
            delivery=self.delivery,
            regulator_emails=tuple(self.settings.delivery.regulator_emails),
        )
        # notices go to the clear phone and e-mail of encrypted columns (issue 15)
        values = FieldValues(self.environ)
        service.connectors = clear_connectors(service.data_map, service.connectors, values)
        return service

    @cached_property
    def service_end(self) -> ServiceEndService:
        """Ending the service (X39): advance notice, then deletion per the data map."""
        from yinsi.services.service_end import ServiceEndService

        self._require_map("service end")
        return ServiceEndService(
            self.rights,
            units=self.units,
            delivery=self.delivery,
            hash_key=self.erasure_key,
            clock=self.clock,
            actor=self.actor,
        )

    @cached_property
    def delivery(self) -> DeliveryService:
        """SMS, e-mail and app push through the configured providers (``settings.delivery``;
        demo mode: the demo sender), each delivery recorded."""
        from dataclasses import replace

        from yinsi.delivery import build_senders
        from yinsi.services.delivery import DeliveryService

        senders = build_senders(self.settings.delivery, demo=self.settings.demo)
        if self._sms is not None:
            senders = replace(senders, sms=self._sms)
        service = DeliveryService(self.units, senders, clock=self.clock)
        service.outbox = self.outbox
        return service

    @cached_property
    def outbox(self) -> DeliveryOutbox:
        """Messages whose delivery failed for now, kept encrypted and tried again by the
        ``deliveries_retry`` job (:mod:`.delivery_retry`; key: from the erasure key)."""
        from datetime import timedelta

        from yinsi.services.delivery_retry import DeliveryOutbox

        hours = timedelta(hours=self.settings.jobs.delivery_retry_hours)
        return DeliveryOutbox(self.units, self._outbox_key, retry_for=hours, clock=self.clock)

    def _outbox_key(self) -> bytes:
        return self.erasure_key

    @cached_property
    def audit(self) -> AuditService:
        """The audit log: chain verification and pages of entries."""
        from yinsi.services.audit import AuditService

        return AuditService(
            self.units, settings=self.settings.audit, home=self.home, clock=self.clock
        )

    @cached_property
    def api_keys(self) -> ApiKeyService:
        """API keys of ``yinsi serve``: create, list, revoke, verify a request's key."""
        from yinsi.services.api_keys import ApiKeyService

        return ApiKeyService(self.units, self.database, actor=self.actor)

    @cached_property
    def privacy_links(self) -> PrivacyLinkService:
        """Entry links to the privacy center (audited)."""
        from yinsi.services.privacy_links import PrivacyLinkService

        return PrivacyLinkService(self.consent, self.units, actor=self.actor)

    @cached_property
    def staff(self) -> StaffService:
        """Console accounts, the login lockout and staff sessions."""
        from yinsi.services.staff import StaffService

        return StaffService(self.units, clock=self.clock, limits=self.settings.limits)

    @cached_property
    def campaigns(self) -> CampaignService:
        """Re-consent campaigns for a new policy version (audited)."""
        from yinsi.services.campaigns import CampaignService

        return CampaignService(self.units)

    @cached_property
    def reports(self) -> ReportsService:
        """The console's read queries: apps, dashboard figures, holds and incidents lists."""
        from yinsi.services.reports import ReportsService

        return ReportsService(self.units, self.consent)

    # ------------------------------------------------------------ closing

    def close(self) -> None:
        """Close every service built, the connectors and the pool (each once)."""
        for name in ("retention", "delivery", "jobs", "state_cache"):
            service = self.__dict__.pop(name, None)
            if service is not None:
                service.close()
        if self.connectors is not None:
            self.connectors.close()
        self.database.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _timeouts(options: Options) -> Timeouts | None:
    """The API's pool (actor ``api``) gets ``settings.database``'s statement and lock
    timeouts (a request never hangs on a lock); the CLI and workers none."""
    if options.get("actor") != "api":
        return None
    database = (options.get("settings") or Settings()).database
    return Timeouts(database.statement_timeout_s, database.lock_timeout_s)
