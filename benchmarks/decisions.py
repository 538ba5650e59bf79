"""Consent decisions and consent writes, each against a baseline measured in the same run.

1. In-process ``decide()``: ``RuleBook.decide`` — what ``yinsi.Engine.decide`` runs once
   it has the subject's state — over every (scenario, element, purpose) entry of
   小赢卡贷 1.3, for a subject who accepted 1.3 and granted every consent item (the
   longest path: all checks run and the decision is ``consent``). Baseline: a bare
   ``dict.get`` of the same keys. Median and p99 per call in µs. ``Engine.decide`` with
   its state read from SQLite is printed too, for scale.
2. Consent writes per second through ``Engine.grant`` (one unit of work, one event and
   the derived state, one commit) on a SQLite file and on a PostgreSQL database created
   for the run (``yinsi_bench_<hex>``, dropped after). Baseline: single-row INSERTs
   through SQLAlchemy Core with a commit per row, on the same backend and engine setup.
3. TODO(issue 4, HTTP service): ``decide()`` over HTTP vs in-process. Not measured yet:
   the service does not exist. See ``_http_section``.

``vs_baseline`` in the JSON = decide median ÷ dict-lookup median (ours ÷ baseline).

    python benchmarks/decisions.py [--quick]

PostgreSQL: ``YINSI_BENCH_POSTGRES_URL`` (a maintenance database the user may create
databases from), default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``;
when it is unreachable the PostgreSQL figures are ``null``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from yinsi.consent import (
    Channel,
    ConsentState,
    Decision,
    Evidence,
    Rule,
    RuleBook,
    compile_rules,
)
from yinsi.consent.rules import Key
from yinsi.declaration import load
from yinsi.engine import Engine
from yinsi.storage import create_engine, upgrade

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "declarations" / "xiaoying-kadai.yaml"
)
APP = "xiaoying_kadai"
POSTGRES_ADMIN_URL = os.environ.get(
    "YINSI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
EVIDENCE = Evidence(Channel.APP, account="bench", signature_sha256="0" * 64)
INNER = 100
"""Calls per timed batch: one call (~1 µs) is too close to the timer's own resolution."""


def _per_call_us(fn: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    for _ in range(INNER):
        fn()
    return (time.perf_counter_ns() - start) / INNER / 1e3


def _summary(samples: list[float]) -> tuple[float, float]:
    """(median, p99) of per-call times in µs."""
    return statistics.median(samples), statistics.quantiles(samples, n=100)[98]


# ---------------------------------------------------------------- 1. decide()


def _pair(
    book: RuleBook,
    state: ConsentState,
    get: Callable[[Key], Rule | None],
    key: Key,
) -> tuple[Callable[[], Decision], Callable[[], Rule | None]]:
    """(ours, baseline) for one rule entry: the same key, decided or just looked up."""
    scenario, element, purpose = key

    def ours() -> Decision:
        return book.decide(state, element=element, purpose=purpose, scenario=scenario)

    def baseline() -> Rule | None:
        return get(key)

    return ours, baseline


def bench_decide(rounds: int) -> dict[str, Any]:
    declaration = load(EXAMPLE)
    rules = compile_rules(declaration)
    book = RuleBook.of(rules)
    everything = frozenset(c.id for c in declaration.consents)
    state = ConsentState(APP, "bench", accepted_version=rules.version, granted=everything)
    keys = list(rules.triples)
    calls = [_pair(book, state, rules.triples.get, key) for key in keys]
    for ours, base in calls:  # warm up; every entry is allowed by consent
        assert ours().allowed
        assert base() is not None
    decide_us: list[float] = []
    lookup_us: list[float] = []
    for _ in range(rounds):
        for ours, base in calls:  # interleaved, so drift hits both alike
            decide_us.append(_per_call_us(ours))
            lookup_us.append(_per_call_us(base))
    d_med, d_p99 = _summary(decide_us)
    b_med, b_p99 = _summary(lookup_us)
    return {
        "rule_entries": len(keys),
        "samples": len(decide_us),
        "decide_median_us": round(d_med, 3),
        "decide_p99_us": round(d_p99, 3),
        "dict_lookup_median_us": round(b_med, 3),
        "dict_lookup_p99_us": round(b_p99, 3),
    }


def bench_engine_decide(url: str, repeat: int) -> float:
    """Median µs of ``Engine.decide`` including the state read, on ``url``."""
    with Engine(url) as engine:
        engine.publish(EXAMPLE)
        engine.accept_policy(APP, "reader", evidence=EVIDENCE)
        times = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            engine.decide(
                APP, "reader", element="password", purpose="account_security", scenario="login"
            )
            times.append((time.perf_counter_ns() - start) / 1e3)
    return statistics.median(times)


# ---------------------------------------------------------------- 2. consent writes


def bench_writes(url: str, writes: int, subjects: int = 20) -> dict[str, Any]:
    """Grants/s through the Engine and single-row INSERTs/s with commit, on ``url``."""
    upgrade(url)
    with Engine(url) as engine:
        engine.publish(EXAMPLE)
        for i in range(subjects):
            engine.accept_policy(APP, f"w{i}", evidence=EVIDENCE)
        start = time.perf_counter()
        for i in range(writes):
            engine.grant(APP, f"w{i % subjects}", "marketing_messages", evidence=EVIDENCE)
        ours = writes / (time.perf_counter() - start)

    db = create_engine(url)  # the same engine setup yinsi uses (SQLite: WAL, BEGIN IMMEDIATE)
    try:
        table = sa.Table(
            "bench_baseline",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("subject_id", sa.String(255)),
            sa.Column("consent_id", sa.String(255)),
            sa.Column("at", sa.DateTime(timezone=True)),
        )
        table.create(db)
        insert = table.insert()
        start = time.perf_counter()
        for i in range(writes):
            with db.begin() as conn:
                conn.execute(
                    insert,
                    {
                        "subject_id": f"w{i % subjects}",
                        "consent_id": "marketing_messages",
                        "at": datetime.now(UTC),
                    },
                )
        baseline = writes / (time.perf_counter() - start)
    finally:
        db.dispose()
    return {
        "writes": writes,
        "grants_per_s": round(ours),
        "baseline_inserts_per_s": round(baseline),
        "vs_baseline": round(baseline / ours, 3),  # time per write: ours ÷ baseline
    }


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A new database ``yinsi_bench_<hex>``, dropped on leaving; None if unreachable."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"yinsi_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}; skipped")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------- 3. HTTP (TODO)


