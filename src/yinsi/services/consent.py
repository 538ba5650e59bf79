"""The in-process consent engine: the service layer an app embeds (issue 4, item 7).

:class:`Engine` offers the methods the HTTP service will offer, so an app can start
embedded (SQLite file) and later point the same calls at the service. Every method is
one use case: it opens one unit of work, calls the domain (``yinsi.consent``), commits.

Rules are compiled once per published policy version and kept per app in a
:class:`~yinsi.consent.RuleBook`; publishing through this engine rebuilds that app's book.
A version published by another process is picked up the first time a subject who
accepted it is seen, or after :meth:`Engine.refresh`.

**Accepting the policy** records ``policy_accepted`` and, in the same unit of work, one
``consent_granted`` for each of the version's *policy consent items*
(:func:`policy_consent_items`): items of kind ``general`` (not declared as asked at some
other moment) that every basic-function scenario on consent naming any consent item requires. In
小赢卡贷 1.3 that is ``privacy_policy`` alone (我来数科: ``policy``). ``marketing_messages``
is general and asked at registration too, but only its own scenario needs it, so it stays
an opt-in the user grants separately (PIPL Art. 16: no bundling).

Errors the methods raise (nothing else is caught or wrapped)::

    yinsi.consent.UnknownName            an app, policy version, scenario, element,
                                         purpose or consent item nobody published
    yinsi.consent.InvalidIdNumber        register_check with an invalid ID (masked)
    yinsi.declaration.DeclarationError   publish with an invalid declaration
    yinsi.storage.StorageNotMigrated     Engine(url) on a schema that is not current
    yinsi.storage.StorageError           the other storage errors (LedgerBusy, …)
"""

# Long (over 400 lines): Engine is the one public API an embedding app imports
# (``yinsi.Engine``); each method is one short use case, kept together on purpose.
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Self

from sqlalchemy.engine import Engine as SqlEngine

from yinsi.consent import (
    ConsentEvent,
    ConsentState,
    Decision,
    DecisionRequest,
    EventKind,
    Evidence,
    check_registration,
    policy_consent_items,
)
from yinsi.declaration import Declaration, loads
from yinsi.declaration.versions import PolicyVersion
from yinsi.declaration.yaml_limits import DEFAULT_LIMITS, YamlLimits
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent_cache import ConsentStateCache
from yinsi.services.consent_ledger import LedgerWriter
from yinsi.services.metrics import observe_decisions
from yinsi.services.policy_books import PolicyBooks
from yinsi.storage import (
    SqlUnitOfWork,
    UnitOfWork,
    create_engine,
    database_url,
    queries,
    require_up_to_date,
    upgrade,
)
from yinsi.taxonomy.timezone import CHINA

__all__ = ["DecisionRequest", "Engine", "policy_consent_items"]

"""Ages are counted on the calendar date in China (UTC+8 all year, no daylight saving)."""


