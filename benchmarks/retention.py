"""Retention sweep vs one hand-written DELETE, and field encryption vs raw AES-GCM.

**Sweep.** A scratch PostgreSQL database holds two identical tables of 1,000,000 rows
(``--quick``: 100,000), about half of them past the browse-only limit (1 month after
``seen_at``, no index on it). Ours: ``RetentionService.run`` over a one-dataset data map —
batches of the next heap pages holding about N rows (the page walk of PostgreSQL
deletes; ``--walk keys``: the next N keys, as on other stores), N sized to take about
0.2 s a batch (or ``--batch N``), one short transaction each, a checkpoint per batch and
an audit entry about once a second (yinsi's own database is a SQLite file, as embedded).
Baseline: ``DELETE FROM t WHERE seen_at < :cutoff`` on the copy, one statement, one
transaction. ``vs_baseline`` = ours ÷ DELETE's time (target ≤ 1.5). Both leave the same
rows (checked). Autovacuum is off on both tables, so that neither is timed while it
cleans up after the other.

**Encryption.** ``FieldCipher.encrypt`` values/s vs ``AESGCM.encrypt`` of the same values
with a fresh 12-byte nonce each (the envelope's cost: key caching, AD, base64 token).

    python benchmarks/retention.py [--quick] [--batch N] [--walk pages|keys] [--repeat R]

``--repeat R`` fills fresh tables R times and reports the run with the median ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from yinsi.connectors import Connectors
from yinsi.declaration.datamap import DataMap
from yinsi.security.envelope import FieldCipher
from yinsi.security.keys import Key, KeyPurpose, KeyRing, KeyState
from yinsi.services.consent import Engine
from yinsi.services.retention import RetentionService
from yinsi.services.root import Services

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
POSTGRES_ADMIN_URL = os.environ.get(
    "YINSI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TODAY = date(2026, 11, 23)
ENV = "YINSI_BENCH_RETENTION_URL"


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


def _fill(db: sa.Engine, rows: int) -> None:
    """Two identical tables; even ids seen 40–400 days ago (expired), odd ids 0–20 days ago."""
    with db.begin() as conn:
        for table in ("sweep_ours", "sweep_base"):
            conn.execute(
                sa.text(
                    f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, user_id VARCHAR(32) NOT NULL, "
                    "ip_address VARCHAR(45), seen_at TIMESTAMP NOT NULL) "
                    "WITH (autovacuum_enabled = false)"
                )
            )
        conn.execute(
            sa.text(
                "INSERT INTO sweep_ours SELECT g, 'u' || (g / 3), "
                "'10.' || (g % 250) || '.' || (g % 199) || '.' || (g % 97), "
                "TIMESTAMP '2026-11-23 12:00' - CASE WHEN g % 2 = 0 "
                "THEN (40 + g % 360) * INTERVAL '1 day' ELSE (g % 20) * INTERVAL '1 day' END "
                "FROM generate_series(1, :n) AS g"
            ),
            {"n": rows},
        )
        conn.execute(sa.text("INSERT INTO sweep_base SELECT * FROM sweep_ours"))
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE sweep_ours"))
        conn.execute(sa.text("VACUUM ANALYZE sweep_base"))


def _data_map() -> DataMap:
    return DataMap.model_validate(
        {
            "app": "xiaoying_kadai",
            "stores": [{"id": "bench", "kind": "sql", "url": "${" + ENV + "}"}],
            "datasets": [
                {
                    "id": "devices",
                    "label": "设备信息",
                    "store": "bench",
                    "table": "sweep_ours",
                    "primary_key": "id",
                    "subject": {"column": "user_id"},
                    "erase": "row",
                    "retention": {"rule": "browse_only", "since": "seen_at"},
                    "fields": [{"column": "ip_address", "element": "ip_address"}],
                }
            ],
        }
    )


def _settle(db: sa.Engine) -> None:
    """Write out every dirty page (``CHECKPOINT``) so that the timed sweep does not pay for
    the fill's writes, nor the timed DELETE for the sweep's: each starts from the same state."""
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CHECKPOINT"))


def _count(db: sa.Engine, table: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def sweep(rows: int, batch: int | None, walk: str) -> dict[str, object]:
    with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        db = sa.create_engine(url)
        try:
            _fill(db, rows)
            Engine.embedded(Path(tmp) / "yinsi.db").close()
            services = Services.open(f"sqlite:///{Path(tmp) / 'yinsi.db'}", actor="bench")
            services.consent.publish(DECLARATION)
            data_map = _data_map()
            environ = {ENV: url}
            services.connectors = Connectors(data_map, environ=environ)  # closed with it
            service = RetentionService(
                services.consent,
                data_map,
                services.connectors,
                units=services.units,
                hash_key=secrets.token_bytes(32),
                home=Path(tmp),
                legal_holds=lambda app, day: [],
                environ=environ,
                actor="bench",
                pages=walk == "pages",
            )
            with services, service:
                (p,) = service.plan(TODAY)
                due = service.counts(TODAY)[0].count.due
                _settle(db)
                start = time.perf_counter()
                report = service.run(TODAY, batch=batch, plans=[p])
                ours = time.perf_counter() - start
            _settle(db)
            start = time.perf_counter()
            with db.begin() as conn:
                deleted = conn.execute(
                    sa.text("DELETE FROM sweep_base WHERE seen_at < :cutoff"), {"cutoff": p.cutoff}
                ).rowcount
            baseline = time.perf_counter() - start
            left = _count(db, "sweep_ours")
            if report.walks != {"devices": walk}:
                raise RuntimeError(f"asked for the {walk} walk, ran {report.walks}")
            if report.rows["devices"] != deleted or left != _count(db, "sweep_base"):
                raise RuntimeError(
                    f"ours deleted {report.rows['devices']}, DELETE {deleted}: they must agree"
                )
        finally:
            db.dispose()
    sizes = f"{batch:,} keys" if batch else f"adaptive, largest {report.largest_batch:,} keys"
    print(
        f"sweep {rows:,} rows ({deleted:,} expired, {walk} walk, batches: {sizes}): "
        f"ours {ours:.2f} s ({report.batches} batches)   DELETE … WHERE {baseline:.2f} s"
    )
    return {
        "rows": rows,
        "expired": due,
        "walk": walk,
        "batch": batch or "adaptive",
        "largest_batch": report.largest_batch,
        "batches": report.batches,
        "ours_s": round(ours, 3),
        "baseline_s": round(baseline, 3),
        "vs_baseline": round(ours / baseline, 3),
    }


def encryption(values: int) -> dict[str, object]:
    secret = secrets.token_bytes(32)
    ring = KeyRing([Key("k1", secret, KeyState.ACTIVE)], purpose=KeyPurpose.ENCRYPTION)
    cipher = FieldCipher(ring)
    phones = [f"1{(13800000000 + i * 7919) % 10**10:010d}" for i in range(values)]
    context = "users.mobile_number"
    cipher.encrypt(phones[0], context=context)  # warm the data key
    start = time.perf_counter()
    for v in phones:
        cipher.encrypt(v, context=context)
    ours = time.perf_counter() - start
    aead, ad = AESGCM(secret), context.encode()
    start = time.perf_counter()
    for v in phones:
        aead.encrypt(os.urandom(12), v.encode(), ad)
    raw = time.perf_counter() - start
    print(
        f"encrypt {values:,} values: FieldCipher {values / ours:,.0f}/s   "
        f"raw AESGCM {values / raw:,.0f}/s"
    )
    return {
        "values": values,
        "field_cipher_per_s": round(values / ours),
        "raw_aesgcm_per_s": round(values / raw),
        "encryption_vs_baseline": round(ours / raw, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 rows (< 1 minute)")
    parser.add_argument(
        "--batch", type=int, default=None, help="keys per batch (default: about 0.2 s each)"
    )
    parser.add_argument(
        "--walk",
        choices=["pages", "keys"],
        default="pages",
        help="pages: the heap walk of PostgreSQL deletes (default); keys: the key walk",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median one is reported")
    args = parser.parse_args()
    rows = 100_000 if args.quick else 1_000_000
    runs = sorted(
        (sweep(rows, args.batch, args.walk) for _ in range(max(1, args.repeat))),
        key=lambda r: float(str(r["vs_baseline"])),
    )
    result = runs[len(runs) // 2]
    crypto = encryption(20_000 if args.quick else 200_000)
    print(
        json.dumps(
            {
                "benchmark": "retention",
                **result,
                **crypto,
                "machine": f"{platform.machine()} {platform.python_implementation()} "
                f"{platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
