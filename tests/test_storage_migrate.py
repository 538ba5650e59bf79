"""Migrations: empty → current, the un-migrated error, the default URL, the public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

import yinsi.storage
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
from yinsi.storage.migrate import MIGRATIONS
from yinsi.storage.tables import Base

pytest_plugins = ["storage_fixtures"]

TABLES = {"apps", "policy_versions", "consent_events", "consent_states"}


def test_migrate_from_empty_to_up_to_date(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    assert not is_up_to_date(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision() == "0003"
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
    assert caught.value.current is None and caught.value.head == "0003"


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