class Engine:
    """Consent decisions and the consent ledger of one database, in-process.

    ``Engine(url)`` uses an already migrated database (``None``: ``YINSI_DATABASE_URL``,
    else ``./.yinsi/yinsi.db``); :meth:`embedded` creates and migrates a SQLite file.
    ``clock`` stamps every event; it must return timezone-aware datetimes. One engine
    may be shared by threads: each call has its own unit of work. :meth:`close` (or
    ``with Engine(...) as engine:``) releases the database connections.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        clock: Clock = utc_now,
        actor: str = "engine",
        database: SqlEngine | None = None,
        yaml_limits: YamlLimits = DEFAULT_LIMITS,
        state_cache: ConsentStateCache | None = None,
    ) -> None:
        """``database``: a connection pool the composition root
        (:class:`yinsi.services.root.Services`) shares with the other services; the engine
        then uses it without owning it (``url`` is ignored and :meth:`close` leaves it open).
        ``yaml_limits``: what a published declaration may hold (``YINSI_INPUTS__YAML_…``).
        ``state_cache``: where decisions read subjects' states (PostgreSQL with a change
        feed, :mod:`yinsi.services.consent_cache`); None: from the database every time.
        """
        self._cache = state_cache
        self._yaml_limits = yaml_limits
        self._owns_db = database is None
        self._db: SqlEngine = (
            create_engine(database_url() if url is None else url) if database is None else database
        )
        self._actor = actor
        """Who the audit log names for this engine's writes (an API key id, "cli", …)."""
        try:
            require_up_to_date(self._db)
        except BaseException:
            if self._owns_db:
                self._db.dispose()
            raise
        self._clock = clock
        self._books = PolicyBooks(self._uow)
        self._ledger = LedgerWriter(self._uow, self._books, clock, actor, self._changed)

    @classmethod
    def embedded(cls, path: str | Path, *, clock: Clock = utc_now, actor: str = "engine") -> Engine:
        """An engine on the SQLite file at ``path``, created and migrated if needed."""
        url = f"sqlite:///{Path(path).expanduser().resolve()}"
        upgrade(url)
        return cls(url, clock=clock, actor=actor)

    def close(self) -> None:
        if self._owns_db:
            self._db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ policy versions

    def publish(self, declaration: str | Path, *, actor: str | None = None) -> PolicyVersion:
        """Publish a declaration (a path, or YAML text with a newline) under its ``app.id``.

        Publishing the same content again is a no-op; a published version with other
        content raises ``PolicyVersionConflict`` (X01). The app's rules are rebuilt.
        ``actor`` (on every write method) names the writer in the audit log for this call
        only, e.g. the API key of a request; None: the engine's own actor.
        """
        text, filename = _declaration_text(declaration)
        parsed = loads(text, filename, limits=self._yaml_limits)
        with self._uow() as uow:
            before = uow.policies.get(parsed.app.id, parsed.policy.version)
            published = uow.policies.publish(parsed.app.id, text, parsed)
            if before is None:  # every write is audited; a no-op re-publish writes nothing
                uow.audit.append(
                    actor or self._actor,
                    "policy.published",
                    parsed.app.id,
                    details={
                        "version": published.version,
                        "content_sha256": published.content_sha256,
                        "previous_version": published.previous_version,
                        "material": published.material,
                    },
                )
            uow.commit()
        self._books.published(published, parsed)
        return published

    def refresh(self, app_id: str | None = None) -> None:
        """Forget the cached rules of ``app_id`` (all apps with None); reloaded on next use."""
        self._books.forget(app_id)

    # ------------------------------------------------------------ the ledger

    def accept_policy(
        self,
        app_id: str,
        subject_id: str,
        *,
        version: str | None = None,
        evidence: Evidence,
        actor: str | None = None,
    ) -> ConsentState:
        """Record that the subject accepted ``version`` (None: the latest published).

        Also grants the version's :func:`policy_consent_items` not granted yet, in the
        same transaction, so basic functions are decided ``consent`` from now on (X41:
        every event carries ``evidence``).
        """
        accepted = self._books.version(app_id, version)
        with self._uow() as uow:
            append = self._ledger.appender(uow, app_id, subject_id, evidence, actor)
            append(EventKind.POLICY_ACCEPTED, accepted, None)
            granted = uow.ledger.state(app_id, subject_id).granted
            for item in accepted.policy_items:
                if item not in granted:
                    append(EventKind.CONSENT_GRANTED, accepted, item)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        self._changed(app_id, subject_id)
        return state

    def decline_policy(
        self,
        app_id: str,
        subject_id: str,
        *,
        version: str | None = None,
        evidence: Evidence,
        actor: str | None = None,
    ) -> ConsentState:
        """Record that the subject declined ``version`` (None: the latest published).

        What still runs follows the declaration's ``policy.on_decline`` (X02, W19).
        """
        declined = self._books.version(app_id, version)
        with self._uow() as uow:
            append = self._ledger.appender(uow, app_id, subject_id, evidence, actor)
            append(EventKind.POLICY_DECLINED, declined, None)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        self._changed(app_id, subject_id)
        return state

    def grant(
        self,
        app_id: str,
        subject_id: str,
        consent_id: str,
        *,
        evidence: Evidence,
        actor: str | None = None,
    ) -> ConsentState:
        """Record a grant of ``consent_id`` under the version the subject is decided by."""
        return self._ledger.consent_event(
            EventKind.CONSENT_GRANTED, app_id, subject_id, consent_id, evidence, actor
        )

    def withdraw(
        self,
        app_id: str,
        subject_id: str,
        consent_id: str,
        *,
        evidence: Evidence,
        actor: str | None = None,
    ) -> ConsentState:
        """Record a withdrawal; decisions needing the item say ``consent_withdrawn`` at once (X29)."""
        return self._ledger.consent_event(
            EventKind.CONSENT_WITHDRAWN, app_id, subject_id, consent_id, evidence, actor
        )

    def use(
        self,
        app_id: str,
        subject_id: str,
        consent_id: str,
        *,
        evidence: Evidence,
        actor: str | None = None,
    ) -> ConsentState:
        """Record that a single-use consent (``asked: each_time``, X15) was used up.

        Call it after the processing an allowed decision relied on; the next decision
        needing the item says ``no_consent`` until the user grants it again. Raises
        :class:`~yinsi.consent.NotSingleUse` for an item granted once for all uses.
        """
        return self._ledger.consent_event(
            EventKind.CONSENT_USED, app_id, subject_id, consent_id, evidence, actor
        )

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        """The subject's current state; the empty state for a subject never seen."""
        return queries.consent_state(self._db, app_id, subject_id)

    def events(
        self, app_id: str, subject_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[ConsentEvent]:
        """The subject's ledger in order, each event with its evidence (X41); a page of it
        with ``after`` (the last ``seq`` seen) and ``limit``."""
        with self._uow(read_only=True) as uow:
            return uow.ledger.events(app_id, subject_id, after=after, limit=limit)

    # ------------------------------------------------------------ decisions

    def decide(
        self,
        app_id: str,
        subject_id: str,
        *,
        element: str,
        purpose: str,
        scenario: str,
        minor: bool = False,
        restricted: bool = False,
        under_14: bool = False,
    ) -> Decision:
        """May ``element`` be processed for ``purpose`` in ``scenario`` for this subject?

        An unknown subject gets a decision (``policy_not_accepted``, or ``browse_only``
        where the declaration keeps a guest mode), never an exception; an unknown name
        raises :class:`~yinsi.consent.UnknownName`.
        """
        request = DecisionRequest(element, purpose, scenario, minor, restricted, under_14)
        return self.decide_batch(app_id, subject_id, (request,))[0]

    def decide_batch(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision]:
        """:meth:`decide` for several steps, on one read of the subject's state."""
        started = perf_counter()
        if self._cache is None:
            state = self.state(app_id, subject_id)
        else:
            state = self._cache.read(
                app_id, subject_id, lambda: queries.consent_state(self._db, app_id, subject_id)
            )
        return self._decided(state, requests, started)

    def decision_fence(self, app_id: str, subject_id: str) -> Future[None] | None:
        """For a caller on an event loop: the fence to await (:meth:`fence_passed`) before
        :meth:`decide_cached` when the subject's state is cached (PostgreSQL), else None
        (call :meth:`decide_batch` off the loop: it reads the database)."""
        return None if self._cache is None else self._cache.fence_for(app_id, subject_id)

    async def fence_passed(self, fence: Future[None]) -> bool:
        """Await ``fence`` on the running loop; False when it failed or took too long."""
        return self._cache is not None and await self._cache.passed(fence)

    def decide_cached(
        self, app_id: str, subject_id: str, requests: Sequence[DecisionRequest]
    ) -> list[Decision] | None:
        """:meth:`decide_batch` on the cached state once its fence passed; None when it was
        evicted meanwhile (call :meth:`decide_batch`). No database call: for the loop."""
        started = perf_counter()
        state = None if self._cache is None else self._cache.confirmed(app_id, subject_id)
        return None if state is None else self._decided(state, requests, started)

    def _decided(
        self, state: ConsentState, requests: Sequence[DecisionRequest], started: float
    ) -> list[Decision]:
        decided = self._books.book_for(state.app_id, state).decide_all(state, requests)
        allowed = sum(d.allowed for d in decided)
        observe_decisions(allowed, len(decided) - allowed, perf_counter() - started)
        return decided

    def declaration(self, app_id: str, version: str | None = None) -> Declaration:
        """A published declaration (the latest by default); raises UnknownName."""
        return self._books.version(app_id, version).declaration

    def restrict(
        self,
        app_id: str,
        subject_id: str,
        elements: Sequence[str],
        *,
        evidence: Evidence,
        actor: str | None = None,
    ) -> tuple[ConsentState, list[str]]:
        """Restrict processing of ``elements`` (``*``: all) for the subject (X28).

        Elements already restricted are not recorded again (a re-run adds nothing).
        Returns the state and the elements restricted now. Every decision on them is
        then ``restricted``, except the storage and security purposes.
        """
        return self._ledger.restriction(
            EventKind.PROCESSING_RESTRICTED, app_id, subject_id, elements, evidence, actor
        )

    def lift_restriction(
        self,
        app_id: str,
        subject_id: str,
        elements: Sequence[str],
        *,
        evidence: Evidence,
        actor: str | None = None,
    ) -> tuple[ConsentState, list[str]]:
        """Lift restrictions (the held data was erased, or the hold released)."""
        return self._ledger.restriction(
            EventKind.RESTRICTION_LIFTED, app_id, subject_id, elements, evidence, actor
        )

    def versions(self, app_id: str) -> list[PolicyVersion]:
        """The app's published policy versions in publishing order (none for an unknown app)."""
        with self._uow(read_only=True) as uow:
            return uow.policies.list(app_id)

    def current_version(self, app_id: str) -> str:
        """The latest published policy version of the app (raises UnknownName for an app)."""
        return self._books.book(app_id).current.version

    def register_check(
        self, app_id: str, id_number: str, *, today: date | None = None
    ) -> Decision | None:
        """X04: a refusal (reason ``minor``) if the ID's holder is under the app's minimum
        age (``policy.minimum_age`` of the current version), else None.

        ``today`` defaults to the clock's date in China. The ID number is neither stored
        nor logged; an invalid one raises :class:`~yinsi.consent.InvalidIdNumber` (masked).
        """
        current = self._books.book(app_id).current
        day = today or self._clock().astimezone(CHINA).date()
        reason = check_registration(id_number, day, current.minimum_age)
        return None if reason is None else Decision(False, reason.value, current.version)

    # ------------------------------------------------------------ internals

    def _uow(self, *, read_only: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(self._db, clock=self._clock, read_only=read_only)

    def _changed(self, app_id: str, subject_id: str) -> None:
        """A write of this engine committed: its own cache need not wait for the notification."""
        if self._cache is not None:
            self._cache.evict(app_id, subject_id)


def _declaration_text(declaration: str | Path) -> tuple[str, str]:
    """(text, filename): a Path or a one-line string is a file; other strings are YAML."""
    if isinstance(declaration, str) and "\n" in declaration:
        return declaration, "<string>"
    path = Path(declaration)
    return path.read_text(encoding="utf-8"), str(path)
