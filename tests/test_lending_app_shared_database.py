"""The reference lending app with yinsi embedded in its own SQLite file (issue 15, X10, W05,
W11): the app's rows and yinsi's record of a provision are written in one transaction, so
they commit together or not at all, and a refused provision stores nothing and is audited
once. The app's flows themselves run on this configuration too (the ``shared`` parameter of
the ``lending`` fixture in every lending-app module)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from lending_app.privacy import Privacy, Refused
from lending_app.repository_loans import FUNDER, TO_FUNDER

from test_lending_app_fixtures import (
    APP,
    CREDIT_CONSENTS,
    FORM,
    Lending,
    _lending,
    auth,
    id_number,
)

pytest_plugins = ["test_lending_app_fixtures"]

SHARE_CONSENT = "funder_sharing"


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Lending]:
    url = f"sqlite:///{tmp_path / 'lending.db'}"
    with _lending(tmp_path, url, yinsi_url=url) as found:
        yield found


def privacy(lending: Lending) -> Privacy:
    found: Privacy = lending.client.app.state.lending.privacy  # type: ignore[attr-defined]
    return found


def refusals(lending: Lending) -> int:
    with lending.yinsi.units() as uow:
        return sum(1 for e in uow.audit.entries() if e.action == "provision.refused")


def test_x10_shared_database_application_and_provision_in_one_file(shared: Lending) -> None:
    user = shared.consenting(*CREDIT_CONSENTS, SHARE_CONSENT)
    answer = shared.client.post("/api/credit-line", json=FORM, headers=auth(user["token"]))
    assert answer.status_code == 201, answer.text
    [application] = shared.rows("credit_applications")
    [provision] = shared.yinsi.sharing.provisions(APP, user["user_id"])
    assert application["provision_id"] == provision.id
    with shared.db.connect() as conn:
        tables = set(conn.execute(sa.text("SELECT name FROM sqlite_master")).scalars())
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    assert {"provisions", "audit_entries", "credit_applications"} <= tables
    assert mode == "wal"
    assert shared.yinsi.audit.verify().intact


def test_w05_shared_database_refused_provision_stores_nothing_and_is_audited(
    shared: Lending,
) -> None:
    user = shared.consenting(*CREDIT_CONSENTS)  # no consent to share with the funder
    before = refusals(shared)
    answer = shared.client.post("/api/credit-line", json=FORM, headers=auth(user["token"]))
    assert answer.status_code == 403 and answer.json()["step"] == "provide:funders"
    assert shared.rows("credit_applications") == [] and shared.rows("id_verifications") == []
    assert shared.yinsi.sharing.provisions(APP, user["user_id"]) == []
    assert refusals(shared) == before + 1


def test_w11_shared_database_app_failure_undoes_the_provision(shared: Lending) -> None:
    user = shared.consenting(SHARE_CONSENT)
    with pytest.raises(RuntimeError), privacy(shared).writing(shared.db) as (conn, provide):
        assert provide(user["user_id"], FUNDER, TO_FUNDER) > 0
        conn.execute(sa.text("UPDATE users SET real_name_verified = 1"))
        raise RuntimeError("the app's own write failed after the provision")
    assert shared.yinsi.sharing.provisions(APP, user["user_id"]) == []
    assert not any(row["real_name_verified"] for row in shared.rows("users"))
    assert shared.yinsi.audit.verify().intact


def test_w11_shared_database_second_refusal_undoes_the_first_and_is_audited_once(
    shared: Lending,
) -> None:
    allowed = shared.consenting(SHARE_CONSENT)
    other = shared.register(phone="13800138001", number=id_number(date(1985, 3, 9)))
    before = refusals(shared)
    with pytest.raises(Refused), privacy(shared).writing(shared.db) as (_, provide):
        provide(allowed["user_id"], FUNDER, TO_FUNDER)
        provide(other["user_id"], FUNDER, TO_FUNDER)  # never consented: refused
    assert shared.yinsi.sharing.provisions(APP, allowed["user_id"]) == []
    assert refusals(shared) == before + 1
