"""``yinsi db upgrade|current``: migrate yinsi's own database, show its schema revision."""

from __future__ import annotations

import typer

from yinsi.cli.common import DbUrl, db_url, err, out, show_url

db_app = typer.Typer(help="yinsi's own database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    url: DbUrl = None,
) -> None:
    """Migrate yinsi's database to the latest schema (safe to run again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.services.database import current_revision, head_revision, upgrade

    target = db_url(url)
    try:
        before = current_revision(target)
        upgrade(target)
    except SQLAlchemyError as exc:
        err.print(
            f"cannot migrate {show_url(target)}: {exc.__class__.__name__}: {exc}", markup=False
        )
        raise typer.Exit(1) from None
    head = head_revision()
    state = "already up to date" if before == head else f"{before or 'empty'} -> {head}"
    out.print(f"{show_url(target)}: {state}", markup=False)


@db_app.command("current")
def db_current(
    url: DbUrl = None,
) -> None:
    """Show the schema revision of yinsi's database and whether it is up to date."""
    from yinsi.services.database import current_revision, head_revision

    target = db_url(url)
    rev, head = current_revision(target), head_revision()
    out.print(
        f"{show_url(target)}: {rev or 'not migrated'}"
        + ("" if rev == head else f" (latest is {head}; run `yinsi db upgrade`)"),
        markup=False,
    )
    if rev != head:
        raise typer.Exit(1)
