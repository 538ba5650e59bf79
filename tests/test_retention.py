"""Retention sweeps (X38, W13) against the sample lending back-end of 小赢卡贷.

The stores are real: PostgreSQL + MariaDB (``services``) or SQLite files (``sqlite``).
The data map gives ``devices`` the browse-only rule (1 month after ``last_seen_at``) and
``users`` the account rule (5 years after ``cancelled_at``, then anonymised). Every
assertion compares the stores with an oracle computed here from the raw rows and
``Duration.after`` — independent of the sweeper's SQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from yinsi.cli import retention as retention_cli
from yinsi.connectors import Connectors
from yinsi.declaration.datamap import DataMap, RetentionRef
from yinsi.declaration.datamap_checks import check_data_map
from yinsi.declaration.schema import Duration
from yinsi.lifecycle.deidentify import apply
from yinsi.lifecycle.retention import (
    MAX_BATCH,
    MIN_BATCH,
    SweepAction,
    cutoff,
    last_expired_day,
    next_batch_size,
    plan,
)
from yinsi.rights.holds import LegalHold
from yinsi.security import verify
from yinsi.services.consent import Engine
from yinsi.services.retention import AUDIT_ACTION, BatchDone, RetentionService, stored_legal_holds
from yinsi.services.root import Services
from yinsi.storage import create_engine
from yinsi_demo import CORE, Cell

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["sample_fixtures"]

HASH_KEY = b"retention-test-erasure-key-012345"
DECLARATION = Path(__file__).resolve().parent.parent / "examples/declarations/xiaoying-kadai.yaml"


# ---------------------------------------------------------------- the oracle


def _rows(stores: LendingStores, table: str, *columns: str) -> list[tuple[Any, ...]]:
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=stores.engines[CORE])
    with stores.engines[CORE].connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.select(*(t.c[c] for c in columns)).order_by(t.c.id))
        ]


def _expired(length: Duration, since: object, day: date) -> bool:
    if since is None:
        return False
    start = since.date() if isinstance(since, datetime) else since
    assert isinstance(start, date)
    return length.after(start) <= day


def _expected(
    stores: LendingStores, before: dict[Cell, object], day: date, held_subject: str | None
) -> dict[Cell, object]:
    """The stores after a perfect sweep as of ``day``: expired, unheld devices gone,
    expired, unheld users' fields erased by their strategies; nothing else changed."""
    rules = {r.id: r for r in stores.declaration.retention}
    browse, account = rules["browse_only"].period, rules["account_data"].period
    assert browse is not None and account is not None
    gone = {
        str(pk)
        for pk, user, seen in _rows(stores, "devices", "id", "user_id", "last_seen_at")
        if _expired(browse, seen, day) and user != held_subject
    }
    erased = {
        str(pk)
        for pk, cancelled in _rows(stores, "users", "id", "cancelled_at")
        if _expired(account, cancelled, day) and pk != held_subject
    }
    fields = {f.name: f for f in stores.data_map.dataset("users").fields}
    expected: dict[Cell, object] = {}
    for cell, value in before.items():
        if cell.dataset == "devices" and cell.key in gone:
            continue
        if cell.dataset == "users" and cell.key in erased:
            f = fields[cell.name]
            value = apply(f.erase.value, value, element=f.element, key=HASH_KEY)
            if value is None:
                continue
        expected[cell] = value
    return expected


