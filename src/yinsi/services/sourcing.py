"""``SourcingService``: PI obtained from third parties (间接收集, X18) — a service beside the
Engine, like the sharing gate.

Staff record each vetted provider (:meth:`add_source`, ``yinsi sources add``); the app
calls :meth:`acquire` BEFORE it queries a provider::

    acquire ──► source check (pure: registered, in force, scope, declared) ──► refused
                  └ decision engine for each element (scenario, purpose, the subject's
                    consents in force, e.g. separate consent third_party_data) ──► refused
                        └ acquisition stored + audited ──► allowed

Refusals are audited and nothing is stored in the ledger. A later use of what was
obtained is an ordinary decision: beyond the scenario/purpose the declaration gives the
element, the engine answers ``not_declared`` (new consent needs a new declaration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from yinsi.consent import DecisionRequest, UnknownName
from yinsi.lifecycle.sourcing import (
    Acquisition,
    AcquisitionDecision,
    AuthorisedBy,
    Source,
    check_new_source,
    check_source,
    message,
)
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork
from yinsi.taxonomy.timezone import CHINA

__all__ = ["AcquisitionOutcome", "SourcingService"]


@dataclass(frozen=True, slots=True)
class AcquisitionOutcome:
    decision: AcquisitionDecision
    acquisition: Acquisition | None
    """The ledger entry; None when refused."""


class SourcingService:
    def __init__(
        self, engine: Engine, *, units: UnitsOfWork, clock: Clock = utc_now, actor: str = "sourcing"
    ) -> None:
        self.engine = engine
        self.units = units
        self._clock = clock
        self._actor = actor

    def today(self) -> date:
        return self._clock().astimezone(CHINA).date()  # vetting dates are dates in China

    # ------------------------------------------------------------ the source register

    def add_source(
        self,
        app_id: str,
        source_id: str,
        *,
        name: str,
        legal_ground: str,
        elements: Sequence[str],
        scenarios: Sequence[str],
        authorised_by: AuthorisedBy,
        authorisation_ref: str,
        vetted_by: str,
        valid_until: date,
        vetted_on: date | None = None,
        party: str | None = None,
    ) -> Source:
        """Record a vetting (来源审查记录) against the app's latest declaration; raises
        :class:`~yinsi.lifecycle.sourcing.SourceError` for one yinsi cannot rely on."""
        source = Source(
            app_id=app_id,
            source_id=source_id.strip(),
            name=name.strip(),
            legal_ground=legal_ground.strip(),
            elements=tuple(dict.fromkeys(elements)),
            scenarios=tuple(dict.fromkeys(scenarios)),
            authorised_by=authorised_by,
            authorisation_ref=authorisation_ref.strip(),
            vetted_by=vetted_by.strip(),
            vetted_on=vetted_on or self.today(),
            valid_until=valid_until,
            party=party or None,
        )
        check_new_source(self.engine.declaration(app_id), source)
        with self.units() as uow:
            uow.sources.add(source)
            uow.commit()
        return source

    def sources(self, app_id: str) -> list[Source]:
        with self.units(read_only=True) as uow:
            return uow.sources.list(app_id)

    def source(self, app_id: str, source_id: str) -> Source | None:
        with self.units(read_only=True) as uow:
            return uow.sources.get(app_id, source_id)

    def revoke(
        self, app_id: str, source_id: str, *, reason: str, actor: str | None = None
    ) -> Source:
        """Revoke a vetting: every later acquisition from it is refused (audited)."""
        with self.units() as uow:
            revoked = uow.sources.revoke(
                app_id, source_id, at=self._clock(), actor=actor or self._actor, reason=reason
            )
            uow.commit()
        return revoked

    # ------------------------------------------------------------ the gate

    def acquire(
        self,
        app_id: str,
        subject_id: str,
        source: str,
        elements: Sequence[str],
        purpose: str,
        scenario: str,
        *,
        actor: str | None = None,
    ) -> AcquisitionOutcome:
        """May the app obtain ``elements`` of the subject from ``source`` now, for
        ``purpose`` in ``scenario``? Allowed: the acquisition is stored (with the consents
        it relies on) and audited. Refused: audited, nothing stored."""
        who = actor or self._actor
        elements = tuple(dict.fromkeys(elements))
        state = self.engine.state(app_id, subject_id)
        declaration = self.engine.declaration(app_id, state.accepted_version)
        version = declaration.policy.version
        with self.units(read_only=True) as uow:
            found = uow.sources.get(app_id, source)
        problem = check_source(declaration, found, elements, scenario, self.today())
        if problem is not None:
            return self._refuse(app_id, subject_id, source, who, problem.value, (), version)
        if not elements:
            return self._refuse(app_id, subject_id, source, who, "not_declared", (), version)
        requests = [DecisionRequest(e, purpose, scenario) for e in elements]
        try:
            decisions = self.engine.decide_batch(app_id, subject_id, requests)
        except UnknownName:
            return self._refuse(app_id, subject_id, source, who, "not_declared", (), version)
        for d in decisions:
            if not d.allowed:
                return self._refuse(
                    app_id, subject_id, source, who, d.reason, d.consent_ids, d.policy_version
                )
        consents = tuple(dict.fromkeys(c for d in decisions for c in d.consent_ids))
        version = decisions[0].policy_version or version
        with self.units() as uow:
            stored = uow.sources.record(
                Acquisition(
                    app_id=app_id,
                    subject_id=subject_id,
                    source_id=source,
                    elements=elements,
                    scenario=scenario,
                    purpose=purpose,
                    consent_ids=consents,
                    policy_version=version,
                    at=self._clock(),
                    actor=who,
                )
            )
            uow.commit()
        decision = AcquisitionDecision(True, "allowed", "允许获取。", consents, version)
        return AcquisitionOutcome(decision, stored)

    def acquisitions(self, app_id: str, subject_id: str) -> list[Acquisition]:
        """Every acquisition of the subject's PI, oldest first (an access request shows
        where indirectly collected PI came from)."""
        with self.units(read_only=True) as uow:
            return uow.sources.acquisitions(app_id, subject_id)

    def _refuse(
        self,
        app_id: str,
        subject_id: str,
        source: str,
        actor: str,
        reason: str,
        consents: tuple[str, ...],
        version: str | None,
    ) -> AcquisitionOutcome:
        with self.units() as uow:
            uow.audit.append(
                actor,
                "acquisition.refused",
                app_id,
                subject_id,
                {"source": source, "reason": reason, "consents": list(consents)},
            )
            uow.commit()
        decision = AcquisitionDecision(False, reason, message(reason), consents, version)
        return AcquisitionOutcome(decision, None)
