"""``IncidentService``: security incidents end to end (PIPL Art. 57; X26).

    open ──► affected subjects (data map + connectors) ──► notify: notice + report files,
                                                            who was told, recorded ──► close

The pure parts live in :mod:`yinsi.lifecycle.incidents` (the incident, the tracing of
records to subjects) and :mod:`yinsi.lifecycle.incident_notice` (the documents). This
module adds the adapter the tracing needs: :func:`scan`, which lists every record of a
SQL table or a Redis key pattern (only the link columns or the key's identities are
read, never PI values).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

from yinsi.connectors import expand
from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.lifecycle.incident_notice import FORMATS, render_notice, render_report
from yinsi.lifecycle.incidents import (
    Incident,
    Notification,
    affected_subjects,
    elements_of,
    key_values,
)
from yinsi.rights.ports import Connector, ConnectorError, Record
from yinsi.services.consent import Engine
from yinsi.storage import UnitsOfWork
from yinsi.storage.url import normalize

__all__ = ["IncidentService", "Scanner"]

Clock = Callable[[], datetime]
SCAN_BATCH = 1000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Scanner:
    """Lists every record of a dataset, reading only the columns that link it to a subject."""

    def __init__(self, data_map: DataMap, environ: Mapping[str, str] | None = None) -> None:
        self._map = data_map
        self._environ = os.environ if environ is None else environ
        self._engines: dict[str, sa.Engine] = {}
        self._redis: dict[str, redis.Redis] = {}

    def __call__(self, dataset: Dataset) -> Iterator[Record]:
        store = self._map.store(dataset.store)
        if store.kind == "sql":
            yield from self._sql(dataset, store.id, store.url)
        elif store.kind == "redis":
            yield from self._keys(dataset, store.id, store.url)
        else:
            raise ConnectorError(store.id, "a processor's records cannot be listed; ask it")

    def _sql(self, dataset: Dataset, store: str, url: str) -> Iterator[Record]:
        engine = self._engines.get(store)
        if engine is None:
            engine = sa.create_engine(normalize(expand(store, url, self._environ)))
            self._engines[store] = engine
        link = dataset.subject.column if dataset.subject else None
        if dataset.parent is not None:
            link = dataset.parent.column
        assert link is not None and dataset.table is not None and dataset.primary_key
        table = sa.table(dataset.table, sa.column(dataset.primary_key), sa.column(link))
        query = sa.select(table.c[dataset.primary_key], table.c[link])
        with engine.connect() as conn:
            for key, value in conn.execute(query.execution_options(yield_per=SCAN_BATCH)):
                yield Record(dataset.id, str(key), {link: value})

    def _keys(self, dataset: Dataset, store: str, url: str) -> Iterator[Record]:
        client = self._redis.get(store)
        if client is None:
            client = redis.Redis.from_url(expand(store, url, self._environ), decode_responses=True)
            self._redis[store] = client
        template = dataset.key or ""
        pattern = template
        for name in dataset.placeholders:
            pattern = pattern.replace("{" + name + "}", "*")
        for key in client.scan_iter(match=pattern, count=SCAN_BATCH):
            values = key_values(dataset, str(key))
            if values is not None:
                yield Record(dataset.id, str(key), values)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        for client in self._redis.values():
            client.close()


class IncidentService:
    def __init__(
        self,
        engine: Engine,
        data_map: DataMap,
        connectors: Mapping[str, Connector],
        *,
        units: UnitsOfWork,
        scanner: Callable[[Dataset], Iterator[Record]] | None = None,
        clock: Clock = _utc_now,
        actor: str = "incident",
    ) -> None:
        self.engine = engine
        self.units = units
        self.data_map = data_map
        self.connectors = connectors
        self._scan = scanner or Scanner(data_map)
        self._clock = clock
        self._actor = actor

    def close(self) -> None:
        """Close the scanner's own clients (the composition root closes the rest)."""
        if isinstance(self._scan, Scanner):
            self._scan.close()

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
        """Record who was told: the affected users through the declaration's
        ``incident.notify_via``, a public notice when no subject could be named (and the
        declaration allows it), the regulator when ``incident.report_to_regulator``."""
        who = actor or self._actor
        declaration = self.engine.declaration(self.data_map.app)
        now = self._clock()
        with self.units() as uow:
            incident = uow.incidents.get(incident_id)
            count = incident.affected_count or 0
            told: list[Notification] = []
            if count:
                channel = "、".join(declaration.incident.notify_via)
                told.append(Notification("users", channel, now, who, count))
            if (not count or incident.unlinked_records) and (
                declaration.incident.public_notice_when_impractical
            ):
                told.append(Notification("public", "公告", now, who))
            if declaration.incident.report_to_regulator:
                told.append(Notification("regulator", "履行个人信息保护职责的部门", now, who))
            incident = incident.notified(told)
            uow.incidents.update(incident, actor=who)
            uow.commit()
        return incident

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
