"""The console's read queries (``uow.reports``): counts grouped in the database, so a page
over a million subjects reads a few rows.

- accepted versions: ``consent_states`` grouped by ``accepted_version``;
- consent rates: ``consent_states`` grouped by the (sorted) ``granted`` list, so each
  distinct set of consent items comes back once with its count;
- requests per week and time to close: one row per request of the period, with the time
  of its closing transition;
- legal holds of an app (the holds store reads them per subject only).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from yinsi.rights.holds import LegalHold
from yinsi.rights.requests import Status
from yinsi.storage.console_ports import ConsoleReports, RequestTimes
from yinsi.storage.mapping import utc
from yinsi.storage.rights_mapping import hold_from_row
from yinsi.storage.rights_tables import LegalHoldRow, RightsRequestRow, RightsTransitionRow
from yinsi.storage.tables import ConsentStateRow, PolicyVersionRow

CLOSING = [s.value for s in Status if s.closed]
STREAM_BATCH = 1000


class SqlConsoleReports(ConsoleReports):
    def __init__(self, session: Session) -> None:
        self._session = session

    def apps(self) -> builtins.list[str]:
        query = select(PolicyVersionRow.app_id).distinct().order_by(PolicyVersionRow.app_id)
        return list(self._session.scalars(query))

    def accepted_versions(self, app_id: str) -> dict[str | None, int]:
        query = (
            select(ConsentStateRow.accepted_version, func.count())
            .where(ConsentStateRow.app_id == app_id)
            .group_by(ConsentStateRow.accepted_version)
        )
        return {version: count for version, count in self._session.execute(query)}

    def subjects_behind(self, app_id: str, version: str) -> Iterator[str]:
        position = self._session.scalar(
            select(PolicyVersionRow.position).where(
                PolicyVersionRow.app_id == app_id, PolicyVersionRow.version == version
            )
        )
        if position is None:
            return iter(())
        accepted = PolicyVersionRow.__table__.alias("accepted")
        query = (
            select(ConsentStateRow.subject_id)
            .join(
                accepted,
                and_(
                    accepted.c.app_id == ConsentStateRow.app_id,
                    accepted.c.version == ConsentStateRow.accepted_version,
                ),
            )
            .where(ConsentStateRow.app_id == app_id, accepted.c.position < position)
            .order_by(ConsentStateRow.subject_id)
            .execution_options(yield_per=STREAM_BATCH)
        )
        return iter(self._session.scalars(query))

    def granted_sets(self, app_id: str) -> builtins.list[tuple[frozenset[str], int]]:
        query = (
            select(ConsentStateRow.granted, func.count())
            .where(ConsentStateRow.app_id == app_id)
            .group_by(ConsentStateRow.granted)
        )
        return [
            (frozenset(granted or ()), count) for granted, count in self._session.execute(query)
        ]

    def request_times(self, app_id: str, since: datetime) -> builtins.list[RequestTimes]:
        closed = func.min(RightsTransitionRow.at)
        query = (
            select(RightsRequestRow.kind, RightsRequestRow.received_at, closed)
            .outerjoin(
                RightsTransitionRow,
                and_(
                    RightsTransitionRow.request_id == RightsRequestRow.id,
                    RightsTransitionRow.status.in_(CLOSING),
                ),
            )
            .where(
                RightsRequestRow.app_id == app_id,
                RightsRequestRow.received_at >= utc(since, "the start of the period"),
            )
            .group_by(RightsRequestRow.id, RightsRequestRow.kind, RightsRequestRow.received_at)
            .order_by(RightsRequestRow.received_at)
        )
        return [
            RequestTimes(kind, received, None if at is None else _aware(at))
            for kind, received, at in self._session.execute(query)
        ]

    def holds(self, app_id: str, *, released: bool = False) -> builtins.list[LegalHold]:
        query = select(LegalHoldRow).where(LegalHoldRow.app_id == app_id)
        if not released:
            query = query.where(LegalHoldRow.released_at.is_(None))
        query = query.order_by(LegalHoldRow.created_at.desc(), LegalHoldRow.id)
        return [hold_from_row(r) for r in self._session.scalars(query)]


def _aware(value: datetime) -> datetime:
    """A time in UTC, whatever the driver handed back for an aggregate."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
