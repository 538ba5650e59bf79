"""``yinsi sdk``: the SDK manifest of a subject (W12), as the mobile app receives it.

``yinsi sdk manifest APP SUBJECT`` reads the subject's consent ledger in yinsi's database
(``--url``) and prints, per SDK, whether the app may initialise it now and why, and the
elements gated apart (``element_consents``). Exit 1 on a user error (unknown app,
un-migrated database), never with a traceback.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from yinsi.cli.common import DbUrl, db_url, first_line, open_services, out, show_url

if TYPE_CHECKING:
    from yinsi.services.sdk_gate import SdkEntry

sdk_app = typer.Typer(
    help="SDK gates (W12): which SDKs the app may initialise.", no_args_is_help=True
)


@sdk_app.callback()
def _group() -> None:
    """SDK gates (W12)."""


@sdk_app.command("manifest")
def manifest(
    app_id: Annotated[str, typer.Argument(metavar="APP", help="The app id of the declaration.")],
    subject: Annotated[str, typer.Argument(help="The subject's user id.")],
    url: DbUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per SDK: may the app initialise it for SUBJECT now, and why."""
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.consent import UnknownName
    from yinsi.services.errors import StorageError
    from yinsi.services.sdk_gate import sdk_manifest

    where = show_url(db_url(url))

    def describe(exc: Exception) -> str:
        if isinstance(exc, UnknownName):
            return f"{where}: 应用 {exc.name!r} 尚未发布；请先发布其声明：yinsi publish DECLARATION.yaml"
        return f"{where}: {first_line(exc)}"

    known = (UnknownName, StorageError, SQLAlchemyError)
    with open_services(url, actor="cli", known=known, describe=describe) as services:
        entries = sdk_manifest(services.consent, app_id, subject)
    if as_json:
        print(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2))
        return
    out.print(_table(entries, app_id, subject))


def _table(entries: list[SdkEntry], app_id: str, subject: str) -> Table:
    allowed = sum(e.may_initialise for e in entries)
    version = next((e.policy_version for e in entries if e.policy_version), None)
    title = f"{app_id} 用户 {subject} 的SDK清单：{allowed}/{len(entries)} 个可初始化" + (
        f"（政策版本 {version}）" if version else "（尚未同意隐私政策）"
    )
    table = Table(title=title, title_justify="left")
    for column in ("SDK", "提供方", "可初始化", "原因", "单独控制的信息"):
        table.add_column(column, overflow="fold")
    for e in entries:
        gates = "；".join(
            f"{g.element}：{'可' if g.may_receive else '不可'}（{'、'.join(g.consent_ids)}）"
            for g in e.elements
            if g.gated_apart
        )
        table.add_row(
            f"{e.name}（{e.id}）",
            e.provider,
            "是" if e.may_initialise else "否",
            e.explanation,
            gates,
            style=None if e.may_initialise else "red",
        )
    return table
