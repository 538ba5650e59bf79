"""``yinsi serve``: the service (:func:`yinsi.server.create_app` on uvicorn) on yinsi's database.

Refuses to start (exit 1) on a database that is not migrated, saying to run
``yinsi db upgrade``, and outside demo mode (``--demo``) without an SMS provider, naming
``YINSI_DELIVERY__SMS__PROVIDER``. With ``--map`` (or ``$YINSI_DATA_MAP``) it also serves rights
requests under ``/v1/requests`` for the app that data map describes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from yinsi.cli.common import DbUrl, SettingsFile, db_url, err

serve_app = typer.Typer()


# long: half of it is the Typer option declarations; the body checks, opens and serves
@serve_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    url: DbUrl = None,
    data_map: Annotated[
        Path | None,
        typer.Option(
            "--map",
            envvar="YINSI_DATA_MAP",
            help="The app's data map (YAML): enables rights requests under /v1/requests.",
            show_default=False,
        ),
    ] = None,
    settings_file: SettingsFile = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            envvar="YINSI_DEMO",
            help="Demo mode: no real delivery (codes are never logged), cookies without Secure.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes (uvicorn); each opens its own database pool. More than "
            "one needs a database server (PostgreSQL, MariaDB), not the embedded SQLite file.",
        ),
    ] = 1,
) -> None:
    """Serve the REST API under /v1 (OpenAPI at /openapi.json, health at /healthz)."""
    import uvicorn

    from yinsi.cli.rights_errors import KNOWN, describe
    from yinsi.security.entry_links import RedactEntryLinks
    from yinsi.server import create_app
    from yinsi.services.delivery import SdkMissing, serve_problem
    from yinsi.services.errors import StorageNotMigrated
    from yinsi.services.root import Services
    from yinsi.settings import SettingsError, load_settings
    from yinsi.web.secret import WebSecretError, load_secret

    try:
        settings = load_settings(settings_file, **({"demo": True} if demo else {}))
        web_secret = load_secret(os.environ)  # sessions survive a restart
    except (SettingsError, WebSecretError) as exc:
        err.print(f"yinsi serve: {exc}", markup=False)
        raise typer.Exit(1) from None

    target = db_url(url)
    try:
        services = Services.open(target, data_map=data_map, actor="api", settings=settings)
    except StorageNotMigrated as exc:
        err.print(f"yinsi serve: {exc}", markup=False)
        raise typer.Exit(1) from None
    except KNOWN as exc:
        err.print(f"yinsi serve: {describe(exc, data_map=data_map, url=target)}", markup=False)
        raise typer.Exit(1) from None
    with services:
        if (problem := serve_problem(settings)) is not None:
            err.print(f"yinsi serve: {problem}", markup=False)
            raise typer.Exit(1)
        try:
            services.delivery  # noqa: B018 - builds the senders now: a missing SDK is named
            app = create_app(
                services,
                web_secret=web_secret,
                secure_cookies=not settings.demo,
                freeze_heap=workers == 1,  # the workers' factory freezes its own
            )
        except SdkMissing as exc:
            err.print(f"yinsi serve: {exc}", markup=False)
            raise typer.Exit(1) from None
        except KNOWN as exc:
            err.print(f"yinsi serve: {describe(exc, data_map=data_map, url=target)}", markup=False)
            raise typer.Exit(1) from None
        if workers == 1:
            logging.getLogger("uvicorn.access").addFilter(RedactEntryLinks())
            uvicorn.run(app, host=host, port=port)
            return
    _serve_workers(workers, host, port, target, data_map, settings_file, demo=demo)


def _serve_workers(
    workers: int,
    host: str,
    port: int,
    target: str,
    data_map: Path | None,
    settings_file: Path | None,
    *,
    demo: bool,
) -> None:
    """``workers`` uvicorn processes, each building the app with
    :func:`yinsi.server.app_from_environment` from the environment set here (checked
    above in this process: the workers start on a database and settings that work)."""
    import uvicorn

    if target.startswith("sqlite"):
        err.print(
            "yinsi serve: --workers above 1 needs PostgreSQL or MariaDB (YINSI_DATABASE_URL); "
            "SQLite allows one writer at a time",
            markup=False,
        )
        raise typer.Exit(1)
    os.environ["YINSI_DATABASE_URL"] = target
    if data_map is not None:
        os.environ["YINSI_DATA_MAP"] = str(data_map.resolve())
    if settings_file is not None:
        os.environ["YINSI_SETTINGS_FILE"] = str(settings_file.resolve())
    if demo:
        os.environ["YINSI_DEMO"] = "1"
    uvicorn.run(
        "yinsi.server:app_from_environment", factory=True, workers=workers, host=host, port=port
    )
