"""The consent ledger's write side: every event appended with its audit entry.

Used by the consent :class:`~yinsi.services.consent.Engine`: each event is checked
against the version the subject is decided by, appended to the ledger and audited (by
ids and the channel, never PI) in the caller's unit of work. The subject's state is read
once per write, locked (:class:`~yinsi.storage.ledger.SqlConsentLedger` keeps the row it
locked for the append and the state after it), and ``committed`` tells the engine which
subject changed once the write committed (its decision cache evicts the subject).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from yinsi.consent import (
    ALL_ELEMENTS,
    ConsentEvent,
    ConsentState,
    EventKind,
    Evidence,
    NotSingleUse,
    UnknownName,
)
from yinsi.security import JsonValue
from yinsi.services.clock import Clock
from yinsi.services.policy_books import CompiledVersion, PolicyBooks
from yinsi.storage import UnitOfWork

__all__ = ["LedgerWriter"]


class LedgerWriter:
    """Appends a subject's consent events; ``actor`` is the default writer audited."""

    def __init__(
        self,
        units: Callable[[], UnitOfWork],
        books: PolicyBooks,
        clock: Clock,
        actor: str,
        committed: Callable[[str, str], None] = lambda _app, _subject: None,
    ) -> None:
        """``committed(app_id, subject_id)`` is called after each committed write."""
        self._units = units
        self._books = books
        self._clock = clock
        self.actor = actor
        self._committed = committed

    def consent_event(
        self,
        kind: EventKind,
        app_id: str,
        subject_id: str,
        consent_id: str,
        evidence: Evidence,
        actor: str | None,
    ) -> ConsentState:
        with self._units() as uow:
            state = uow.ledger.state(app_id, subject_id)
            rules, _ = self._books.book_for(app_id, state).rules_for(state)
            version = self._books.version(app_id, rules.version)
            if consent_id not in version.consent_ids:
                raise UnknownName("consent item", consent_id, version.consent_ids)
            if kind is EventKind.CONSENT_USED and consent_id not in rules.each_time:
                raise NotSingleUse(consent_id, rules.version)
            self.appender(uow, app_id, subject_id, evidence, actor)(kind, version, consent_id)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        self._committed(app_id, subject_id)
        return state

    def restriction(
        self,
        kind: EventKind,
        app_id: str,
        subject_id: str,
        elements: Sequence[str],
        evidence: Evidence,
        actor: str | None,
    ) -> tuple[ConsentState, list[str]]:
        with self._units() as uow:
            state = uow.ledger.state(app_id, subject_id)
            version = self._books.version(app_id, state.accepted_version)
            if kind is EventKind.PROCESSING_RESTRICTED:
                todo = [e for e in dict.fromkeys(elements) if e not in state.restricted]
            else:
                todo = [
                    e
                    for e in dict.fromkeys(elements)
                    if e in state.restricted or (e == ALL_ELEMENTS and state.restricted)
                ]
            for element in todo:
                self.append(uow, app_id, subject_id, kind, version, evidence, None, actor, element)
            state = uow.ledger.state(app_id, subject_id)
            uow.commit()
        if todo:
            self._committed(app_id, subject_id)
        return state, todo

    def appender(
        self,
        uow: UnitOfWork,
        app_id: str,
        subject_id: str,
        evidence: Evidence,
        actor: str | None,
    ) -> Callable[[EventKind, CompiledVersion, str | None], None]:
        """Append one event of the subject (ledger and audit log) per call."""

        def append(kind: EventKind, version: CompiledVersion, consent_id: str | None) -> None:
            self.append(uow, app_id, subject_id, kind, version, evidence, consent_id, actor)

        return append

    def append(
        self,
        uow: UnitOfWork,
        app_id: str,
        subject_id: str,
        kind: EventKind,
        version: CompiledVersion,
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
            actor or self.actor, f"consent.{kind.value}", app_id, subject_id, details=details
        )
