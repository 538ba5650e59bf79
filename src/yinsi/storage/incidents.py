"""Security incidents on SQL, with their affected subjects; every write is audited.

The audit entries name the incident, its status and counts, never its free texts (they
may describe people) nor the affected subjects one by one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yinsi.lifecycle.incidents import Incident, IncidentStatus, Notification
from yinsi.storage.errors import IncidentExists, IncidentNotFound
from yinsi.storage.lifecycle_ports import IncidentStore
from yinsi.storage.lifecycle_tables import IncidentRow, IncidentSubjectRow
from yinsi.storage.mapping import utc
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, ensure_app

BATCH = 1000
"""Subject rows inserted per statement."""


class SqlIncidentStore(IncidentStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def open(self, incident: Incident) -> None:
        if incident.status is not IncidentStatus.OPEN:
            raise ValueError(
                f"incident {incident.id} is {incident.status.value}: a new incident is stored "
                "as open; move it on afterwards with incidents.update()"
            )
        if self._row(incident.id) is not None:
            raise IncidentExists(incident.id)
        ensure_app(self._session, incident.app_id, self._clock)
        opened_at = incident.opened_at or self._clock()
        try:
            with self._session.begin_nested():
                self._session.add(_row(incident, opened_at))
                self._session.flush()
        except IntegrityError as exc:  # a concurrent open of the same id won
            if self._row(incident.id) is not None:
                raise IncidentExists(incident.id) from exc
            raise
        self._audit.append(
            incident.opened_by or "yinsi",
            "incident.opened",
            incident.app_id,
            None,
            {
                "incident_id": incident.id,
                "datasets": list(incident.datasets),
                "elements": list(incident.elements),
            },
        )

    def get(self, incident_id: str) -> Incident:
        row = self._row(incident_id)
        if row is None:
            raise IncidentNotFound(incident_id)
        return _incident(row)

    def update(
        self, incident: Incident, *, actor: str, subjects: Iterable[str] | None = None
    ) -> None:
        row = self._row(incident.id)
        if row is None:
            raise IncidentNotFound(incident.id)
        before = row.status
        row.status = incident.status.value
        row.affected_count = incident.affected_count
        row.unlinked_records = incident.unlinked_records
        row.notifications = [_notification_json(n) for n in incident.notifications]
        row.closed_at = None if incident.closed_at is None else utc(incident.closed_at, "closed_at")
        row.closing_note = incident.closing_note
        row.possible_harm = incident.possible_harm
        row.measures = incident.measures
        row.user_advice = incident.user_advice
        self._session.flush()
        if subjects is not None:
            self._session.execute(
                delete(IncidentSubjectRow).where(IncidentSubjectRow.incident_id == incident.id)
            )
            ids = sorted(set(subjects))
            for start in range(0, len(ids), BATCH):
                self._session.execute(
                    insert(IncidentSubjectRow),
                    [
                        {"incident_id": incident.id, "subject_id": s}
                        for s in ids[start : start + BATCH]
                    ],
                )
        details: dict[str, Any] = {"incident_id": incident.id, "status": incident.status.value}
        if incident.affected_count is not None:
            details["affected"] = incident.affected_count
        if incident.notifications:
            details["notified"] = sorted({n.audience for n in incident.notifications})
        action = "incident.updated" if before == row.status else f"incident.{row.status}"
        self._audit.append(actor, action, incident.app_id, None, details)

    def subjects(self, incident_id: str) -> builtins.list[str]:
        return list(
            self._session.scalars(
                select(IncidentSubjectRow.subject_id)
                .where(IncidentSubjectRow.incident_id == incident_id)
                .order_by(IncidentSubjectRow.subject_id)
            )
        )

    def list(
        self, app_id: str, *, statuses: Iterable[IncidentStatus] | None = None
    ) -> builtins.list[Incident]:
        query = select(IncidentRow).where(IncidentRow.app_id == app_id)
        if statuses is not None:
            query = query.where(IncidentRow.status.in_([IncidentStatus(s).value for s in statuses]))
        query = query.order_by(IncidentRow.opened_at.desc(), IncidentRow.id).execution_options(
            populate_existing=True
        )
        return [_incident(r) for r in self._session.scalars(query)]

    def _row(self, incident_id: str) -> IncidentRow | None:
        return self._session.scalars(
            select(IncidentRow)
            .where(IncidentRow.id == incident_id)
            .execution_options(populate_existing=True)
        ).one_or_none()


def _row(incident: Incident, opened_at: datetime) -> IncidentRow:
    return IncidentRow(
        id=incident.id,
        app_id=incident.app_id,
        title=incident.title,
        what_happened=incident.what_happened,
        occurred_at=utc(incident.occurred_at, "occurred_at"),
        discovered_at=utc(incident.discovered_at, "discovered_at"),
        datasets=list(incident.datasets),
        elements=list(incident.elements),
        possible_harm=incident.possible_harm,
        measures=incident.measures,
        user_advice=incident.user_advice,
        status=incident.status.value,
        opened_at=utc(opened_at, "opened_at"),
        opened_by=incident.opened_by or "yinsi",
        affected_count=incident.affected_count,
        unlinked_records=incident.unlinked_records,
        notifications=[_notification_json(n) for n in incident.notifications],
        closed_at=None,
        closing_note="",
    )


def _notification_json(n: Notification) -> dict[str, Any]:
    return {
        "audience": n.audience,
        "channel": n.channel,
        "at": utc(n.at, "the time of a notification").isoformat(),
        "actor": n.actor,
        "count": n.count,
    }


def _incident(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        app_id=row.app_id,
        title=row.title,
        what_happened=row.what_happened,
        occurred_at=row.occurred_at,
        discovered_at=row.discovered_at,
        datasets=tuple(row.datasets),
        elements=tuple(row.elements),
        possible_harm=row.possible_harm,
        measures=row.measures,
        user_advice=row.user_advice,
        status=IncidentStatus(row.status),
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        affected_count=row.affected_count,
        unlinked_records=row.unlinked_records,
        notifications=tuple(
            Notification(
                audience=n["audience"],
                channel=n["channel"],
                at=datetime.fromisoformat(n["at"]),
                actor=n["actor"],
                count=int(n["count"]),
            )
            for n in row.notifications
        ),
        closed_at=row.closed_at,
        closing_note=row.closing_note,
    )
