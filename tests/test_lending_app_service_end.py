"""X39 on the reference lending app: users registered and applying through the app's own
HTTP API, then ``yinsi service-end announce|status|run`` with the app's data map
(examples/lending_app/datamap.yaml, its store at ``${LENDING_DATABASE_URL}``, the app's
key file as ``YINSI_KEY_FILE``): every user is told in advance, and afterwards the app's PI
tables hold none of their PI (rows gone, PI columns of kept rows erased)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lending_app.settings import EXAMPLES
from typer.testing import CliRunner

from test_lending_app_fixtures import (
    APP,
    CREDIT_CONSENTS,
    FORM,
    Lending,
    auth,
    id_number,
)
from yinsi.cli.app import app
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.taxonomy.timezone import CHINA

pytest_plugins = ["test_lending_app_fixtures"]

DATA_MAP = EXAMPLES / "lending_app" / "datamap.yaml"


def _users(lending: Lending) -> list[dict[str, str]]:
    """Three users: one borrower with a credit-line application, two account holders."""
    borrower = lending.register()
    for consent in (*CREDIT_CONSENTS, "funder_sharing"):
        answer = lending.client.post(f"/api/consents/{consent}", headers=auth(borrower["token"]))
        assert answer.status_code == 204, answer.text
    applied = lending.client.post("/api/credit-line", json=FORM, headers=auth(borrower["token"]))
    assert applied.status_code == 201, applied.text
    others = [
        lending.register(phone=f"1390000{n:04d}", number=id_number(date(1988, 3, n + 1), "456"))
        for n in (1, 2)
    ]
    return [borrower, *others]


def _pi(lending: Lending) -> dict[str, list[dict[str, Any]]]:
    """Each SQL dataset of the data map: its rows, PI columns only (with the key)."""
    raw, problems = read_data_map(DATA_MAP)
    assert raw is not None, problems
    found: dict[str, list[dict[str, Any]]] = {}
    inspector = sa.inspect(lending.db)
    for ds in raw.datasets:
        if ds.table is None or not inspector.has_table(ds.table):
            continue
        columns = [ds.primary_key, *(f.column for f in ds.fields if f.column)]
        found[ds.id] = [{c: row[c] for c in columns if c in row} for row in lending.rows(ds.table)]
    return found


def _cli(lending: Lending, tmp_path: Path, *args: str) -> Any:
    env = {
        "LENDING_DATABASE_URL": lending.db.url.render_as_string(False),
        "YINSI_KEY_FILE": str(tmp_path / "keys.json"),
        "YINSI_HOME": str(tmp_path / "yinsi-home"),
        "YINSI_DEMO": "1",  # the demo sender: every notice recorded, nothing sent
    }
    url = lending.yinsi.database.url.render_as_string(False)
    command = ["service-end", *args, APP, "--map", str(DATA_MAP), "--url", url]
    return CliRunner().invoke(app, command, env=env)


def test_x39_the_lending_app_users_are_told_then_their_pi_is_erased_from_its_tables(
    lending: Lending, tmp_path: Path
) -> None:
    assert lending.client.get("/api/products").status_code == 200  # a guest's browsing
    lending.client.cookies.clear()
    users = _users(lending)
    ids = sorted(u["user_id"] for u in users)
    before = _pi(lending)
    assert before["users"] and before["credit_applications"] and before["bank_cards"]

    today = datetime.now(CHINA).date()  # yinsi counts notice days on China's calendar
    later = (today + timedelta(days=1)).isoformat()
    announced = _cli(lending, tmp_path, "announce", "--ends-on", later, "--min-notice-days", "1")
    assert announced.exit_code == 0, announced.output
    assert "已通知，待停止" in announced.output and later in announced.output
    notices = lending.yinsi.delivery.records(f"service_end:{APP}")
    assert sorted(r.subject_id or "" for r in notices) == ids
    assert {r.outcome for r in notices} == {"delivered"}  # to the clear phone on file
    assert {r.channel for r in notices} <= {"sms", "push"}

    refused = _cli(lending, tmp_path, "run")
    assert refused.exit_code == 1 and later in refused.output
    assert _pi(lending) == before

    # The end date arrives (the CLI runs on the real clock: the stored date is moved).
    with lending.yinsi.database.begin() as conn:
        conn.execute(sa.text("UPDATE service_ends SET ends_on = :day"), {"day": today})
    ran = _cli(lending, tmp_path, "run")
    assert ran.exit_code == 0, ran.output
    assert "已完成" in ran.output

    after = _pi(lending)
    for dataset, rows in before.items():
        kept = {str(r[next(iter(r))]): r for r in after[dataset]}
        for row in rows:
            key = next(iter(row))
            now = kept.get(str(row[key]))
            if now is None:
                continue  # the row is gone
            for column, value in row.items():
                if column != key and value is not None:
                    assert now[column] != value, f"{dataset}.{column} still holds PI"
    assert before["guest_visits"] and after["guest_visits"] == []  # leads to no user
    for dataset in ("credit_applications", "bank_cards", "contacts", "id_verifications"):
        assert after[dataset] == [], dataset
    for user in ids:
        state = lending.yinsi.consent.state(APP, user)
        assert not state.granted, state
    status = _cli(lending, tmp_path, "status")
    assert status.exit_code == 0 and "已完成 3" in status.output, status.output
