"""Service ends on SQL (X39): the announced plan and each subject's progress, audited.

``service_ends`` holds one row per app (its announcement, end date, status);
``service_end_subjects`` one row per subject (pending, running with the id of its
deletion request, done). No PI: subject ids, request ids, dates and counts only. The
audit entries name the app, the date, the counts and, per subject, the request.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.lifecycle.service_end import (
    AlreadyAnnounced,
    PlanStatus,
    ServiceEndError,
    ServiceEndPlan,
    SubjectProgress,
    SubjectStatus,
)
from yinsi.security import JsonValue
from yinsi.storage.columns import UtcDateTime
from yinsi.storage.ports import AuditLog
from yinsi.storage.service_end_ports import ServiceEndStore
from yinsi.storage.statements import Clock, ensure_app
from yinsi.storage.tables import Base, ConsentStateRow, Id
from yinsi.taxonomy import RetentionAction

__all__ = ["ServiceEndRow", "ServiceEndSubjectRow", "SqlServiceEndStore"]

Name = String(32)
_ACTIONS = {a.value: a for a in RetentionAction}
BATCH = 1000


class ServiceEndRow(Base):
    """An app's announced end of service (PIPL Art. 47 (1)(2))."""

    __tablename__ = "service_ends"

    app_id: Mapped[str] = mapped_column(Id, ForeignKey("apps.app_id"), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    announced_by: Mapped[str] = mapped_column(Id)
    ends_on: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(Name)
    notice_declared: Mapped[bool]
    status: Mapped[str] = mapped_column(Name)
    subjects: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ServiceEndSubjectRow(Base):
    """One subject of an ending service and how far its deletion went (ids only)."""

    __tablename__ = "service_end_subjects"
    __table_args__ = (Index("ix_service_end_subjects_status", "app_id", "status"),)

    app_id: Mapped[str] = mapped_column(Id, ForeignKey("service_ends.app_id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(Name)
    request_id: Mapped[str | None] = mapped_column(Id)
    outcome: Mapped[str | None] = mapped_column(Name)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SqlServiceEndStore(ServiceEndStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def announce(self, plan: ServiceEndPlan, subjects: Iterable[str]) -> None:
        existing = self.get(plan.app_id)
        if existing is not None:
            raise AlreadyAnnounced(existing)
        ensure_app(self._session, plan.app_id, self._clock)
        self._session.add(
            ServiceEndRow(
                app_id=plan.app_id,
                announced_at=plan.announced_at,
                announced_by=plan.announced_by,
                ends_on=plan.ends_on,
                action=plan.action.value,
                notice_declared=plan.notice_declared,
                status=plan.status.value,
                subjects=plan.subjects,
                started_at=None,
                finished_at=None,
            )
        )
        self._session.flush()
        self._insert(plan.app_id, sorted(set(subjects)))
        self._audit.append(
            plan.announced_by,
            "service_end.announced",
            plan.app_id,
            None,
            {
                "ends_on": plan.ends_on.isoformat(),
                "notice_days": plan.notice_days,
                "action": plan.action.value,
                "notice_declared": plan.notice_declared,
                "subjects": plan.subjects,
            },
        )

    def get(self, app_id: str) -> ServiceEndPlan | None:
        row = self._session.get(ServiceEndRow, app_id)
        return None if row is None else _plan(row)

    def update(self, plan: ServiceEndPlan, *, actor: str) -> None:
        row = self._session.get(ServiceEndRow, plan.app_id)
        if row is None:
            raise ServiceEndError(f"the end of {plan.app_id} was never announced")
        before = row.status
        row.status = plan.status.value
        row.started_at = plan.started_at
        row.finished_at = plan.finished_at
        self._session.flush()
        if before != row.status:
            counts = self.counts(plan.app_id)
            details = {"ends_on": plan.ends_on.isoformat()} | {
                status.value: n for status, n in counts.items()
            }
            self._audit.append(actor, f"service_end.{row.status}", plan.app_id, None, details)

    def add_subjects(self, app_id: str, subjects: Iterable[str]) -> int:
        known = set(
            self._session.scalars(
                select(ServiceEndSubjectRow.subject_id).where(ServiceEndSubjectRow.app_id == app_id)
            )
        )
        new = sorted(set(subjects) - known)
        self._insert(app_id, new)
        return len(new)

    def progress(self, app_id: str) -> builtins.list[SubjectProgress]:
        rows = self._session.scalars(
            select(ServiceEndSubjectRow)
            .where(ServiceEndSubjectRow.app_id == app_id)
            .order_by(ServiceEndSubjectRow.subject_id)
        )
        return [
            SubjectProgress(
                r.app_id,
                r.subject_id,
                SubjectStatus(r.status),
                r.request_id,
                r.outcome,
                r.finished_at,
            )
            for r in rows
        ]

    def mark(self, progress: SubjectProgress, *, actor: str) -> None:
        row = self._session.get(ServiceEndSubjectRow, (progress.app_id, progress.subject_id))
        if row is None:
            raise ServiceEndError(
                f"subject {progress.subject_id} is not among the subjects of the end of "
                f"{progress.app_id}"
            )
        row.status = progress.status.value
        row.request_id = progress.request_id
        row.outcome = progress.outcome
        row.finished_at = progress.finished_at
        self._session.flush()
        self._audit.append(
            actor,
            f"service_end.subject_{progress.status.value}",
            progress.app_id,
            progress.subject_id,
            {"request_id": progress.request_id, "outcome": progress.outcome},
        )

    def counts(self, app_id: str) -> dict[SubjectStatus, int]:
        rows = self._session.execute(
            select(ServiceEndSubjectRow.status, func.count())
            .where(ServiceEndSubjectRow.app_id == app_id)
            .group_by(ServiceEndSubjectRow.status)
        )
        found = {SubjectStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in SubjectStatus}

    def outcomes(self, app_id: str) -> dict[str, int]:
        rows = self._session.execute(
            select(ServiceEndSubjectRow.outcome, func.count())
            .where(
                ServiceEndSubjectRow.app_id == app_id,
                ServiceEndSubjectRow.outcome.is_not(None),
            )
            .group_by(ServiceEndSubjectRow.outcome)
        )
        return {str(outcome): int(n) for outcome, n in rows}

    def unlinked_erased(self, app_id: str, erased: dict[str, int], *, actor: str) -> None:
        details: dict[str, JsonValue] = {"erased": dict(erased)}
        self._audit.append(actor, "service_end.unlinked_erased", app_id, None, details)

    def ledger_subjects(self, app_id: str) -> builtins.list[str]:
        return list(
            self._session.scalars(
                select(ConsentStateRow.subject_id)
                .where(ConsentStateRow.app_id == app_id)
                .order_by(ConsentStateRow.subject_id)
            )
        )

    def _insert(self, app_id: str, subjects: builtins.list[str]) -> None:
        for start in range(0, len(subjects), BATCH):
            self._session.execute(
                insert(ServiceEndSubjectRow),
                [
                    {"app_id": app_id, "subject_id": s, "status": SubjectStatus.PENDING.value}
                    for s in subjects[start : start + BATCH]
                ],
            )


def _plan(row: ServiceEndRow) -> ServiceEndPlan:
    return ServiceEndPlan(
        app_id=row.app_id,
        announced_at=row.announced_at,
        announced_by=row.announced_by,
        ends_on=row.ends_on,
        action=_ACTIONS[row.action],
        notice_declared=row.notice_declared,
        status=PlanStatus(row.status),
        subjects=row.subjects,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
