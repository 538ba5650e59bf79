"""``yinsi keys``: API keys (create, list, revoke) and field-encryption keys (init, rotate,
rewrap, reindex, drop; see :mod:`yinsi.cli.field_keys`).

API keys go through :class:`~yinsi.services.api_keys.ApiKeyService` (``services.api_keys``).
The secret is printed once, at creation; only its SHA-256 is stored. Creating and
revoking a key is written to the audit log (actor ``cli``). Exit 1 on a user error
(un-migrated database, unknown key id), never with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli import field_keys
from yinsi.cli.common import DbUrl, db_url, err, out
from yinsi.security.api_keys import Scope

if TYPE_CHECKING:
    from yinsi.services.api_keys import ApiKeyService

keys_app = typer.Typer(
    help="Keys. create|list|revoke: API keys of `yinsi serve` (stored hashed). "
    "init|rotate|rewrap|reindex|drop: field-encryption keys (a 0600 key file; X09, X25, W17).",
    no_args_is_help=True,
)


@contextmanager
def _api_keys(url: str | None) -> Iterator[ApiKeyService]:
    """The API keys of the database at ``url``; a storage error is printed, exit 1."""
    from yinsi.services.errors import StorageError
    from yinsi.services.root import Services

    try:
        with Services.open(db_url(url), actor="cli") as services:
            yield services.api_keys
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. loan-backend.")],
    scope: Annotated[
        list[Scope], typer.Option("--scope", help="admin, backend or auditor (repeatable).")
    ],
    url: DbUrl = None,
) -> None:
    """API keys: create a key and print its secret, once: it cannot be shown again."""
    with _api_keys(url) as api_keys:
        key, secret = api_keys.create(name, scope)
    err.print(f"created {key.id} ({name}; {', '.join(sorted(key.scopes))})", markup=False)
    err.print("the secret below is shown once; store it now:", markup=False)
    out.print(secret, markup=False)


@keys_app.command("list")
def list_keys(url: DbUrl = None) -> None:
    """API keys: list every key (id, name, scopes, created, revoked); never a secret."""
    with _api_keys(url) as api_keys:
        keys = api_keys.list()
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
    with _api_keys(url) as api_keys:
        key = api_keys.revoke(key_id)
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
