"""The consent ledger at volume: 10 million events on PostgreSQL (issue 16, point 4).

A scratch PostgreSQL database (``yinsi_bench_<hex>``, dropped after) is migrated like
``yinsi db upgrade``, 小赢卡贷 1.3 is published and three template subjects are written
through the Engine (accept the policy, grant and withdraw 营销信息). The ledger is then
filled with N events (default 10,000,000; ``--quick`` 1,000,000) by set-based SQL copied
from those templates (``generate_series``), with the derived ``consent_states`` rows that
the same events give — so the fill is not what is timed:

- a few **heavy** subjects with 100,000 events each (one per million events, at least 2);
- the rest spread over many ordinary subjects with 4–20 events each (accept, its grants,
  then 营销信息 granted and withdrawn in turn).

Then, each against hand-written SQL doing the same work in the same run:

1. **decide**: ``Engine.decide_batch`` (3 steps) for random subjects, p50/p99 per call.
   Baseline: the same ``SELECT`` of the subject's state row (``consent_states``).
   ``vs_baseline`` = decide p50 ÷ that read's p50.
2. **grant rate**: ``Engine.grant`` of 营销信息 for distinct random subjects (each ended on a
   withdrawal), grants/s. Baseline: the same transaction by hand — ``SELECT … FOR UPDATE``
   of the state row, one ``INSERT`` of the event, one ``UPDATE`` of the state, ``COMMIT``.
3. **first page of events**: ``Engine.events(limit=100)`` for a heavy subject, and a deep
   page (``after=`` half way), p50/p99. Baseline: the same ``SELECT … ORDER BY seq LIMIT
   100``. The whole history of a heavy subject (``Engine.events`` unpaged) is timed once,
   for the issue's "4–7 s" figure.

    python benchmarks/ledger.py [--quick] [--events N] [--calls N]

PostgreSQL: ``YINSI_BENCH_POSTGRES_URL`` (a maintenance database the user may create
databases from), default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from yinsi.consent import Channel, ConsentState, DecisionRequest, Evidence, apply
from yinsi.services.consent import Engine
from yinsi.storage import upgrade

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
ITEM = "marketing_messages"
HEAVY_EVENTS = 100_000
POSTGRES_ADMIN_URL = os.environ.get(
    "YINSI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
EVIDENCE = Evidence(Channel.APP, account="bench", signature_sha256="0" * 64)
STEPS = [
    DecisionRequest(element="password", purpose="account_security", scenario="login"),
    DecisionRequest(element="mobile_number", purpose="marketing", scenario="marketing_messages"),
    DecisionRequest(element="id_number", purpose="identity_verification", scenario="registration"),
]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database ``yinsi_bench_<hex>``, dropped on leaving."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"yinsi_bench_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ms(samples: list[float]) -> dict[str, float]:
    """p50 and p99 in ms of samples in seconds."""
    p99 = statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]
    return {"p50_ms": round(statistics.median(samples) * 1e3, 3), "p99_ms": round(p99 * 1e3, 3)}


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---------------------------------------------------------------- the fill


def _templates(url: str) -> int:
    """Write the template subjects through the Engine; return the prefix length m (the
    events ``accept_policy`` records: the acceptance and the grants it carries)."""
    with Engine(url, actor="bench") as engine:
        engine.publish(DECLARATION)
        for name, flips in (("tpl_a", 1), ("tpl_w", 2), ("tpl_g", 3)):
            engine.accept_policy(APP, name, evidence=EVIDENCE)
            for i in range(flips):
                act = engine.grant if i % 2 == 0 else engine.withdraw
                act(APP, name, ITEM, evidence=EVIDENCE)
        return len(engine.events(APP, "tpl_a")) - 1


def _fill(db: sa.Engine, events: int, prefix: int) -> tuple[int, int]:
    """N events by set-based SQL; returns (heavy subjects, ordinary subjects).

    Subject ``h<i>`` has 100,000 events, ``s<i>`` ``prefix + 2 + i % 15`` (``prefix`` template
    events, then 营销信息 granted, withdrawn, granted, … in turn). Its state row is the
    template's whose history ends the same way (tpl_w: on a withdrawal, tpl_g: on a grant)."""
    heavy = max(2, events // 1_000_000)
    left = events - heavy * HEAVY_EVENTS
    per_cycle = sum(prefix + 2 + i for i in range(15))  # 15 consecutive subjects
    ordinary = 15 * (left // per_cycle)
    with db.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        conn.execute(
            sa.text(
                "CREATE TEMP TABLE bench_subjects ON COMMIT DROP AS "
                "SELECT 'h' || i AS subject_id, :heavy_events AS k "
                "FROM generate_series(1, :heavy) AS i UNION ALL "
                "SELECT 's' || i, :prefix + 2 + i % 15 FROM generate_series(0, :ordinary - 1) AS i"
            ),
            {"heavy_events": HEAVY_EVENTS, "heavy": heavy, "prefix": prefix, "ordinary": ordinary},
        )
        # every event column copied from a template event: the prefix from tpl_a's, then
        # the grant (tpl_a's seq prefix+1) and the withdrawal (tpl_w's seq prefix+2)
        conn.execute(
            sa.text(
                "INSERT INTO consent_events (app_id, subject_id, seq, kind, policy_version, "
                "consent_id, element, at, channel, account, signature_sha256, client_ip, "
                "user_agent) "
                "SELECT t.app_id, s.subject_id, g, t.kind, t.policy_version, t.consent_id, "
                "t.element, TIMESTAMPTZ '2023-01-01 00:00+00' + g * INTERVAL '1 minute', "
                "t.channel, t.account, t.signature_sha256, t.client_ip, t.user_agent "
                "FROM bench_subjects AS s CROSS JOIN LATERAL generate_series(1, s.k) AS g "
                "JOIN consent_events AS t ON t.app_id = :app AND ("
                " (g <= :prefix AND t.subject_id = 'tpl_a' AND t.seq = g) OR"
                " (g > :prefix AND (g - :prefix) % 2 = 1 AND t.subject_id = 'tpl_a'"
                "  AND t.seq = :prefix + 1) OR"
                " (g > :prefix AND (g - :prefix) % 2 = 0 AND t.subject_id = 'tpl_w'"
                "  AND t.seq = :prefix + 2))"
            ),
            {"app": APP, "prefix": prefix},
        )
        conn.execute(
            sa.text(
                "INSERT INTO consent_states (app_id, subject_id, accepted_version, "
                "declined_version, granted, withdrawn, restricted, last_seq, updated_at) "
                "SELECT t.app_id, s.subject_id, t.accepted_version, t.declined_version, "
                "t.granted, t.withdrawn, t.restricted, s.k, "
                "TIMESTAMPTZ '2023-01-01 00:00+00' + s.k * INTERVAL '1 minute' "
                "FROM bench_subjects AS s JOIN consent_states AS t ON t.app_id = :app "
                "AND t.subject_id = CASE WHEN (s.k - :prefix) % 2 = 0 "
                "THEN 'tpl_w' ELSE 'tpl_g' END"
            ),
            {"app": APP, "prefix": prefix},
        )
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE consent_events"))
        conn.execute(sa.text("VACUUM ANALYZE consent_states"))
        conn.execute(sa.text("CHECKPOINT"))
    return heavy, ordinary


def _check_fill(engine: Engine, subject: str) -> None:
    """The filled state row is the fold of the filled events (the Engine's own ``apply``)."""
    state = ConsentState(APP, subject)
    for event in engine.events(APP, subject):
        state = apply(state, event)
    stored = engine.state(APP, subject)
    if (state.granted, state.withdrawn, state.accepted_version) != (
        stored.granted,
        stored.withdrawn,
        stored.accepted_version,
    ):
        raise RuntimeError(f"the fill is inconsistent for {subject}: {state} vs {stored}")


# ---------------------------------------------------------------- the timed parts


def bench_decide(engine: Engine, db: sa.Engine, subjects: list[str]) -> dict[str, Any]:
    read = sa.text(
        "SELECT accepted_version, declined_version, granted, withdrawn, restricted, last_seq "
        "FROM consent_states WHERE app_id = :app AND subject_id = :s"
    )
    ours: list[float] = []
    base: list[float] = []
    allowed = 0
    with db.connect() as conn:
        for s in subjects:  # interleaved, so drift hits both alike
            start = time.perf_counter()
            decided = engine.decide_batch(APP, s, STEPS)
            ours.append(time.perf_counter() - start)
            allowed += sum(d.allowed for d in decided)
            start = time.perf_counter()
            conn.execute(read, {"app": APP, "s": s}).one()
            base.append(time.perf_counter() - start)
            conn.commit()
    return {"calls": len(subjects), "steps": len(STEPS), "allowed": allowed} | {
        "ours": _ms(ours),
        "baseline_state_read": _ms(base),
    }


def bench_grants(engine: Engine, db: sa.Engine, ours: list[str], base: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    for s in ours:
        engine.grant(APP, s, ITEM, evidence=EVIDENCE)
    grants_per_s = len(ours) / (time.perf_counter() - start)
    lock = sa.text(
        "SELECT last_seq, granted, withdrawn FROM consent_states "
        "WHERE app_id = :app AND subject_id = :s FOR UPDATE"
    )
    insert = sa.text(
        "INSERT INTO consent_events (app_id, subject_id, seq, kind, policy_version, consent_id, "
        "at, channel, account, signature_sha256) VALUES (:app, :s, :seq, 'consent_granted', "
        "'1.3', :item, now(), 'app', 'bench', :sig)"
    )
    update = sa.text(
        "UPDATE consent_states SET last_seq = :seq, granted = CAST(:granted AS JSONB), "
        "withdrawn = CAST(:withdrawn AS JSONB), updated_at = now() "
        "WHERE app_id = :app AND subject_id = :s"
    )
    start = time.perf_counter()
    with db.connect() as conn:
        for s in base:
            last, granted, withdrawn = conn.execute(lock, {"app": APP, "s": s}).one()
            seq = last + 1
            conn.execute(insert, {"app": APP, "s": s, "seq": seq, "item": ITEM, "sig": "0" * 64})
            conn.execute(
                update,
                {
                    "app": APP,
                    "s": s,
                    "seq": seq,
                    "granted": json.dumps(sorted({*granted, ITEM})),
                    "withdrawn": json.dumps(sorted(set(withdrawn) - {ITEM})),
                },
            )
            conn.commit()
    baseline_per_s = len(base) / (time.perf_counter() - start)
    return {
        "grants": len(ours),
        "grants_per_s": round(grants_per_s),
        "baseline_per_s": round(baseline_per_s),
        "vs_baseline": round(baseline_per_s / grants_per_s, 3),
    }


def bench_pages(engine: Engine, db: sa.Engine, heavy: list[str], rounds: int) -> dict[str, Any]:
    page = sa.text(
        "SELECT * FROM consent_events WHERE app_id = :app AND subject_id = :s AND seq > :after "
        "ORDER BY seq LIMIT 100"
    )
    out: dict[str, Any] = {"events_per_subject": HEAVY_EVENTS, "page": 100}
    with db.connect() as conn:
        for label, after in (("first_page", 0), ("deep_page", HEAVY_EVENTS // 2)):
            ours: list[float] = []
            base: list[float] = []
            for i in range(rounds):
                s = heavy[i % len(heavy)]
                start = time.perf_counter()
                got = engine.events(APP, s, after=after, limit=100)
                ours.append(time.perf_counter() - start)
                if len(got) != 100 or got[0].seq != after + 1:
                    raise RuntimeError(f"page after {after} of {s}: {len(got)} events")
                start = time.perf_counter()
                conn.execute(page, {"app": APP, "s": s, "after": after}).all()
                base.append(time.perf_counter() - start)
                conn.commit()
            out[label] = {"ours": _ms(ours), "baseline_select": _ms(base)}
        whole = _timed(lambda: engine.events(APP, heavy[0]))
        whole_sql = _timed(
            lambda: conn.execute(
                sa.text(
                    "SELECT * FROM consent_events WHERE app_id = :app AND subject_id = :s "
                    "ORDER BY seq"
                ),
                {"app": APP, "s": heavy[0]},
            ).all()
        )
    out["whole_history_s"] = {"ours": round(whole, 3), "baseline_select": round(whole_sql, 3)}
    return out


def _ending_on(
    db: sa.Engine, parity: int, count: int, rng: random.Random, prefix: int
) -> list[str]:
    """``count`` distinct ordinary subjects whose history ends on a withdrawal (parity 0)."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT subject_id FROM consent_states WHERE app_id = :app "
                "AND subject_id LIKE 's%' AND (last_seq - :prefix) % 2 = :parity "
                "ORDER BY random() LIMIT :n"
            ),
            {"app": APP, "prefix": prefix, "parity": parity, "n": count},
        ).scalars()
        found = list(rows)
    rng.shuffle(found)
    return found


def run(events: int, calls: int, grants: int, page_rounds: int) -> dict[str, Any]:
    rng = random.Random(16)
    with postgres_database() as url:
        upgrade(url)
        prefix = _templates(url)
        db = sa.create_engine(url)
        try:
            start = time.perf_counter()
            heavy_n, ordinary = _fill(db, events, prefix)
            fill_s = time.perf_counter() - start
            with db.connect() as conn:
                stored = int(
                    conn.execute(sa.text("SELECT count(*) FROM consent_events")).scalar_one()
                )
                size = conn.execute(
                    sa.text("SELECT pg_size_pretty(pg_total_relation_size('consent_events'))")
                ).scalar_one()
            print(
                f"filled {stored:,} events ({heavy_n} subjects × {HEAVY_EVENTS:,}, "
                f"{ordinary:,} with {prefix + 2}–{prefix + 16}) in {fill_s:.1f} s; "
                f"consent_events with its indexes: {size}"
            )
            heavy = [f"h{i}" for i in range(1, heavy_n + 1)]
            with Engine(url, actor="bench") as engine:
                _check_fill(engine, f"s{ordinary // 2}")
                _check_fill(engine, f"s{ordinary // 2 + 1}")
                for s in ("s1", heavy[0]):  # warm the connection pool and the rule book
                    engine.decide_batch(APP, s, STEPS)
                decide = bench_decide(
                    engine, db, [f"s{rng.randrange(ordinary)}" for _ in range(calls)]
                )
                d = decide["ours"]
                b = decide["baseline_state_read"]
                print(
                    f"decide_batch ({len(STEPS)} steps, {calls} random subjects): "
                    f"p50 {d['p50_ms']} ms, p99 {d['p99_ms']} ms   "
                    f"hand SELECT of the state: p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms"
                )
                pool = _ending_on(db, 0, 2 * grants, rng, prefix)
                writes = bench_grants(engine, db, pool[:grants], pool[grants:])
                print(
                    f"grants: Engine.grant {writes['grants_per_s']}/s   "
                    f"hand SELECT FOR UPDATE + INSERT + UPDATE + COMMIT "
                    f"{writes['baseline_per_s']}/s"
                )
                pages = bench_pages(engine, db, heavy, page_rounds)
                for label in ("first_page", "deep_page"):
                    o, s = pages[label]["ours"], pages[label]["baseline_select"]
                    print(
                        f"{label.replace('_', ' ')} of 100 ({HEAVY_EVENTS:,}-event subject): "
                        f"Engine.events p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms   "
                        f"hand SELECT p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms"
                    )
                w = pages["whole_history_s"]
                print(
                    f"whole history unpaged ({HEAVY_EVENTS:,} events): Engine.events "
                    f"{w['ours']} s   hand SELECT {w['baseline_select']} s"
                )
        finally:
            db.dispose()
    first = pages["first_page"]
    return {
        "benchmark": "ledger",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPU {platform.machine()}, CPython {platform.python_version()}",
        "events": stored,
        "heavy_subjects": heavy_n,
        "ordinary_subjects": ordinary,
        "fill_s": round(fill_s, 1),
        "table_size": size,
        "decide": decide,
        "grants": writes,
        "pages": pages,
        "vs_baseline": round(d["p50_ms"] / b["p50_ms"], 3),
        "first_page_vs_baseline": round(
            first["ours"]["p50_ms"] / first["baseline_select"]["p50_ms"], 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1,000,000 events, fewer calls")
    parser.add_argument("--events", type=int, help="events to fill (default 10,000,000)")
    parser.add_argument("--calls", type=int, help="decide_batch calls (default 2,000)")
    args = parser.parse_args()
    events = args.events or (1_000_000 if args.quick else 10_000_000)
    if events < 3 * HEAVY_EVENTS:
        parser.error(f"--events must be at least {3 * HEAVY_EVENTS:,}")
    calls = args.calls or (1_000 if args.quick else 2_000)
    result = run(events, calls, grants=200 if args.quick else 500, page_rounds=50)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
