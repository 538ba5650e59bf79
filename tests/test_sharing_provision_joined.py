"""A provision written in the caller's own transaction (W11, X41; issue 15): an app that keeps
yinsi's tables in its SQLite file stores its row and yinsi's record of the provision in one
transaction — both or neither, one durable commit — and a connection that cannot carry the
record (another file, a weaker sync level, another backend) is refused with what to change."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from test_sharing_provision_writes import APP, DECLARATION, EVIDENCE, FUNDER, consented
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage.lifecycle_ports import JoinRefused

pytest_plugins = ["storage_fixtures"]


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Services, sa.Engine]]:
    """yinsi on a SQLite file, and the app's own engine on the same file with one table."""
    path = tmp_path / "app.db"
    Engine.embedded(path).close()
    url = f"sqlite:///{path}"
    services = Services.open(url, actor="backend")
    services.consent.publish(DECLARATION)
    app = sa.create_engine(url)
    with app.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE loans (id INTEGER PRIMARY KEY, provision_id INTEGER)")
    yield services, app
    app.dispose()
    services.close()


def actions(services: Services) -> list[str]:
    with services.units() as uow:
        return [e.action for e in uow.audit.entries()]


def test_w11_joined_provision_commits_with_the_apps_row(
    shared: tuple[Services, sa.Engine],
) -> None:
    services, app = shared
    consented(services, "u1")
    with app.begin() as conn:
        outcome = services.sharing.provide(APP, "u1", *FUNDER, within=conn)
        assert outcome.provision is not None
        conn.execute(
            sa.text("INSERT INTO loans (provision_id) VALUES (:p)"), {"p": outcome.provision.id}
        )
    [kept] = services.sharing.provisions(APP, "u1")
    with app.connect() as conn:
        assert conn.execute(sa.text("SELECT provision_id FROM loans")).scalar_one() == kept.id
    assert actions(services)[-1] == "provision.recorded"
    assert services.audit.verify().intact


def test_w11_joined_provision_rolls_back_with_the_app(shared: tuple[Services, sa.Engine]) -> None:
    services, app = shared
    consented(services, "u1")
    before = actions(services)
    with pytest.raises(RuntimeError), app.begin() as conn:
        outcome = services.sharing.provide(APP, "u1", *FUNDER, within=conn)
        assert outcome.provision is not None
        raise RuntimeError("the app's own write failed")
    assert services.sharing.provisions(APP, "u1") == []
    assert actions(services) == before  # no audit entry of a provision that never happened
    assert services.audit.verify().intact
    again = services.sharing.provide(APP, "u1", *FUNDER)  # yinsi's own connection: not locked
    assert again.provision is not None


def test_x41_joined_refusal_is_audited_when_the_caller_commits(
    shared: tuple[Services, sa.Engine],
) -> None:
    services, app = shared
    services.consent.accept_policy(APP, "u2", evidence=EVIDENCE)  # no funder_sharing consent
    with app.begin() as conn:
        outcome = services.sharing.provide(APP, "u2", *FUNDER, within=conn)
    assert outcome.provision is None and not outcome.decision.allowed
    assert actions(services)[-1] == "provision.refused"
    assert services.sharing.provisions(APP, "u2") == []


def test_w11_a_withdrawal_waits_for_the_joined_transaction(
    shared: tuple[Services, sa.Engine],
) -> None:
    """The joined transaction takes SQLite's write lock before it reads the consent state:
    a withdrawal is ordered after the provision, never between its decision and its record."""
    services, app = shared
    consented(services, "u1")
    done = threading.Event()

    def withdraw() -> None:
        services.consent.withdraw(APP, "u1", "funder_sharing", evidence=EVIDENCE)
        done.set()

    with app.begin() as conn:
        outcome = services.sharing.provide(APP, "u1", *FUNDER, within=conn)
        worker = threading.Thread(target=withdraw)
        worker.start()
        time.sleep(0.3)
        assert not done.is_set()  # waiting on the app's transaction
        assert outcome.provision is not None
    worker.join(timeout=30)
    assert done.is_set()
    recorded = actions(services).index("provision.recorded")
    assert actions(services).index("consent.consent_withdrawn", recorded) > recorded
    assert not services.sharing.provide(APP, "u1", *FUNDER).decision.allowed


def test_w11_join_refused_for_another_file(
    shared: tuple[Services, sa.Engine], tmp_path: Path
) -> None:
    services, _ = shared
    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with other.begin() as conn, pytest.raises(JoinRefused, match="yinsi's own file"):
        services.sharing.provide(APP, "u1", *FUNDER, within=conn)
    other.dispose()


def test_w11_join_refused_below_yinsis_sync_level(shared: tuple[Services, sa.Engine]) -> None:
    services, app = shared
    with app.connect() as conn:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        with pytest.raises(JoinRefused, match="PRAGMA synchronous = FULL"):
            services.sharing.provide(APP, "u1", *FUNDER, within=conn)


def test_w11_join_refused_for_what_is_not_a_sqlite_connection(
    shared: tuple[Services, sa.Engine],
) -> None:
    services, _ = shared
    with pytest.raises(JoinRefused, match="not str"):
        services.sharing.provide(APP, "u1", *FUNDER, within="sqlite:///x.db")


def test_w11_join_accepts_the_drivers_own_connection(shared: tuple[Services, sa.Engine]) -> None:
    services, app = shared
    consented(services, "u1")
    path = app.url.database
    assert path is not None
    raw = sqlite3.connect(path)
    try:
        outcome = services.sharing.provide(APP, "u1", *FUNDER, within=raw)
        assert outcome.provision is not None
        reader = sqlite3.connect(path)
        assert reader.execute("SELECT count(*) FROM provisions").fetchone() == (0,)  # not yet
        reader.close()
        raw.commit()
    finally:
        raw.close()
    assert len(services.sharing.provisions(APP, "u1")) == 1


def test_w11_join_refused_when_yinsi_is_not_on_sqlite(postgres_url: str) -> None:
    services = Services.open(postgres_url, actor="backend")
    try:
        services.consent.publish(DECLARATION)
        with pytest.raises(JoinRefused, match="only a SQLite database"):
            services.sharing.provide(APP, "u1", *FUNDER, within=object())
    finally:
        services.close()
