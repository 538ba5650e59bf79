"""``yinsi keys``: API keys (create, list, revoke) and field-encryption keys (init, rotate,
rewrap, reindex, drop; see :mod:`yinsi.cli.field_keys`).

The secret is printed once, at creation; only its SHA-256 is stored. Creating and
revoking a key is written to the audit log (actor ``cli``). Exit 1 on a user error
(un-migrated database, unknown key id), never with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from yinsi.cli import field_keys
from yinsi.cli.common import DbUrl, db_url, err, out
from yinsi.security.api_keys import Scope
from yinsi.storage import SqlUnitOfWork, StorageError, UnitOfWork, create_engine

keys_app = typer.Typer(
    help="Keys. create|list|revoke: API keys of `yinsi serve` (stored hashed). "
    "init|rotate|rewrap|reindex|drop: field-encryption keys (a 0600 key file; X09, X25, W17).",
    no_args_is_help=True,
)


@contextmanager
def _unit_of_work(url: str | None) -> Iterator[UnitOfWork]:
    engine = create_engine(db_url(url))
    try:
        with SqlUnitOfWork(engine) as uow:
            yield uow
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. loan-backend.")],
    scope: Annotated[
        list[Scope], typer.Option("--scope", help="admin, backend or auditor (repeatable).")
    ],
    url: DbUrl = None,
) -> None:
    """API keys: create a key and print its secret, once: it cannot be shown again."""
    with _unit_of_work(url) as uow:
        key, secret = uow.api_keys.create(name, scope)
        uow.commit()
    err.print(f"created {key.id} ({name}; {', '.join(sorted(key.scopes))})", markup=False)
    err.print("the secret below is shown once; store it now:", markup=False)
    out.print(secret, markup=False)


@keys_app.command("list")
def list_keys(url: DbUrl = None) -> None:
    """API keys: list every key (id, name, scopes, created, revoked); never a secret."""
    with _unit_of_work(url) as uow:
        keys = uow.api_keys.list()
    for k in keys:
        revoked = f"  revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else ""
        out.print(
            f"{k.id}  {k.name}  {','.join(sorted(k.scopes))}  "
            f"created {k.created_at:%Y-%m-%d %H:%M}{revoked}",
            markup=False,
        )


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key id (key_…).")],
    url: DbUrl = None,
) -> None:
    """API keys: revoke a key: requests with it are refused (401) from now on."""
    with _unit_of_work(url) as uow:
        key = uow.api_keys.revoke(key_id)
        uow.commit()
    if key is None:
        err.print(f"no API key {key_id!r}; `yinsi keys list` shows the ids", markup=False)
        raise typer.Exit(1)
    out.print(f"revoked {key.id} ({key.name})", markup=False)


# field-encryption keys (yinsi.cli.field_keys)
keys_app.command("init")(field_keys.init)
keys_app.command("rotate")(field_keys.rotate)
keys_app.command("rewrap")(field_keys.rewrap)
keys_app.command("reindex")(field_keys.reindex)
keys_app.command("drop")(field_keys.drop)
