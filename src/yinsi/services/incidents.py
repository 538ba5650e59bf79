"""``IncidentService``: security incidents end to end (PIPL Art. 57; X26).

    open ──► affected subjects (data map + connectors) ──► notify: the notice sent to each
             affected user, the report e-mailed to the regulator (each delivery recorded),
             the notice + report files, who was told ──► close

The pure parts live in :mod:`yinsi.lifecycle.incidents` (the incident, the tracing of
records to subjects) and :mod:`yinsi.lifecycle.incident_notice` (the documents). The
records of an affected dataset are listed by its store's connector
(:meth:`~yinsi.rights.ports.Connector.scan`: only the link columns or the key's
identities are read, never PI values), through the same connectors, with their
timeouts and error messages, that the rights requests use.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.delivery import NotConfigured, Outcome
from yinsi.lifecycle.incident_notice import FORMATS, render_notice, render_report
from yinsi.lifecycle.incidents import (
    Incident,
    Notification,
    affected_subjects,
    elements_of,
)
from yinsi.rights.ports import Connector, Record
from yinsi.services.clock import Clock, utc_now
from yinsi.services.consent import Engine
from yinsi.services.delivery import DeliveryService
from yinsi.services.delivery_notices import (
    Contacts,
    incident_channels,
    incident_notices,
    regulator_reports,
)
from yinsi.storage import UnitsOfWork
from yinsi.storage.deliveries import DeliveryRecord

__all__ = ["IncidentService"]


class IncidentService:
    def __init__(
        self,
        engine: Engine,
        data_map: DataMap,
        connectors: Mapping[str, Connector],
        *,
        units: UnitsOfWork,
        delivery: DeliveryService,
        regulator_emails: Sequence[str] = (),
        clock: Clock = utc_now,
        actor: str = "incident",
    ) -> None:
        self.engine = engine
        self.delivery = delivery
        self.regulator_emails = tuple(regulator_emails)
        self.units = units
        self.data_map = data_map
        self.connectors = connectors
        self._clock = clock
        self._actor = actor

    def _scan(self, dataset: Dataset) -> Iterator[Record]:
        """Every record of ``dataset``, listed by its store's connector."""
        return self.connectors[dataset.store].scan(dataset)

    def open(
        self,
        *,
        title: str,
        what_happened: str,
        occurred_at: datetime,
        discovered_at: datetime,
        datasets: Sequence[str],
        possible_harm: str = "",
        measures: str = "",
        user_advice: str = "",
        elements: Sequence[str] = (),
        incident_id: str | None = None,
        actor: str | None = None,
    ) -> Incident:
        """Record the incident and compute its affected subjects from the data map."""
        involved = tuple(dict.fromkeys([*elements_of(self.data_map, datasets), *elements]))
        incident = Incident(
            id=incident_id or f"inc_{secrets.token_hex(6)}",
            app_id=self.data_map.app,
            title=title,
            what_happened=what_happened,
            occurred_at=occurred_at,
            discovered_at=discovered_at,
            datasets=tuple(datasets),
            elements=involved,
            possible_harm=possible_harm,
            measures=measures,
            user_advice=user_advice,
            opened_at=self._clock(),
            opened_by=actor or self._actor,
        )
        affected = affected_subjects(self.data_map, datasets, self.connectors, self._scan)
        incident = replace(
            incident,
            affected_count=len(affected.subjects),
            unlinked_records=sum(affected.unlinked.values()),
        )
        with self.units() as uow:
            uow.incidents.open(incident)
            uow.incidents.update(incident, actor=actor or self._actor, subjects=affected.subjects)
            uow.commit()
        return incident

    def get(self, incident_id: str) -> Incident:
        with self.units() as uow:
            return uow.incidents.get(incident_id)

    def subjects(self, incident_id: str) -> list[str]:
        with self.units() as uow:
            return uow.incidents.subjects(incident_id)

    def notify(
        self, incident_id: str, out_dir: Path, *, fmt: str = "md", actor: str | None = None
    ) -> tuple[Incident, list[Path]]:
        """:meth:`record_notifications`, then write the user notice and the regulator report
        into ``out_dir`` (``<id>-notice.<fmt>``, ``<id>-report.<fmt>``)."""
        if fmt not in FORMATS:
            raise ValueError(f"format {fmt!r}: choose md or html")
        incident = self.record_notifications(incident_id, actor=actor)
        notice_text, report_text = self.documents(incident, fmt)
        out_dir.mkdir(parents=True, exist_ok=True)
        notice = out_dir / f"{incident.id}-notice.{fmt}"
        report = out_dir / f"{incident.id}-report.{fmt}"
        notice.write_text(notice_text, encoding="utf-8")
        report.write_text(report_text, encoding="utf-8")
        return incident, [notice, report]

    def record_notifications(self, incident_id: str, *, actor: str | None = None) -> Incident:
        """Tell the affected users (the declaration's ``incident.notify_via`` channels first)
        and e-mail the regulator report to ``delivery.regulator_emails`` when
        ``incident.report_to_regulator``; every delivery is recorded (:meth:`deliveries`).
        The incident records who was actually told: the users reached (count), a public
        notice when no subject could be named (and the declaration allows it), the
        regulator when at least one report was delivered.

        Raises :class:`~yinsi.delivery.NotConfigured` when users are to be told and no
        channel is configured, before anything is sent.
        """
        who = actor or self._actor
        declaration = self.engine.declaration(self.data_map.app)
        incident = self.get(incident_id)
        incident.notified(())  # a closed incident: InvalidIncident, before anything is sent
        subjects = self.subjects(incident_id) if incident.affected_count else []
        channels = incident_channels(declaration)
        if subjects and not any(self.delivery.configured(c) for c in channels):
            raise NotConfigured(channels[0])
        notice, report = self.documents(incident, "md")
        contacts = Contacts(self.data_map, self.connectors)
        sent = incident_notices(self.delivery, contacts, incident, subjects, declaration, notice)
        reported = (
            regulator_reports(self.delivery, incident, self.regulator_emails, report)
            if declaration.incident.report_to_regulator
            else []
        )
        now = self._clock()
        told: list[Notification] = []
        reached = sum(r.outcome == Outcome.DELIVERED.value for r in sent)
        if subjects:
            channel = "、".join(declaration.incident.notify_via) or "个别告知"
            told.append(Notification("users", channel, now, who, reached))
        if (not subjects or incident.unlinked_records) and (
            declaration.incident.public_notice_when_impractical
        ):
            told.append(Notification("public", "公告", now, who))
        if any(r.outcome == Outcome.DELIVERED.value for r in reported):
            told.append(
                Notification("regulator", "履行个人信息保护职责的部门（电子邮件）", now, who)
            )
        with self.units() as uow:
            incident = uow.incidents.get(incident_id).notified(told)
            uow.incidents.update(incident, actor=who)
            uow.commit()
        return incident

    def deliveries(self, incident_id: str) -> list[DeliveryRecord]:
        """What was sent about the incident, to whom (masked), when, what failed."""
        return self.delivery.records(incident_id)

    def documents(self, incident: Incident, fmt: str = "md") -> tuple[str, str]:
        """The user notice and the regulator report of ``incident`` (Art. 57 contents), as
        Markdown (``md``) or a self-contained HTML page (``html``)."""
        if fmt not in FORMATS:
            raise ValueError(f"format {fmt!r}: choose md or html")
        declaration = self.engine.declaration(incident.app_id)
        return render_notice(incident, declaration, fmt), render_report(incident, declaration, fmt)

    def close_incident(
        self, incident_id: str, note: str = "", *, actor: str | None = None
    ) -> Incident:
        with self.units() as uow:
            incident = uow.incidents.get(incident_id).closed(self._clock(), note)
            uow.incidents.update(incident, actor=actor or self._actor)
            uow.commit()
        return incident

    def list(self) -> list[Incident]:
        with self.units() as uow:
            return uow.incidents.list(self.data_map.app)
