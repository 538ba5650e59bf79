"""``yinsi worker`` and ``yinsi beat``: run jobs from the broker, send the periodic ones.

Both need a broker (``YINSI_JOBS__BROKER_URL``); without one, jobs run in the process that
asks for them and neither command is needed. ``yinsi worker`` checks yinsi's database
(migrated) and the data map (``--map``: the app whose requests and sweeps it runs) before
it starts, then runs Celery's worker on ``settings.jobs.queue``; each pool process opens
its own connection pool (:mod:`yinsi.workers.app`). ``yinsi beat`` sends the periodic jobs
on ``YINSI_JOBS__SCHEDULE__…``; run exactly one beat per deployment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import DbUrl, MapFile, SettingsFile, db_url, err, fail

if TYPE_CHECKING:
    from yinsi.settings import Settings

worker_app = typer.Typer()
beat_app = typer.Typer()

LogLevel = Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")]


def _settings(settings_file: Path | None, command: str) -> Settings:
    from yinsi.settings import SettingsError, load_settings

    try:
        settings = load_settings(settings_file)
    except SettingsError as exc:
        fail(f"yinsi {command}: {exc}")
    if not settings.jobs.broker_url:
        fail(
            f"yinsi {command}: no broker: set YINSI_JOBS__BROKER_URL (e.g. "
            "amqp://guest:guest@127.0.0.1:5672//); without one, jobs run in the process "
            "that asks for them and no worker or beat is needed"
        )
    if settings_file is not None:
        os.environ["YINSI_SETTINGS_FILE"] = str(settings_file.resolve())
    return settings


def _check(target: str, data_map: Path | None, settings: Settings) -> None:
    """Open the services once, as each pool process will: a database that is not
    migrated or a data map with problems stops the command here, with the reason."""
    from yinsi.cli.rights_errors import KNOWN, describe
    from yinsi.services.root import Services

    try:
        Services.open(target, data_map=data_map, actor="worker", settings=settings).close()
    except KNOWN as exc:
        fail(f"yinsi worker: {describe(exc, data_map=data_map, url=target)}")


@worker_app.command("worker")
def worker(
    url: DbUrl = None,
    data_map: MapFile = None,
    settings_file: SettingsFile = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs run at once (pool processes).")
    ] = 1,
    pool: Annotated[
        str, typer.Option(help="prefork (processes), threads, or solo (this process only).")
    ] = "prefork",
    name: Annotated[
        str | None,
        typer.Option(
            help="The worker's node name (unique per worker); default: yinsi-PID@HOST.",
            show_default=False,
        ),
    ] = None,
    loglevel: LogLevel = "INFO",
) -> None:
    """Run jobs from the broker: rights requests, sweeps, reminders, export expiry, anchors."""
    from yinsi.workers.app import close_services, create_celery

    if pool not in ("prefork", "threads", "solo"):
        fail(f"unknown --pool {pool!r}; one of: prefork, threads, solo")
    settings = _settings(settings_file, "worker")
    target = db_url(url)
    _check(target, data_map, settings)
    os.environ["YINSI_DATABASE_URL"] = target
    if data_map is not None:
        os.environ["YINSI_DATA_MAP"] = str(data_map.resolve())
    try:
        app = create_celery(settings)
    except ValueError as exc:
        fail(f"yinsi worker: {exc}")
    err.print(
        f"yinsi worker: queue {settings.jobs.queue}, {pool} ×{concurrency}"
        + (f", app of {data_map}" if data_map else ", no data map (no rights jobs)"),
        markup=False,
    )
    node = name or f"yinsi-{os.getpid()}@%h"
    argv = ["worker", f"--loglevel={loglevel}", f"--pool={pool}", f"--concurrency={concurrency}"]
    argv += [f"--hostname={node}", f"--queues={settings.jobs.queue}", "--without-gossip"]
    try:
        app.worker_main(argv=[*argv, "--without-mingle"])
    finally:
        close_services()


@beat_app.command("beat")
def beat(
    settings_file: SettingsFile = None,
    schedule_file: Annotated[
        Path | None,
        typer.Option(
            help="Where beat keeps the last run times; default: $YINSI_HOME/celerybeat-schedule.",
            show_default=False,
        ),
    ] = None,
    loglevel: LogLevel = "INFO",
) -> None:
    """Send the periodic jobs on their schedule (YINSI_JOBS__SCHEDULE__…); run one beat."""
    from yinsi.workers.app import create_celery

    settings = _settings(settings_file, "beat")
    try:
        app = create_celery(settings)
    except ValueError as exc:
        fail(f"yinsi beat: {exc}")
    entries = app.conf.beat_schedule
    if not entries:
        fail("yinsi beat: every YINSI_JOBS__SCHEDULE__… is empty: nothing to send")
    home = Path(os.environ.get("YINSI_HOME", ".yinsi"))
    target = schedule_file or home / "celerybeat-schedule"
    target.parent.mkdir(parents=True, exist_ok=True)
    err.print(f"yinsi beat: {', '.join(sorted(entries))}", markup=False)
    app.start(argv=["beat", f"--loglevel={loglevel}", f"--schedule={target}"])
