"""The ledger at volume (issue 16, point 4): history pages by seq, read as Core rows.

A subject with 100,000 events on PostgreSQL: the first page and a deep page of 100 come
from the (app_id, subject_id, seq) unique index, not a scan of the subject's history;
every column, evidence included (X41), survives the Core-row read on both backends.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from yinsi.consent import Channel, ConsentEvent, EventKind, Evidence
from yinsi.storage import SqlUnitOfWork, create_engine

pytest_plugins = ["storage_fixtures"]

APP, SUBJECT = "xiaoying_kadai", "heavy"
T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
EVENTS = 100_000


def _event(
    kind: EventKind, at: datetime, *, consent_id: str | None = None, element: str | None = None
) -> ConsentEvent:
    evidence = Evidence(
        Channel.APP,
        account="acct-1",
        signature_sha256="a" * 64,
        client_ip="10.0.0.7",
        user_agent="XiaoyingKadai/5.2 (Android 14)",
    )
    return ConsentEvent(
        APP, SUBJECT, kind, "1.3", at, evidence, consent_id=consent_id, element=element
    )


def test_x41_paged_events_keep_every_column_and_evidence(engine: sa.Engine) -> None:
    history = [
        _event(EventKind.POLICY_ACCEPTED, T0),
        _event(EventKind.CONSENT_GRANTED, T0 + timedelta(seconds=1), consent_id="marketing"),
        _event(EventKind.PROCESSING_RESTRICTED, T0 + timedelta(seconds=2), element="*"),
        _event(EventKind.CONSENT_WITHDRAWN, T0 + timedelta(seconds=3), consent_id="marketing"),
        _event(EventKind.RESTRICTION_LIFTED, T0 + timedelta(seconds=4), element="*"),
    ]
    with SqlUnitOfWork(engine) as uow:
        stored = [uow.ledger.append(e) for e in history]
        uow.commit()
    assert stored == [replace(e, seq=i) for i, e in enumerate(history, 1)]
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.events(APP, SUBJECT) == stored
        assert uow.ledger.events(APP, SUBJECT, limit=2) == stored[:2]
        assert uow.ledger.events(APP, SUBJECT, after=2, limit=2) == stored[2:4]
        assert uow.ledger.events(APP, SUBJECT, after=4) == stored[4:]
        assert uow.ledger.events(APP, SUBJECT, after=5) == []
        assert all(e.at.tzinfo is UTC for e in uow.ledger.events(APP, SUBJECT))


def test_a_page_of_a_100k_event_history_reads_the_index_on_postgresql(postgres_url: str) -> None:
    db = create_engine(postgres_url)
    try:
        first = _event(EventKind.CONSENT_GRANTED, T0, consent_id="marketing")
        with SqlUnitOfWork(db) as uow:
            uow.ledger.append(first)
            uow.commit()
        with db.begin() as conn:  # the rest set-based, copies of the first at later times
            conn.execute(
                sa.text(
                    "INSERT INTO consent_events (app_id, subject_id, seq, kind, policy_version, "
                    "consent_id, element, at, channel, account, signature_sha256, client_ip, "
                    "user_agent) SELECT app_id, subject_id, g, kind, policy_version, consent_id, "
                    "element, at + g * INTERVAL '1 second', channel, account, signature_sha256, "
                    "client_ip, user_agent FROM consent_events, generate_series(2, :n) AS g "
                    "WHERE seq = 1"
                ),
                {"n": EVENTS},
            )
            conn.execute(sa.text("ANALYZE consent_events"))
            plan = conn.execute(
                sa.text(
                    "EXPLAIN SELECT * FROM consent_events WHERE app_id = :a AND subject_id = :s "
                    "AND seq > :after ORDER BY seq LIMIT 100"
                ),
                {"a": APP, "s": SUBJECT, "after": EVENTS // 2},
            ).scalars()
            assert "Index Scan using uq_consent_events_app_id_subject_id_seq" in "\n".join(plan)
        with SqlUnitOfWork(db) as uow:
            uow.ledger.events(APP, SUBJECT, limit=1)  # the connection, not the page
            start = time.perf_counter()
            page = uow.ledger.events(APP, SUBJECT, limit=100)
            deep = uow.ledger.events(APP, SUBJECT, after=EVENTS - 40, limit=100)
            took = time.perf_counter() - start
        assert [e.seq for e in page] == list(range(1, 101))
        assert page[0] == replace(first, seq=1)
        assert page[99].at == T0 + timedelta(seconds=100)
        assert [e.seq for e in deep] == list(range(EVENTS - 39, EVENTS + 1))
        assert took < 1.0  # measured ~10 ms for both pages; a scan of 100k rows takes seconds
    finally:
        db.dispose()
