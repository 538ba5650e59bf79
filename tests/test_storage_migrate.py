"""Migrations: empty → current, 0003 → 0004 with data, back down, the un-migrated error,
the default URL, the public API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import yinsi.storage
from yinsi.cli.app import app
from yinsi.consent import ConsentEvent, EventKind
from yinsi.security import verify
from yinsi.storage import (
    SqlUnitOfWork,
    StorageNotMigrated,
    create_engine,
    current_revision,
    database_url,
    head_revision,
    is_up_to_date,
    require_up_to_date,
    upgrade,
)
from yinsi.storage.mapping import event_row
from yinsi.storage.migrate import MIGRATIONS, downgrade
from yinsi.storage.tables import AppRow, Base, ConsentEventRow, ConsentStateRow

pytest_plugins = ["storage_fixtures"]

TABLES = {
    "apps",
    "policy_versions",
    "consent_events",
    "consent_states",
    "audit_entries",
    "api_keys",
    "rights_requests",
    "rights_transitions",
    "rights_steps",
    "rights_challenges",
    "legal_holds",
    "staff_users",
    "staff_sessions",
    "consent_campaigns",
}


def test_migrate_from_empty_to_up_to_date(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    assert not is_up_to_date(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision() == "0013"
    assert is_up_to_date(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    upgrade(empty_engine)  # a second upgrade is a no-op
    assert is_up_to_date(empty_engine)


def test_upgrade_takes_a_url(empty_url: str) -> None:
    upgrade(empty_url)
    assert is_up_to_date(empty_url)


def test_unmigrated_database_says_to_run_db_upgrade(empty_engine: Engine) -> None:
    with pytest.raises(StorageNotMigrated, match=r"run `yinsi db upgrade`"):
        require_up_to_date(empty_engine)
    with pytest.raises(StorageNotMigrated, match=r"is empty \(never migrated\)") as caught:
        SqlUnitOfWork(empty_engine)
    assert caught.value.current is None and caught.value.head == "0013"


def test_migrations_match_the_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_ship_inside_the_package() -> None:
    package = Path(yinsi.storage.__file__).parent
    assert package / "migrations" == MIGRATIONS
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()


def test_default_url_is_an_embedded_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("YINSI_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = database_url()
    assert url == "sqlite:///./.yinsi/yinsi.db"
    upgrade(url)  # creates the folder
    assert (tmp_path / ".yinsi" / "yinsi.db").is_file()
    engine = create_engine(url)
    try:
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db/yinsi", "postgresql+psycopg://u@db/yinsi"),
        ("postgres://u@db/yinsi", "postgresql+psycopg://u@db/yinsi"),
        ("postgresql+psycopg://u@db/yinsi", "postgresql+psycopg://u@db/yinsi"),
        ("sqlite:////var/lib/yinsi.db", "sqlite:////var/lib/yinsi.db"),
    ],
)
def test_database_url_from_the_environment(given: str, expected: str) -> None:
    assert database_url({"YINSI_DATABASE_URL": given}) == expected


def test_public_api_is_sorted_and_complete() -> None:
    names = yinsi.storage.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(yinsi.storage, name), name


APP, SUBJECT = "xiaoying_kadai", "subj_0001"
EventFactory = Callable[..., ConsentEvent]
T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def _seed_at_0003(url: str, new_event: EventFactory) -> list[ConsentEvent]:
    """A database at revision 0003 holding two events and their state, written as 0003 did."""
    upgrade(url, "0003")
    events = [
        new_event(EventKind.POLICY_ACCEPTED, None, at=T0),
        new_event(EventKind.CONSENT_GRANTED, "marketing", at=T0 + timedelta(minutes=1)),
    ]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(AppRow.__table__).values(app_id=APP, created_at=T0))
            for seq, event in enumerate(events, start=1):
                columns = {
                    k: v for k, v in vars(event_row(event, seq)).items() if k in _EVENT_COLUMNS_0003
                }
                conn.execute(insert(ConsentEventRow.__table__).values(columns))
            conn.execute(
                insert(ConsentStateRow.__table__).values(
                    app_id=APP,
                    subject_id=SUBJECT,
                    accepted_version="1.3",
                    granted=["marketing"],
                    withdrawn=[],
                    last_seq=2,
                    updated_at=events[-1].at,
                )
            )
    finally:
        engine.dispose()
    return [replace(e, seq=i) for i, e in enumerate(events, start=1)]


_EVENT_COLUMNS_0003 = {c.name for c in ConsentEventRow.__table__.columns} - {"id", "element"}


def test_db_upgrade_from_0003_keeps_events_and_gives_restricted_empty(
    empty_url: str, new_event: EventFactory
) -> None:
    stored = _seed_at_0003(empty_url, new_event)
    result = CliRunner().invoke(app, ["db", "upgrade", "--url", empty_url])
    assert result.exit_code == 0, result.output
    engine = create_engine(empty_url)
    try:
        assert current_revision(engine) == "0013"
        with engine.connect() as conn:
            restricted = conn.execute(select(ConsentStateRow.restricted)).scalars().all()
        assert restricted == [[]]
        with SqlUnitOfWork(engine) as uow:
            assert uow.ledger.events(APP, SUBJECT) == stored
            state = uow.ledger.state(APP, SUBJECT)
            assert state.restricted == frozenset() and state.granted == {"marketing"}
            restriction = new_event(EventKind.POLICY_ACCEPTED, None, at=T0 + timedelta(days=1))
            restriction = replace(
                restriction, kind=EventKind.PROCESSING_RESTRICTED, element="precise_location"
            )
            uow.ledger.append(restriction)
            uow.commit()
        with SqlUnitOfWork(engine) as uow:
            assert uow.ledger.state(APP, SUBJECT).restricted == {"precise_location"}
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE consent_events SET channel = 'web'"))
    finally:
        engine.dispose()


def test_downgrade_to_0003_drops_the_rights_schema_and_keeps_the_ledger(
    empty_url: str, new_event: EventFactory
) -> None:
    stored = _seed_at_0003(empty_url, new_event)
    upgrade(empty_url)
    downgrade(empty_url, "0003")
    engine = create_engine(empty_url)
    try:
        assert current_revision(engine) == "0003"
        inspector = inspect(engine)
        assert not {"rights_requests", "legal_holds"} & set(inspector.get_table_names())
        assert "element" not in {c["name"] for c in inspector.get_columns("consent_events")}
        assert "restricted" not in {c["name"] for c in inspector.get_columns("consent_states")}
        with engine.connect() as conn:
            seqs = conn.execute(select(ConsentEventRow.seq).order_by("seq")).scalars().all()
            assert seqs == [e.seq for e in stored]
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("UPDATE consent_events SET channel = 'web'"))
        upgrade(engine)
        with SqlUnitOfWork(engine) as uow:
            assert uow.ledger.events(APP, SUBJECT) == stored
    finally:
        engine.dispose()


def test_upgrade_0005_to_0006_adds_staff_and_keeps_the_audit_chain(empty_url: str) -> None:
    upgrade(empty_url, "0005")
    engine = create_engine(empty_url)
    try:
        assert "staff_users" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == "0013"
        with SqlUnitOfWork(engine) as uow:
            user = uow.staff.add("li.lei", "operator", "$argon2id$v=19$m=65536,t=3,p=4$x$y")
            uow.commit()
        with SqlUnitOfWork(engine) as uow:
            assert uow.staff.by_username("li.lei") == user
            assert verify(uow.audit.entries(), uow.audit.head()) == []
        downgrade(engine, "0005")
        assert not {"staff_users", "staff_sessions", "consent_campaigns"} & set(
            inspect(engine).get_table_names()
        )
        upgrade(engine)
        with SqlUnitOfWork(engine) as uow:
            assert uow.staff.list() == []
    finally:
        engine.dispose()
