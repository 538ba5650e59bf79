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
(:func:`policy_consent_items`): items of kind ``general``, ``asked: at_registration``,
that every basic-function scenario on consent naming any consent item requires. In
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

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine as SqlEngine

from yinsi.consent import (
    ALL_ELEMENTS,
    ConsentEvent,
    ConsentState,
    Decision,
    EventKind,
    Evidence,
    NotSingleUse,
    RuleBook,
    Rules,
    UnknownName,
    check_registration,
    compile_rules,
)
from yinsi.declaration import Declaration, loads
from yinsi.declaration.versions import PolicyVersion
from yinsi.security import JsonValue
from yinsi.security.api_keys import ApiKey
from yinsi.storage import (
    SqlUnitOfWork,
    UnitOfWork,
    create_engine,
    database_url,
    queries,
    require_up_to_date,
    upgrade,
)
from yinsi.taxonomy import ConsentKind, FunctionKind, LegalBasis

__all__ = ["DecisionRequest", "Engine", "policy_consent_items"]

Clock = Callable[[], datetime]
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
"""Ages are counted on the calendar date in China (UTC+8 all year, no daylight saving)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One processing step to decide, as :meth:`Engine.decide` takes it."""

    element: str
    purpose: str
    scenario: str
    minor: bool = False
    restricted: bool = False
    under_14: bool = False


def policy_consent_items(declaration: Declaration) -> tuple[str, ...]:
    """The consent items accepting ``declaration``'s policy grants (see the module docstring).

    General items asked at registration that every basic-function scenario on consent
    naming any consent item requires, in declaration order.
    """
    basic = [
        set(s.consents)
        for s in declaration.scenarios
        if s.function is FunctionKind.BASIC and s.legal_basis is LegalBasis.CONSENT and s.consents
    ]
    return tuple(
        c.id
        for c in declaration.consents
        if c.kind is ConsentKind.GENERAL
        and c.asked == "at_registration"
        and basic
        and all(c.id in named for named in basic)
    )


@dataclass(frozen=True, slots=True)
class _Version:
    """One published version, compiled: its rules, consent ids and policy consent items."""

    rules: Rules
    consent_ids: frozenset[str]
    policy_items: tuple[str, ...]
    declaration: Declaration


