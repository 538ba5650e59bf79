"""``yinsi sample seed DIR``: the sample lending back-end of 小赢卡贷 on SQLite files + Redis.

For the demo and for trying rights requests by hand. Every value is synthetic. It writes
into DIR: the two SQL stores (``core.db``, ``risk.db``), ``datamap.yaml`` (the example data
map with DIR's Redis key prefix), ``env`` (the store URLs to ``source``), and one demo
subject per profile in ``subjects.tsv``. The work is :func:`yinsi_demo.sample_folder.seed_folder`
(``pip install 'yinsi[demo]'``), imported when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yinsi.cli.common import err, out
from yinsi.cli.demo import missing_demo

app = typer.Typer(help="The sample lending back-end (synthetic data) for demos and trials.")

EXAMPLE_MAP = Path(__file__).resolve().parents[3] / "examples" / "datamaps" / "xiaoying-kadai.yaml"


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
        from yinsi_demo.demo_stores import DemoError
        from yinsi_demo.sample_folder import seed_folder
    except ModuleNotFoundError as exc:
        missing_demo("yinsi sample seed", exc)
    from rich.table import Table

    try:
        made = seed_folder(
            folder, subjects=subjects, redis_url=redis_url, prefix=prefix, data_map=data_map
        )
    except DemoError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from exc
    table = Table("profile", "user id", "ID suffix (verify with --method id_suffix)")
    for who in made.subjects:
        table.add_row(who.profile.value, who.user_id, who.id_number[-6:])
    where = made.folder
    out.print(f"seeded {subjects} users, {made.records} records in {where} and Redis {prefix}*")
    out.print(f"data map: {where / 'datamap.yaml'}; store URLs: source {where / 'env'}")
    out.print(table)
