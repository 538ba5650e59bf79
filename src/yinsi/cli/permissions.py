"""``yinsi permissions check``: permission telemetry against the declaration (W10, W12).

EVENTS is a JSON-lines file, one use per line::

    {"subject_id": "u1", "permission": "location", "scenario": "location",
     "stage": "登录", "flow_id": "f1", "at": "2026-01-05T09:00:00+08:00", "sdk": null}

Each use is decided on the subject's consent ledger as it stood at that time, read from
yinsi's database (``--url``); ``--assume-consented`` skips the ledger and treats every
consent item as granted (only the declaration, the limits and the SDK list are checked).
Violations print as a table (``--json``: machine-readable); exit 1 when there is any, or
on a user error (a bad event line is named ``EVENTS:LINE: field: problem``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from yinsi.cli.common import DbUrl, db_url, fail, first_line, open_services, out, show_url

if TYPE_CHECKING:
    from yinsi.declaration import Declaration
    from yinsi.lifecycle.permissions import StateOf, UseEvent, Violation

permissions_app = typer.Typer(
    help="Permission telemetry (W10, W12): check reported permission uses.", no_args_is_help=True
)


@permissions_app.callback()
def _group() -> None:
    """Permission telemetry (W10, W12)."""


@permissions_app.command("check")
def check(
    declaration: Annotated[Path, typer.Argument(help="The app's declaration (YAML).")],
    events: Annotated[Path, typer.Argument(help="Permission use events, one JSON object a line.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    assume_consented: Annotated[
        bool,
        typer.Option(
            "--assume-consented", help="Do not read the consent ledger: every consent granted."
        ),
    ] = False,
    url: DbUrl = None,
) -> None:
    """List undeclared permissions, uses before consent, uses over the declared limits and
    SDKs not allowed, each with its events; exit 1 when there is any."""
    from yinsi.lifecycle.permissions import check as check_events

    declared = _declaration(declaration)
    uses = read_events(events)
    if assume_consented:
        from yinsi.consent import ConsentState

        state: StateOf | ConsentState = ConsentState(
            declared.app.id,
            "*",
            accepted_version=declared.policy.version,
            granted=frozenset(c.id for c in declared.consents),
        )
    else:
        state = _ledger_states(declared.app.id, uses, url)
    violations = check_events(declared, state, uses)
    if as_json:
        print(json.dumps([_json(v) for v in violations], ensure_ascii=False, indent=2))
    elif violations:
        out.print(_table(violations, events))
    else:
        out.print(f"✓ {events}: {len(uses)} 条调用记录，未发现违规", markup=False)
    if violations:
        raise typer.Exit(1)


def read_events(path: Path) -> list[UseEvent]:
    """The events of a JSON-lines file; every bad line is reported (then exit 1)."""
    from yinsi.lifecycle.permissions import InvalidUseEvent, parse_event

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: 无法读取：{exc}")
    parsed: list[UseEvent] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed.append(parse_event(json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}:{exc.colno}: 不是合法的 JSON：{exc.msg}")
        except InvalidUseEvent as exc:
            problems.extend(f"{path}:{number}: {p}" for p in exc.problems)
    if problems:
        fail("\n".join([*problems, f"{path}: {len(problems)} 处错误，未作检查"]))
    return parsed


def _declaration(path: Path) -> Declaration:
    from yinsi.declaration import read_file

    loaded = read_file(path)
    if loaded.declaration is None:
        fail("\n".join([*(str(p) for p in loaded.errors), f"{path}: 声明有误，未作检查"]))
    return loaded.declaration


def _ledger_states(app_id: str, uses: Sequence[UseEvent], url: str | None) -> StateOf:
    from sqlalchemy.exc import SQLAlchemyError

    from yinsi.lifecycle.permissions import states_from_ledger
    from yinsi.services.errors import StorageError

    def describe(exc: Exception) -> str:
        return (
            f"{show_url(db_url(url))}: {first_line(exc)}\n"
            "读取同意记录失败；指定 --url，或用 --assume-consented 只检查声明与调用次数"
        )

    subjects = dict.fromkeys(u.subject_id for u in uses)
    known = (StorageError, SQLAlchemyError)
    with open_services(url, actor="cli", known=known, describe=describe) as services:
        ledger = {s: services.consent.events(app_id, s) for s in subjects}
    return states_from_ledger(ledger, app_id)


def _json(violation: Violation) -> dict[str, object]:
    data = asdict(violation)
    data["kind"] = violation.kind.value
    data["label"] = violation.kind.label
    data["events"] = [{**asdict(e), "at": e.at.isoformat()} for e in violation.events]
    return data


def _table(violations: list[Violation], path: Path) -> Table:
    table = Table(title=f"{path}: {len(violations)} 项违规", title_justify="left")
    for column in ("类型", "用户", "场景", "权限", "说明", "证据"):
        table.add_column(column, overflow="fold")
    for v in violations:
        evidence = "\n".join(
            f"{e.at.isoformat()} {e.flow_id}/{e.stage}" + (f" SDK {e.sdk}" if e.sdk else "")
            for e in v.events
        )
        table.add_row(v.kind.label, v.subject_id, v.scenario, v.permission, v.message, evidence)
    return table