@dataclass(frozen=True, slots=True)
class _App:
    book: RuleBook
    versions: Mapping[str, _Version]


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
        clock: Clock = _utc_now,
        actor: str = "engine",
        database: SqlEngine | None = None,
    ) -> None:
        """``database``: a connection pool the composition root
        (:class:`yinsi.services.root.Services`) shares with the other services; the engine
        then uses it without owning it (``url`` is ignored and :meth:`close` leaves it open).
        """
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
        self._apps: dict[str, _App] = {}
        self._compiled: dict[tuple[str, str], _Version] = {}

    @classmethod
    def embedded(
        cls, path: str | Path, *, clock: Clock = _utc_now, actor: str = "engine"
    ) -> Engine:
        """An engine on the SQLite file at ``path``, created and migrated if needed."""
        url = f"sqlite:///{Path(path).expanduser().resolve()}"
        upgrade(url)
        return cls(url, clock=clock, actor=actor)

    def close(self) -> None:
        if self._owns_db:
            self._db.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
        parsed = loads(text, filename)
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
        self._compiled.setdefault((parsed.app.id, published.version), _compile(parsed))
        self._apps.pop(parsed.app.id, None)
        self._app(parsed.app.id)
        return published

    def refresh(self, app_id: str | None = None) -> None:
        """Forget the cached rules of ``app_id`` (all apps with None); reloaded on next use."""
        if app_id is None:
            self._apps.clear()
        else:
            self._apps.pop(app_id, None)

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
        accepted = self._version(app_id, version)
        with self._uow() as uow:
            append = self._appender(uow, app_id, subject_id, evidence, actor)
            append(EventKind.POLICY_ACCEPTED, accepted, None)
            granted = uow.ledger.state(app_id, subject_id).granted
            for item in accepted.policy_items:
                if item not in granted:
                    append(EventKind.CONSENT_GRANTED, accepted, item)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
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
        declined = self._version(app_id, version)
        with self._uow() as uow:
            append = self._appender(uow, app_id, subject_id, evidence, actor)
            append(EventKind.POLICY_DECLINED, declined, None)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
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
        return self._consent_event(
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
        return self._consent_event(
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
        return self._consent_event(
            EventKind.CONSENT_USED, app_id, subject_id, consent_id, evidence, actor
        )

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        """The subject's current state; the empty state for a subject never seen."""
        return queries.consent_state(self._db, app_id, subject_id)

    def events(self, app_id: str, subject_id: str) -> list[ConsentEvent]:
        """The subject's ledger in order, each event with its evidence (X41)."""
        with self._uow(read_only=True) as uow:
            return uow.ledger.events(app_id, subject_id)

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
        state = self.state(app_id, subject_id)
        return self._book_for(app_id, state).decide_all(state, requests)

    def declaration(self, app_id: str, version: str | None = None) -> Declaration:
        """A published declaration (the latest by default); raises UnknownName."""
        return self._version(app_id, version).declaration

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
        return self._restriction(
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
        return self._restriction(
            EventKind.RESTRICTION_LIFTED, app_id, subject_id, elements, evidence, actor
        )

    def api_key(self, secret: str) -> ApiKey | None:
        """The live API key with this secret (None if unknown or revoked): read each time,
        so a revocation applies to the next request."""
        return queries.api_key(self._db, secret)

    def versions(self, app_id: str) -> list[PolicyVersion]:
        """The app's published policy versions in publishing order (none for an unknown app)."""
        with self._uow(read_only=True) as uow:
            return uow.policies.list(app_id)

    def current_version(self, app_id: str) -> str:
        """The latest published policy version of the app (raises UnknownName for an app)."""
        return self._app(app_id).book.current.version

    def register_check(
        self, app_id: str, id_number: str, *, today: date | None = None
    ) -> Decision | None:
        """X04: a refusal (reason ``minor``) if the ID's holder is under the app's minimum
        age (``policy.minimum_age`` of the current version), else None.

        ``today`` defaults to the clock's date in China. The ID number is neither stored
        nor logged; an invalid one raises :class:`~yinsi.consent.InvalidIdNumber` (masked).
        """
        current = self._app(app_id).book.current
        day = today or self._clock().astimezone(CHINA_STANDARD_TIME).date()
        reason = check_registration(id_number, day, current.minimum_age)
        return None if reason is None else Decision(False, reason.value, current.version)

    # ------------------------------------------------------------ internals

    def _uow(self, *, read_only: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(self._db, clock=self._clock, read_only=read_only)

    def _consent_event(
        self,
        kind: EventKind,
        app_id: str,
        subject_id: str,
        consent_id: str,
        evidence: Evidence,
        actor: str | None,
    ) -> ConsentState:
        with self._uow() as uow:
            state = uow.ledger.state(app_id, subject_id)
            rules, _ = self._book_for(app_id, state).rules_for(state)
            version = self._version(app_id, rules.version)
            if consent_id not in version.consent_ids:
                raise UnknownName("consent item", consent_id, version.consent_ids)
            if kind is EventKind.CONSENT_USED and consent_id not in rules.each_time:
                raise NotSingleUse(consent_id, rules.version)
            self._appender(uow, app_id, subject_id, evidence, actor)(kind, version, consent_id)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        return state

    def _restriction(
        self,
        kind: EventKind,
        app_id: str,
        subject_id: str,
        elements: Sequence[str],
        evidence: Evidence,
        actor: str | None,
    ) -> tuple[ConsentState, list[str]]:
        with self._uow() as uow:
            state = uow.ledger.state(app_id, subject_id)
            version = self._version(app_id, state.accepted_version)
            if kind is EventKind.PROCESSING_RESTRICTED:
                todo = [e for e in dict.fromkeys(elements) if e not in state.restricted]
            else:
                todo = [
                    e
                    for e in dict.fromkeys(elements)
                    if e in state.restricted or (e == ALL_ELEMENTS and state.restricted)
                ]
            for element in todo:
                self._append(uow, app_id, subject_id, kind, version, evidence, None, actor, element)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        return state, todo

    def _appender(
        self,
        uow: UnitOfWork,
        app_id: str,
        subject_id: str,
        evidence: Evidence,
        actor: str | None,
    ) -> Callable[[EventKind, _Version, str | None], None]:
        """Append one event of the subject (ledger and audit log) per call."""

        def append(kind: EventKind, version: _Version, consent_id: str | None) -> None:
            self._append(uow, app_id, subject_id, kind, version, evidence, consent_id, actor)

        return append

    def _append(
        self,
        uow: UnitOfWork,
        app_id: str,
        subject_id: str,
        kind: EventKind,
        version: _Version,
        evidence: Evidence,
        consent_id: str | None,
        actor: str | None,
        element: str | None = None,
    ) -> None:
        stored = uow.ledger.append(
            ConsentEvent(
                app_id=app_id,
                subject_id=subject_id,
                kind=kind,
                policy_version=version.rules.version,
                at=self._clock(),
                evidence=evidence,
                consent_id=consent_id,
                element=element,
            )
        )
        details: dict[str, JsonValue] = {
            "seq": stored.seq,
            "policy_version": stored.policy_version,
            "consent_id": consent_id,
            "channel": evidence.channel.value,
        }
        if element is not None:
            details["element"] = element
        uow.audit.append(
            actor or self._actor, f"consent.{kind.value}", app_id, subject_id, details=details
        )

    def _version(self, app_id: str, version: str | None) -> _Version:
        app = self._app(app_id)
        name = app.book.current.version if version is None else version
        if name not in app.versions:
            app = self._app(app_id, reload=True)  # published elsewhere since we loaded
        found = app.versions.get(name)
        if found is None:
            raise UnknownName("policy version", name, app.versions)
        return found

    def _book_for(self, app_id: str, state: ConsentState) -> RuleBook:
        app = self._app(app_id)
        if state.accepted_version is not None and state.accepted_version not in app.versions:
            app = self._app(app_id, reload=True)
        return app.book

    def _app(self, app_id: str, *, reload: bool = False) -> _App:
        app = None if reload else self._apps.get(app_id)
        if app is not None:
            return app
        with self._uow(read_only=True) as uow:
            published = uow.policies.list(app_id)
        if not published:
            raise UnknownName("app", app_id, self._apps)
        versions = {p.version: self._compile_stored(app_id, p) for p in published}
        app = _App(RuleBook.of(*(v.rules for v in versions.values())), versions)
        self._apps[app_id] = app
        return app

    def _compile_stored(self, app_id: str, published: PolicyVersion) -> _Version:
        key = (app_id, published.version)
        found = self._compiled.get(key)
        if found is None:
            found = _compile(loads(published.declaration_text, f"{app_id} {published.version}"))
            self._compiled[key] = found
        return found


def _compile(declaration: Declaration) -> _Version:
    return _Version(
        rules=compile_rules(declaration),
        consent_ids=frozenset(c.id for c in declaration.consents),
        policy_items=policy_consent_items(declaration),
        declaration=declaration,
    )


def _declaration_text(declaration: str | Path) -> tuple[str, str]:
    """(text, filename): a Path or a one-line string is a file; other strings are YAML."""
    if isinstance(declaration, str) and "\n" in declaration:
        return declaration, "<string>"
    path = Path(declaration)
    return path.read_text(encoding="utf-8"), str(path)
