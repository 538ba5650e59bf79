"""``yinsi serve``: the HTTP API (FastAPI on uvicorn) on yinsi's database.

Refuses to start (exit 1) on a database that is not migrated, saying to run
``yinsi db upgrade``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from yinsi.cli.common import DbUrl, db_url, err

serve_app = typer.Typer()


@serve_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    url: DbUrl = None,
) -> None:
    """Serve the REST API under /v1 (OpenAPI at /openapi.json, health at /healthz)."""
    import uvicorn

    from yinsi.api import create_app
    from yinsi.engine import Engine
    from yinsi.storage import SqlUnitOfWork, StorageNotMigrated, create_engine

    target = db_url(url)
    try:
        engine = Engine(target, actor="api")
    except StorageNotMigrated as exc:
        err.print(f"yinsi serve: {exc}", markup=False)
        raise typer.Exit(1) from None
    db = create_engine(target)
    try:
        uvicorn.run(create_app(engine, lambda: SqlUnitOfWork(db)), host=host, port=port)
    finally:
        db.dispose()
        engine.close()