def _http_section() -> None:
    """TODO(issue 4, HTTP service): measure ``decide()`` through the HTTP service.

    When ``yinsi.api`` exists: start it on this machine against the same SQLite file,
    time ``POST /decide`` (and batch) with one keep-alive httpx client, and make the
    issue's ``vs_baseline`` = HTTP median ÷ in-process median, replacing the one below.
    """
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 minute)")
    args = parser.parse_args()
    rounds, writes, reads = (3, 200, 300) if args.quick else (30, 2000, 3000)

    decide = bench_decide(rounds)
    print(
        f"decide() over {decide['rule_entries']} rule entries: median "
        f"{decide['decide_median_us']:.2f} µs, p99 {decide['decide_p99_us']:.2f} µs   "
        f"dict lookup: median {decide['dict_lookup_median_us']:.3f} µs, "
        f"p99 {decide['dict_lookup_p99_us']:.3f} µs"
    )
    with tempfile.TemporaryDirectory(prefix="yinsi_bench_") as folder:
        read_url = f"sqlite:///{Path(folder) / 'read.db'}"
        upgrade(read_url)
        engine_decide_us = bench_engine_decide(read_url, reads)
        print(f"Engine.decide with the state read from SQLite: median {engine_decide_us:.0f} µs")
        sqlite = bench_writes(f"sqlite:///{Path(folder) / 'write.db'}", writes)
    print(
        f"SQLite writes: Engine.grant {sqlite['grants_per_s']}/s   "
        f"raw INSERT+commit {sqlite['baseline_inserts_per_s']}/s"
    )
    postgres: dict[str, Any] | None = None
    with postgres_database() as pg_url:
        if pg_url is not None:
            postgres = bench_writes(pg_url, writes)
            print(
                f"PostgreSQL writes: Engine.grant {postgres['grants_per_s']}/s   "
                f"raw INSERT+commit {postgres['baseline_inserts_per_s']}/s"
            )
    _http_section()
    print("HTTP decide(): TODO — the HTTP service does not exist yet (issue 4)")
    print(
        json.dumps(
            {
                "benchmark": "decisions",
                "file": EXAMPLE.name,
                **decide,
                "engine_decide_sqlite_median_us": round(engine_decide_us, 1),
                "sqlite_writes": sqlite,
                "postgresql_writes": postgres,
                "http_decide": None,  # TODO(issue 4): see _http_section
                # In-process decide ÷ dict lookup, until the HTTP service exists; then the
                # issue's vs_baseline (HTTP ÷ in-process) replaces it.
                "vs_baseline": round(
                    decide["decide_median_us"] / decide["dict_lookup_median_us"], 3
                ),
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
