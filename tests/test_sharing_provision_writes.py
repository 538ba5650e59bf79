"""The provision write made short for issue 15's overhead target (W11, X41): one
transaction with its audit entry, no savepoint or re-read on SQLite, the chain intact under
concurrent writers on SQLite and PostgreSQL, and the SQLite sync level configurable."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from yinsi.consent import Channel, Evidence
from yinsi.lifecycle.sharing import Provision
from yinsi.security import verify
from yinsi.services.root import Services
from yinsi.storage import upgrade
from yinsi.storage.audit import AuditHeadMissing
from yinsi.storage.database import (
    SYNCHRONOUS_ENV,
    SynchronousSettingInvalid,
    create_engine,
)

pytest_plugins = ["storage_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP)
FUNDER = ("funders", ["name", "id_number"], "loan_service")


@pytest.fixture
def services(engine: Engine) -> Iterator[Services]:
    """yinsi on each backend with 小赢卡贷 published."""
    services = Services(engine, actor="backend")
    services.consent.publish(DECLARATION)
    yield services


def consented(services: Services, subject: str) -> None:
    services.consent.accept_policy(APP, subject, evidence=EVIDENCE)
    services.consent.grant(APP, subject, "funder_sharing", evidence=EVIDENCE)


def provide_many(services: Services, subject: str, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        outcome = services.sharing.provide(APP, subject, *FUNDER)
        assert outcome.provision is not None and outcome.provision.id is not None
        ids.append(outcome.provision.id)
    return ids


def test_w11_x41_concurrent_provisions_keep_one_intact_chain(services: Services) -> None:
    subjects = [f"u{n}" for n in range(4)]
    for subject in subjects:
        consented(services, subject)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(provide_many, services, s, 15) for s in subjects]
        ids = [i for future in futures for i in future.result()]
    assert len(set(ids)) == 60
    with services.units() as uow:
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert verify(entries, head) == []
    recorded = [e.details["provision_id"] for e in entries if e.action == "provision.recorded"]
    assert sorted(ids) == sorted(r for r in recorded if isinstance(r, int))
    assert len(recorded) == len(ids)  # each provision audited once, with its id
    for subject in subjects:
        shown = services.sharing.provisions(APP, subject)
        assert len(shown) == 15 and {p.consent_id for p in shown} == {"funder_sharing"}


def test_w11_a_provision_and_its_audit_entry_are_stored_together_or_not_at_all(
    services: Services,
) -> None:
    consented(services, "u1")
    first = services.sharing.provide(APP, "u1", *FUNDER).provision
    assert first is not None and first.id is not None
    with services.units() as uow:
        before = uow.audit.head()
    kept = Provision(APP, "u1", "funders", ("name",), "loan_service", "consent", first.at, "t")
    with services.units() as uow:  # never committed: neither the row nor the entry stays
        assert uow.provisions.record(kept).id is not None
    with services.units() as uow:
        assert uow.audit.head() == before
    assert [p.id for p in services.sharing.provisions(APP, "u1")] == [first.id]
    with services.database.begin() as conn:  # the chain's head row removed (tampering)
        on = " ON audit_head" if conn.dialect.name == "postgresql" else ""
        conn.execute(sa.text(f"DROP TRIGGER audit_head_no_delete{on}"))
        conn.execute(sa.text("DELETE FROM audit_head"))
    with pytest.raises(AuditHeadMissing):  # the entry cannot be chained: no provision either
        services.sharing.provide(APP, "u1", *FUNDER)
    assert [p.id for p in services.sharing.provisions(APP, "u1")] == [first.id]


def test_w11_the_provision_write_on_sqlite_is_one_short_transaction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    database = create_engine(url)
    services = Services(database, actor="backend")
    services.consent.publish(DECLARATION)
    consented(services, "u1")
    services.sharing.provide(APP, "u1", *FUNDER)  # caches warm
    database.dispose()  # connections opened from now on are traced
    statements: list[str] = []

    def _seen(statement: str) -> None:  # what SQLite itself runs, driver cursor or not
        if not statement.startswith("--"):  # a trigger's own statements
            statements.append(" ".join(statement.split())[:40].upper())

    @event.listens_for(database, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(_seen)

    outcome = services.sharing.provide(APP, "u1", *FUNDER)
    assert outcome.provision is not None
    start = statements.index("BEGIN IMMEDIATE")
    writes = statements[start : statements.index("COMMIT", start)]
    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE"))]
    assert [s.split()[0] for s in writes] == [
        "BEGIN",  # the write lock, taken first
        "SELECT",  # the subject's consent state, read under the lock
        # no upsert of the app row: the state row just read references it
        "INSERT",  # the provision, its id RETURNING
        "SELECT",  # the audit chain's head
        "INSERT",  # the audit entry
        "UPDATE",  # the head moved
    ]
    assert not [s for s in writes if "FROM PROVISIONS" in s]  # no re-read of the row
    assert [s for s in statements if s.startswith("SELECT CONSENT_STATES")] == [writes[1]]
    statements.clear()  # a subject never seen: a legal-basis provision upserts the app row
    legal = services.sharing.provide(APP, "u2", "state_organs", ["id_number"], "legal_compliance")
    assert legal.provision is not None
    start = statements.index("BEGIN IMMEDIATE")
    writes = statements[start : statements.index("COMMIT", start)]
    assert [s.split()[0] for s in writes][:4] == ["BEGIN", "SELECT", "INSERT", "INSERT"]
    assert writes[2].startswith("INSERT INTO APPS")
    database.dispose()


def test_w11_x22_a_withdrawal_waits_for_a_provision_decided_on_the_state_before_it(
    services: Services,
) -> None:
    """The state a provision is decided on is read under a lock a withdrawal must wait for:
    the withdrawal is ordered after the provision, never between its decision and record."""
    consented(services, "u1")
    with services.provision_units() as unit:
        state = unit.state(APP, "u1")
        assert "funder_sharing" in state.granted
        with ThreadPoolExecutor(max_workers=1) as pool:
            withdrawal = pool.submit(
                services.consent.withdraw, APP, "u1", "funder_sharing", evidence=EVIDENCE
            )
            with pytest.raises(TimeoutError):  # it waits for the provision's transaction
                withdrawal.result(timeout=0.5)
            kept = Provision(
                APP,
                "u1",
                "funders",
                ("name",),
                "loan_service",
                "consent",
                services.clock(),
                "backend",
                consent_id="funder_sharing",
            )
            unit.record(kept)
            unit.commit()
            withdrawal.result(timeout=30)
    after = services.sharing.provide(APP, "u1", *FUNDER)
    assert not after.decision.allowed and after.provision is None
    with services.units() as uow:
        actions = [e.action for e in uow.audit.entries()]
    recorded = actions.index("provision.recorded")
    assert actions.index("consent.consent_withdrawn", recorded) > recorded
    assert actions[-1] == "provision.refused"


def pragma_synchronous(url: str) -> int:
    database = create_engine(url)
    try:
        with database.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
    finally:
        database.dispose()


def test_sqlite_files_sync_every_commit_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    monkeypatch.delenv(SYNCHRONOUS_ENV, raising=False)
    assert pragma_synchronous(url) == 2  # FULL
    monkeypatch.setenv(SYNCHRONOUS_ENV, "normal")
    assert pragma_synchronous(url) == 1  # NORMAL
    monkeypatch.setenv(SYNCHRONOUS_ENV, "off")
    with pytest.raises(SynchronousSettingInvalid, match=SYNCHRONOUS_ENV):
        create_engine(url)
