"""``yinsi demo seed [DIR]``: the demo tenant of ``make demo`` (see :mod:`yinsi_demo.demo`).

Migrates yinsi's database (``--url``, default ``./.yinsi/yinsi.db``), which must not hold
小赢卡贷 users yet, and seeds it with 小赢卡贷 v1.3 and v1.4, a few hundred synthetic users
(Faker ``zh_CN``) with their consent history, rights requests in every status (some
overdue), legal holds and an incident; the sample stores go to DIR (default
``.yinsi/demo``) and Redis. Prints the counts and the users worth opening first. Exit 1 on
a user error, never with a traceback.

The demo's code is the ``yinsi-demo`` distribution (``pip install 'yinsi[demo]'``), not part
of the ``yinsi`` wheel: it is imported when a command runs, and a missing install is a user
error that says how to install it (:func:`missing_demo`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from yinsi.cli.common import DbUrl, db_url, err, out, show_url

if TYPE_CHECKING:
    from yinsi_demo.demo import DemoSummary

demo_app = typer.Typer(
    help="The demo tenant: 小赢卡贷 with synthetic users, consents, requests, holds.",
    no_args_is_help=True,
)

_STANDING = {
    "current": "已同意最新版本",
    "behind": "仅同意过旧版本（待重新同意）",
    "declined": "拒绝最新版本（仅浏览）",
    "cancelled": "已注销账户",
    "guests": "游客（拒绝政策，仅浏览）",
}


INSTALL_DEMO = "pip install 'yinsi[demo]'"


def missing_demo(command: str, exc: ModuleNotFoundError) -> NoReturn:
    """Exit 1 with one line saying how to install the demo, if ``exc`` is the demo package
    missing; anything else missing is a broken install: re-raised as it is."""
    if exc.name is None or exc.name.partition(".")[0] != "yinsi_demo":
        raise exc
    err.print(
        f"{command}: the demo is not installed; install it with {INSTALL_DEMO} "
        "(in a clone of yinsi: make setup)",
        markup=False,
    )
    raise typer.Exit(1) from None


@demo_app.command("seed")
def seed(
    folder: Annotated[
        Path, typer.Argument(help="Where the sample stores and the demo's files go.")
    ] = Path(".yinsi/demo"),
    users: Annotated[int, typer.Option(min=50, help="Synthetic users to create.")] = 300,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Same seed, same people and history.")
    ] = 20261123,
    url: DbUrl = None,
    redis_url: Annotated[
        str, typer.Option(help="The Redis of the sample's cache store.")
    ] = "redis://127.0.0.1:6379/0",
    prefix: Annotated[str, typer.Option(help="Redis key prefix of the sample.")] = "yinsi_demo:",
) -> None:
    """Seed the demo tenant on a new database (old sample stores in FOLDER are replaced)."""
    try:
        from yinsi_demo.demo import DemoError, seed_demo
    except ModuleNotFoundError as exc:
        missing_demo("yinsi demo seed", exc)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.declaration import DeclarationError
    from yinsi.rights.ports import ConnectorError
    from yinsi.services.errors import StorageError

    target = db_url(url)
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("准备", total=None)

            def show(what: str, done: int, total: int) -> None:
                progress.update(task, description=what, completed=done, total=total)

            summary = seed_demo(
                folder,
                url=target,
                users=users,
                seed=seed_value,
                redis_url=redis_url,
                redis_prefix=prefix,
                on_progress=show,
                migrate=True,
            )
    except (DemoError, StorageError, DeclarationError, ConnectorError, OSError) as exc:
        err.print(f"yinsi demo seed: {exc}", markup=False)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        err.print(f"yinsi demo seed: {show_url(target)}: {exc}", markup=False)
        raise typer.Exit(1) from None
    _print(summary, show_url(target))


def _print(s: DemoSummary, where: str) -> None:
    from rich.table import Table

    from yinsi.rights.requests import Status

    out.print(
        f"seeded {s.app_id} on {where} in {s.seconds:.1f} s: {len(s.users)} users, "
        f"{len(s.guests)} guests, {s.events} consent events; {s.records} records in "
        f"{s.folder} (source {s.folder / 'env'} for the store URLs)",
        markup=False,
    )
    out.print(
        "policy versions: "
        + ", ".join(f"{v.version} published {v.at:%Y-%m-%d}" for v in s.versions),
        markup=False,
    )
    standing = Table("隐私政策", "人数", title="users by policy version")
    for key, label in _STANDING.items():
        standing.add_row(label, str(s.policy.get(key, 0)))
    out.print(standing)
    consents = Table("consent item", "已同意", "已撤回", "同意率", title="consents now")
    for item, (granted, withdrawn) in s.consents.items():
        consents.add_row(item, str(granted), str(withdrawn), f"{granted / len(s.users):.0%}")
    out.print(consents)
    requests = Table("状态", "件数", title="rights requests")
    for status in Status:
        requests.add_row(status.label, str(s.requests.get(status, 0)))
    out.print(requests)
    out.print(
        f"overdue: {s.overdue} open requests; legal holds: {s.holds} in force, "
        f"{s.released_holds} released; incidents: {', '.join(s.incidents) or 'none'}",
        markup=False,
    )
    featured = Table("role", "user id", "为什么值得看", title="users to open first")
    for f in s.featured:
        featured.add_row(f.role, f.subject_id, f.note)
    out.print(featured)
    out.print(
        f"every user: {s.folder / 'users.tsv'}; one untouched user per profile: "
        f"{s.folder / 'subjects.tsv'}",
        markup=False,
    )