def _split_day(stores: LendingStores, table: str, column: str, length: Duration) -> date:
    """A day on which about half the rows with a date in ``column`` have expired."""
    days = sorted(
        (v.date() if isinstance(v, datetime) else v)
        for (v,) in _rows(stores, table, column)
        if v is not None
    )
    assert len(days) >= 2, f"the sample needs two {table}.{column} dates"
    middle = days[len(days) // 2]
    assert isinstance(middle, date)
    return length.after(middle)


# ---------------------------------------------------------------- fixtures


def _engine(tmp_path: Path) -> Services:
    """yinsi's services on a fresh embedded database with the declaration published."""
    Engine.embedded(tmp_path / "yinsi.db").close()
    services = Services(create_engine(f"sqlite:///{tmp_path / 'yinsi.db'}"), actor="test")
    services.consent.publish(DECLARATION)
    return services


def _service(stores: LendingStores, engine: Services, tmp_path: Path) -> RetentionService:
    engine.connectors = Connectors(stores.data_map, environ=stores.environ)  # closed with it
    return RetentionService(
        engine.consent,
        stores.data_map,
        engine.connectors,
        units=engine.units,
        hash_key=HASH_KEY,
        home=tmp_path / "home",
        legal_holds=stored_legal_holds(engine.units),
        environ=stores.environ,
        actor="test",
    )


def _hold(engine: Services, subject: str) -> None:
    hold = LegalHold(
        id="lh_retention",
        app_id="xiaoying_kadai",
        subject_id=subject,
        reason="存在未决的借款纠纷",
        created_at=datetime(2025, 6, 1, tzinfo=UTC),
        created_by="staff",
    )
    with engine.units() as uow:
        uow.holds.add(hold, actor="staff")
        uow.commit()


def _days(stores: LendingStores) -> tuple[date, date, str]:
    """A day splitting the devices, a later one splitting the cancelled users, and the
    first cancelled user (to put under a legal hold)."""
    rules = {r.id: r for r in stores.declaration.retention}
    browse, account = rules["browse_only"].period, rules["account_data"].period
    assert browse is not None and account is not None
    devices_day = _split_day(stores, "devices", "last_seen_at", browse)
    users_day = _split_day(stores, "users", "cancelled_at", account)
    cancelled = [(c, pk) for pk, c in _rows(stores, "users", "id", "cancelled_at") if c is not None]
    held = str(min(cancelled)[1])  # the earliest: expired on users_day
    return devices_day, users_day, held


def _audited(engine: Services) -> list[dict[str, object]]:
    with engine.units() as uow:
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert verify(entries, head) == []
    return [dict(e.details) for e in entries if e.action == AUDIT_ACTION]


# ---------------------------------------------------------------- tests


def test_x38_w13_sweep_deletes_exactly_expired_unheld_rows(
    lending_stores: LendingStores, tmp_path: Path
) -> None:
    stores = lending_stores
    devices_day, users_day, held = _days(stores)
    assert devices_day < users_day
    with _engine(tmp_path) as engine:
        _hold(engine, held)
        service = _service(stores, engine, tmp_path)
        try:
            # Batches of 3 keys, then adaptive batches (sized by time).
            for day, batch in ((devices_day, 3), (users_day, None)):
                before = stores.snapshot()
                expected = _expected(stores, before, day, held)
                assert expected != before, f"nothing expires on {day}: the test proves nothing"
                report = service.run(day, batch=batch)
                after = stores.snapshot()
                assert after == expected
                assert not report.resumed
                assert not service.checkpoint_path.exists()
            # A held subject keeps everything; a second run changes nothing.
            assert any(c.key == held and c.name == "name" for c in after)
            again = service.run(users_day, batch=3)
            assert sum(again.rows.values()) == 0
            assert stores.snapshot() == after
        finally:
            service.close()
        swept = _audited(engine)
    assert swept and all(set(d) == {"dataset", "rule", "action", "rows", "cutoff"} for d in swept)
    assert {d["dataset"] for d in swept} == {"devices", "users"}


def test_x38_interrupted_sweep_resumes_to_the_same_result(
    lending_stores: LendingStores, tmp_path: Path
) -> None:
    stores = lending_stores
    _, users_day, _ = _days(stores)
    before = stores.snapshot()
    expected = _expected(stores, before, users_day, None)
    with _engine(tmp_path) as engine:
        service = _service(stores, engine, tmp_path)
        try:
            batches: list[BatchDone] = []

            def crash_after_first(done: BatchDone) -> None:
                batches.append(done)
                raise KeyboardInterrupt  # the operator pressed Ctrl-C

            with pytest.raises(KeyboardInterrupt):
                service.run(users_day, batch=2, on_batch=crash_after_first)
            # 2 keys, or on PostgreSQL the first page of devices (``test_retention_walks``).
            (first,) = batches
            assert first.rows == 2 or (stores.backend == "services" and first.rows >= 2)
            # Not audited yet (entries are about one a second, and one when a dataset is
            # done): the checkpoint keeps the count.
            saved = json.loads(service.checkpoint_path.read_text(encoding="utf-8"))
            unaudited = saved["datasets"][first.dataset]["unaudited"]
            audited = [int(str(d["rows"])) for d in _audited(engine)]
            assert (audited, unaudited) == (([first.rows], 0) if first.done else ([], first.rows))
            middle = stores.snapshot()
            assert middle not in (before, expected)
            report = service.run(users_day, batch=2)
            assert report.resumed
            assert stores.snapshot() == expected
            assert not service.checkpoint_path.exists()
        finally:
            service.close()
        swept = _audited(engine)
    rows = {ds: sum(int(str(d["rows"])) for d in swept if d["dataset"] == ds) for ds in report.rows}
    devices_gone = len({c.key for c in before if c.dataset == "devices"}) - len(
        {c.key for c in expected if c.dataset == "devices"}
    )
    assert devices_gone > 0
    assert rows["devices"] == devices_gone
    # The crashed run's rows and the resumed run's add up; far fewer entries than batches.
    assert sum(rows.values()) == first.rows + sum(report.rows.values())
    assert len(swept) <= len(report.rows) + 1 < report.batches


def test_x38_plan_is_a_dry_run(lending_stores: LendingStores, tmp_path: Path) -> None:
    stores = lending_stores
    devices_day, _, held = _days(stores)
    before = stores.snapshot()
    expected = _expected(stores, before, devices_day, held)
    with _engine(tmp_path) as engine:
        _hold(engine, held)
        service = _service(stores, engine, tmp_path)
        try:
            counts = {c.plan.dataset: c for c in service.counts(devices_day)}
        finally:
            service.close()
        assert _audited(engine) == []
    assert stores.snapshot() == before
    devices_before = {c.key for c in before if c.dataset == "devices"}
    devices_after = {c.key for c in expected if c.dataset == "devices"}
    held_devices = {
        str(pk) for pk, user in _rows(stores, "devices", "id", "user_id") if user == held
    }
    assert counts["devices"].count.due == len(devices_before - devices_after)
    assert counts["devices"].plan.action is SweepAction.DELETE
    assert counts["users"].plan.action is SweepAction.ERASE_FIELDS
    assert counts["devices"].plan.excluded == frozenset(held_devices)


def test_x38_cli_plan_and_run(
    lending_stores: LendingStores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = lending_stores
    devices_day, _, _ = _days(stores)
    before = stores.snapshot()
    expected = _expected(stores, before, devices_day, None)
    url = f"sqlite:///{(tmp_path / 'yinsi.db').resolve()}"
    _engine(tmp_path).close()
    monkeypatch.setenv("YINSI_HOME", str(tmp_path / "home"))
    map_file = Path(__file__).resolve().parent.parent / "examples/datamaps/xiaoying-kadai.yaml"
    runner = CliRunner()
    args = ["--map", str(map_file), "--url", url, "--today", devices_day.isoformat()]
    shown = runner.invoke(retention_cli.app, ["plan", *args])
    assert shown.exit_code == 0, shown.output
    assert "devices" in shown.output and "browse_only" in shown.output
    # each dataset's line says what its sweep does, no more: rows deleted, or the fields'
    # strategies (users: anonymise, mask/keyed_hash/generalise, null)
    lines = {line.split(": ")[0].split()[-1]: line for line in shown.output.splitlines()}
    assert "→ 删除" in lines["devices"]
    assert "→ 匿名化、去标识化、清除字段" in lines["users"]
    assert stores.snapshot() == before
    done = runner.invoke(retention_cli.app, ["run", *args, "--batch", "4"])
    assert done.exit_code == 0, done.output
    assert stores.snapshot() == expected
    bad = runner.invoke(retention_cli.app, ["run", *args[:4], "--today", "2026-13-01"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output


# ---------------------------------------------------------------- the pure plan


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["days", "weeks", "months", "years"]),
    st.integers(min_value=-400, max_value=400),
)
def test_x38_cutoff_is_the_inverse_of_after(
    today: date, amount: int, unit: str, shift: int
) -> None:
    length = Duration.model_validate({"amount": amount, "unit": unit})
    last = last_expired_day(length, today)
    assert length.after(last) <= today
    assert length.after(last + timedelta(days=1)) > today
    day = last + timedelta(days=shift)
    assert (length.after(day) <= today) == (day < cutoff(length, today))


@given(
    st.integers(min_value=MIN_BATCH, max_value=MAX_BATCH),
    st.floats(min_value=0, max_value=60, allow_nan=False),
    st.floats(min_value=0.01, max_value=5, allow_nan=False),
)
def test_x38_batch_size_aims_at_the_target_time(size: int, elapsed: float, target: float) -> None:
    """Adaptive batches move toward ``target`` seconds, by at most 8x up / 4x down, in bounds."""
    new = next_batch_size(size, elapsed, target)
    assert MIN_BATCH <= new <= MAX_BATCH
    assert new <= size * 8 and (new >= size // 4 or new == MIN_BATCH)
    if elapsed > target:
        assert new <= size  # too slow: never larger
    elif new < size:
        assert new == MAX_BATCH or elapsed == target  # fast enough: never smaller


def test_x38_batch_size_reaches_its_pace_in_a_few_batches() -> None:
    # 1 µs per key, 0.2 s per batch: 200,000 keys, from 5,000 within three steps.
    size, sizes = 5000, []
    for _ in range(5):
        size = next_batch_size(size, size * 1e-6, 0.2)
        sizes.append(size)
    assert sizes[:2] == [40_000, 200_000] and sizes[-1] == 200_000
    with pytest.raises(ValueError, match="positive"):
        next_batch_size(5000, 0.1, 0)


def test_w13_plan_months_clamp_and_holds(sample_declaration: object) -> None:
    from sample_fixtures import DATA_MAP_PATH, load_declaration
    from yinsi.declaration.datamap_checks import load_data_map

    declaration = load_declaration()
    data_map = load_data_map(DATA_MAP_PATH, declaration)
    plans = {p.dataset: p for p in plan(data_map, declaration, date(2026, 2, 28))}
    assert plans["devices"].cutoff == date(2026, 2, 1)  # 31 Jan + 1m = 28 Feb: expired
    assert plans["users"].cutoff == date(2021, 3, 1)
    # loans carry a hold, not a retention reference: not swept
    loans = data_map.dataset("loans").model_copy(
        update={"retention": RetentionRef(rule="account_data", since="settled_at")}
    )
    datasets = [loans if d.id == "loans" else d for d in data_map.datasets]
    with_loans = data_map.model_copy(update={"datasets": datasets})
    held = {p.dataset: p for p in plan(with_loans, declaration, date(2026, 2, 28))}["loans"]
    (hold,) = held.holds
    assert hold.condition == "status = 'outstanding'" and hold.held_from == date(2021, 3, 1)


def _with(data_map: DataMap, dataset: str, **update: object) -> DataMap:
    datasets = [d.model_copy(update=update) if d.id == dataset else d for d in data_map.datasets]
    return data_map.model_copy(update={"datasets": datasets})


def test_x38_data_map_checks_retention() -> None:
    from sample_fixtures import DATA_MAP_PATH, load_declaration
    from yinsi.declaration.datamap_checks import load_data_map

    declaration = load_declaration()
    data_map = load_data_map(DATA_MAP_PATH, declaration)
    assert not [i for i in check_data_map(data_map, declaration) if i.severity == "error"]

    def errors(m: DataMap) -> list[str]:
        return [i.message for i in check_data_map(m, declaration) if i.severity == "error"]

    unknown = _with(data_map, "devices", retention=RetentionRef(rule="nope", since="x"))
    assert any("unknown retention rule 'nope'" in e for e in errors(unknown))
    redis = _with(data_map, "sessions", retention=RetentionRef(rule="browse_only", since="x"))
    assert any("for SQL datasets" in e for e in errors(redis))
    parent = _with(
        data_map, "loans", retention=RetentionRef(rule="account_data", since="settled_at")
    )
    assert any("repayments, contracts" in e for e in errors(parent))
    no_period = declaration.model_copy(
        update={
            "retention": [
                r.model_copy(update={"period": None}) if r.id == "browse_only" else r
                for r in declaration.retention
            ]
        }
    )
    found = [i.message for i in check_data_map(data_map, no_period) if i.severity == "error"]
    assert any("has no `period`" in e for e in found)
