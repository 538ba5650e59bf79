"""``yinsi staff``: the accounts of the console (``/console``): add, list, disable.

A password is read from a hidden prompt (typed twice) or, with ``--password-stdin``, from
the first line of standard input (for scripts); only its Argon2id hash is stored. Adding
and disabling an account is written to the audit log (actor ``cli``), by id. Exit 1 on a
user error (weak password, name taken, unknown account), never with a traceback.

Each command opens :class:`~yinsi.services.root.Services` and calls its
:class:`~yinsi.services.staff.StaffService`, as the console's ``/console/staff`` does;
the database code is imported only when a command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import DbUrl, err, out
from yinsi.security.staff import Role

if TYPE_CHECKING:
    from yinsi.services.staff import StaffService

staff_app = typer.Typer(
    help="Console accounts: add (admin, operator or auditor), list, disable.",
    no_args_is_help=True,
)


@contextmanager
def _accounts(url: str | None) -> Iterator[StaffService]:
    """The staff service on the database at ``url``; a storage error exits 1 with its text."""
    from yinsi.services.errors import StorageError
    from yinsi.services.root import Services

    try:
        with Services.open(url, actor="cli") as services:
            yield services.staff
    except StorageError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(1) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@staff_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The login name, e.g. li.lei (no spaces).")],
    role: Annotated[Role, typer.Option("--role", help="admin, operator or auditor.")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 李雷.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    url: DbUrl = None,
) -> None:
    """Add a console account with a password (at least 12 characters, not a common
    password, not containing the user name)."""
    from yinsi.security.passwords import WeakPassword, check_strength

    password = _password(password_stdin)
    try:
        check_strength(password, username)  # before the database is opened: said at once
    except WeakPassword as exc:
        err.print(f"password refused: {exc}", markup=False)
        raise typer.Exit(1) from None
    with _accounts(url) as accounts:
        try:
            user = accounts.add(username, role, password, display_name=name, actor="cli")
        except ValueError as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(1) from None
    out.print(f"added {user.id} {user.username} ({user.role.value})", markup=False)


@staff_app.command("list")
def list_staff(url: DbUrl = None) -> None:
    """Every account: id, user name, role, display name, created, disabled or locked."""
    with _accounts(url) as accounts:
        users = accounts.list()
    now = datetime.now(UTC)
    for u in users:
        state = "  disabled" if u.disabled else ""
        if u.locked_until is not None and u.locked_until > now and not u.disabled:
            state = f"  locked until {u.locked_until:%Y-%m-%d %H:%M} UTC"
        out.print(
            f"{u.id}  {u.username}  {u.role.value}  {u.display_name}  "
            f"created {u.created_at:%Y-%m-%d %H:%M}{state}",
            markup=False,
        )


@staff_app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="The login name of the account.")],
    url: DbUrl = None,
) -> None:
    """Disable an account: it cannot sign in, and its open sessions end now."""
    with _accounts(url) as accounts:
        user = accounts.disable_named(username, actor="cli")
    if user is None:
        err.print(f"no account {username!r}; `yinsi staff list` shows them", markup=False)
        raise typer.Exit(1)
    out.print(f"disabled {user.id} {user.username}", markup=False)
