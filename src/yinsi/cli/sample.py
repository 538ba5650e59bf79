"""``yinsi sample seed DIR``: the sample lending back-end of 小赢卡贷 on SQLite files + Redis.

For the demo and for trying rights requests by hand. Every value is synthetic. It writes
into DIR: the two SQL stores (``core.db``, ``risk.db``), ``datamap.yaml`` (the example data
map with DIR's Redis key prefix), ``env`` (the store URLs to ``source``), and one demo
subject per profile in ``subjects.tsv``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import redis
import typer
from rich.table import Table

from yinsi import sample
from yinsi.cli.common import err, out
from yinsi.storage import create_engine

app = typer.Typer(help="The sample lending back-end (synthetic data) for demos and trials.")

EXAMPLE_MAP = Path(__file__).resolve().parents[3] / "examples" / "datamaps" / "xiaoying-kadai.yaml"
CHINA = timezone(timedelta(hours=8))


@app.command("seed")
def seed_command(
    folder: Annotated[Path, typer.Argument(help="Where the SQLite stores and files go.")],
    subjects: Annotated[int, typer.Option(min=1, help="Users to create.")] = 50,
    redis_url: Annotated[
        str, typer.Option(help="The Redis of the cache store.")
    ] = "redis://127.0.0.1:6379/0",
    prefix: Annotated[str, typer.Option(help="Redis key prefix of the sample.")] = "yinsi_demo:",
    data_map: Annotated[
        Path, typer.Option("--data-map", help="The data map to copy.")
    ] = EXAMPLE_MAP,
) -> None:
    """Create and seed the sample stores afresh (old ones in FOLDER are replaced)."""
    try:
        sample.check_key_prefix(prefix)
    except ValueError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from exc
    if not data_map.is_file():
        err.print(f"error: {data_map}: data map not found (pass --data-map)")
        raise typer.Exit(1)
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    urls = {store: f"sqlite:///{folder / f'{store}.db'}" for store in sample.SQL_STORES}
    for store in sample.SQL_STORES:
        (folder / f"{store}.db").unlink(missing_ok=True)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        stale = list(client.scan_iter(match=prefix + "*", count=1000))
        if stale:
            client.delete(*stale)
    except redis.RedisError as exc:
        err.print(f"error: Redis at {redis_url}: {exc}; start Redis or pass --redis-url")
        raise typer.Exit(1) from exc
    engines = {store: create_engine(url) for store, url in urls.items()}
    try:
        sample.create(engines)
        today = datetime.now(UTC).astimezone(CHINA).date()
        seeded = sample.seed(engines, client, prefix, subjects=subjects, seed=20261123, today=today)
    finally:
        for engine in engines.values():
            engine.dispose()
    text = data_map.read_text(encoding="utf-8").replace('key: "', f'key: "{prefix}')
    (folder / "datamap.yaml").write_text(text, encoding="utf-8")
    env = {
        "YINSI_SAMPLE_CORE_URL": urls[sample.CORE],
        "YINSI_SAMPLE_RISK_URL": urls[sample.RISK],
        "YINSI_SAMPLE_CACHE_URL": redis_url,
    }
    (folder / "env").write_text(
        "".join(f"export {k}='{v}'\n" for k, v in env.items()), encoding="utf-8"
    )
    table = Table("profile", "user id", "ID suffix (verify with --method id_suffix)")
    lines = ["profile\tuser_id\tid_suffix"]
    for profile in sample.Profile:
        people = seeded.of(profile)
        if people:
            who = people[0]
            table.add_row(profile.value, who.user_id, who.id_number[-6:])
            lines.append(f"{profile.value}\t{who.user_id}\t{who.id_number[-6:]}")
    (folder / "subjects.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    total = sum(seeded.counts.values())
    out.print(f"seeded {subjects} users, {total} records in {folder} and Redis {prefix}*")
    out.print(f"data map: {folder / 'datamap.yaml'}; store URLs: source {folder / 'env'}")
    out.print(table)
