"""``yinsi map draft``: a draft data map from live stores (discovery, issue 17).

    yinsi map draft --store core=postgresql+psycopg://… --store risk=mysql+pymysql://… \\
        [--redis cache=redis://127.0.0.1:6379/0] [--against MAP] [-o draft.yaml]

Reads each store read-only — tables, keys, comments and a bounded random sample of values
(kept in memory, never printed or written) — and writes a data map the loader accepts:
datasets, primary keys, parent links (foreign keys, names, value overlap), the subject
root and each PI column's element, every guess with its confidence and evidence in a
comment. ``--against MAP`` reports the PI columns MAP does not cover (PIPL Art. 17);
with ``--exit-code`` such drift exits 3. Store URLs may be ``${VAR}``; the draft names
them as ``${<STORE>_DATABASE_URL}``, never in clear.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import err, fail, out

if TYPE_CHECKING:
    from yinsi.services.discovery import DraftReport

DRIFT_EXIT = 3
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def draft(
    store: Annotated[
        list[str],
        typer.Option(
            "--store",
            help="NAME=URL of a SQL database (postgresql+psycopg://…, mysql+pymysql://…, "
            "sqlite:///…); repeat for each. ${VAR} is expanded.",
            show_default=False,
        ),
    ],
    redis: Annotated[
        list[str] | None,
        typer.Option("--redis", help="[NAME=]URL of a Redis whose keys are sampled."),
    ] = None,
    redis_match: Annotated[
        str, typer.Option(help="SCAN pattern of the Redis keys to sample.")
    ] = "*",
    against: Annotated[
        Path | None,
        typer.Option(help="An existing data map: report the PI columns it does not cover."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the draft here (default: stdout).")
    ] = None,
    app_id: Annotated[str, typer.Option("--app", help="The app id the draft names.")] = "draft_app",
    sample: Annotated[
        int, typer.Option(min=0, max=10000, help="Rows sampled per table (kept in memory only).")
    ] = 200,
    max_keys: Annotated[
        int, typer.Option(min=0, max=1_000_000, help="Redis keys scanned at most.")
    ] = 2000,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="With --against: exit 3 when drift is found.")
    ] = False,
) -> None:
    """Draft a data map from live databases and Redis: elements, links, root, with evidence."""
    from yinsi.declaration import DeclarationError
    from yinsi.rights.ports import ConnectorError
    from yinsi.services.discovery import draft_map

    if not _NAME.match(app_id):
        fail(f"--app {app_id!r}: an app id is lower case letters, digits and underscores")
    sql = _stores("--store", store, "db")
    caches = _stores("--redis", redis or [], "cache")
    if clash := sorted(set(sql) & set(caches)):
        fail(f"store name {clash[0]!r} is given twice; name each store once (NAME=URL)")
    try:
        report = draft_map(
            sql,
            caches,
            app=app_id,
            against=against,
            sample_size=sample,
            max_keys=max_keys,
            redis_match=redis_match,
        )
    except ConnectorError as exc:
        fail(f"error: {exc}")
    except DeclarationError as exc:
        for p in exc.problems:
            err.print(str(p), markup=False)
        fail(f"{against}: the data map has errors; fix them first")
    if output is not None:
        output.write_text(report.text, encoding="utf-8")
    else:
        print(report.text, end="")
    _summary(report, output)
    if report.drift:
        show = out if output is not None else err
        show.print(
            f"\n数据地图 {against} 未覆盖的疑似个人信息（{len(report.drift)} 项）：", markup=False
        )
        for item in report.drift:
            show.print(f"  {item.message()}", markup=False, style="yellow")
        if exit_code:
            raise typer.Exit(DRIFT_EXIT)
    elif report.drift is not None:
        err.print(f"数据地图 {against} 覆盖了发现的全部疑似个人信息列。", markup=False)


def _stores(option: str, given: list[str], default: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for n, spec in enumerate(given, 1):
        name, sep, url = spec.partition("=")
        if not sep or not _NAME.match(name):
            name, url = (default if len(given) == 1 else f"{default}{n}"), spec
        if not url.strip():
            fail(f"{option} {name}=: the URL is empty; write {option} NAME=URL")
        if name in found:
            fail(f"{option}: store name {name!r} is given twice")
        found[name] = url.strip()
    return found


def _summary(report: DraftReport, output: Path | None) -> None:
    d = report.draft
    tables = (*d.datasets, *d.keyless)
    columns = sum(len(t.guesses) for t in tables) + sum(len(k.guesses) for k in d.keys)
    links = sum(1 for t in tables if t.parent is not None)
    root = d.root.table.ref if d.root is not None else "未找到"
    where = f"已写入 {output}" if output is not None else "已输出"
    err.print(
        f"数据地图草稿{where}：{len(tables)} 张表、{len([k for k in d.keys if k.identity])} "
        f"类 Redis 键，{columns} 个个人信息列，{links} 条上级关联，主体根表 {root}；"
        f"未关联到主体的含个人信息表 {len(d.unlinked)} 张"
        + (
            f"；其中没有单列主键的表 {len(d.keyless)} 张（按主体条件读取和删除）"
            if d.keyless
            else ""
        )
        + "。",
        markup=False,
    )
    if not report.values_checked:
        err.print("值检测器不可用：仅按列名和注释判断。", markup=False, style="yellow")
    for store, schemas in report.unread.items():
        listed = "、".join(f"{name}（{n} 张表）" for name, n in sorted(schemas.items()))
        first = sorted(schemas)[0]
        err.print(
            f"{store}：只读取了默认 schema，未读取 PostgreSQL schema {listed}。"
            f"如需纳入，请在该库的 URL 中设置 search_path，例如 ?options=-csearch_path%3D{first}"
            "（运行时的数据地图 URL 也需相同设置）。",
            markup=False,
            style="yellow",
        )
    for p in report.problems:
        err.print(str(p), markup=False, style="yellow")
