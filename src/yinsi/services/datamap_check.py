"""``yinsi map check``: a data map against its declaration and, live, against its stores.

:func:`check_map` reads the map (every problem at ``FILE:LINE:COL``, warnings included),
and with ``connect`` inspects every store read-only (:mod:`yinsi.connectors.inspect`):
each store reachable, each table, column and column type the map names present — every
wrong one reported in the same run, placed where the map names it. It also says which
datasets can verify a subject's identity (SMS to the phone, ID-number suffix), through
``subject`` and ``parent`` links, and with a subject, what a request would do: the rows
an access request exports, those a deletion erases, those kept and why (the planner's
read path; nothing is written). ``rights approve`` runs :func:`probe_errors` first, through
the connectors a run would use, so a bad map never strands an approved request
(:class:`MapCheckFailed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from yinsi.connectors import Connectors
from yinsi.connectors.inspect import (
    LiveTable,
)
from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.declaration.datamap_checks import check_data_map
from yinsi.declaration.errors import Issue, Problem, format_path
from yinsi.declaration.loader import read_model, read_text
from yinsi.declaration.schema import Declaration
from yinsi.declaration.yaml_limits import DEFAULT_LIMITS, YamlLimits
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action
from yinsi.rights.planner import MATCH, plan
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.rights.verification import ELEMENT_OF, Routes, identity_routes
from yinsi.rights.walk import find
from yinsi.services.datamap_live import StoreState, live_issues
from yinsi.taxonomy import RightKind

Path_ = tuple[str | int, ...]
TableOf = Callable[[Dataset], LiveTable | None]
_DATES = ("date", "datetime")


@dataclass(frozen=True, slots=True)
class DatasetRun:
    """What a request would do to one dataset's rows of the subject."""

    dataset: str
    found: tuple[str, ...]
    """Keys of the subject's rows: what an access request exports."""
    erased: tuple[str, ...]
    """Keys a deletion erases (``erase: row`` deletes them; ``fields`` clears the fields)."""
    how: str
    kept: dict[str, list[str]] = field(default_factory=dict)
    """Held keys → why (a retention rule's hold, a legal hold, a held parent)."""
    keyless: bool = False
    """No key names the rows (:attr:`~yinsi.declaration.datamap.Dataset.keyless`): the
    keys above are only their ranks (``#1``), and a request matches them by predicate."""


@dataclass(frozen=True, slots=True)
class DryRun:
    subject: str
    datasets: tuple[DatasetRun, ...]
    steps: tuple[str, ...]
    """The deletion plan, one line per step (``erase loans: 2 rows``)."""


@dataclass(slots=True)
class MapReport:
    file: str
    problems: list[Problem]
    stores: list[StoreState] = field(default_factory=list)
    verification: dict[str, Routes] = field(default_factory=dict)
    """By method (``sms``, ``id_suffix``)."""
    dry_run: DryRun | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class MapCheckFailed(InvalidRequest):
    """The live check of the data map found errors; nothing was changed."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        lines = [f"{format_path(i.path)}: {i.message}" for i in self.issues]
        super().__init__(
            "the data map does not match the live stores, so the request was not approved "
            "(it stays verified); fix the map and approve again — `yinsi map check MAP "
            "--connect` shows every finding at its line:\n  " + "\n  ".join(lines)
        )


# ------------------------------------------------------------------ the whole check


def check_map(
    path: str | Path,
    declaration: Declaration | None = None,
    *,
    connect: bool = False,
    subject: str | None = None,
    environ: Mapping[str, str] | None = None,
    legal_holds: Sequence[LegalHold] = (),
    today: date | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> MapReport:
    """Check the data map at ``path``; ``subject`` (needs ``declaration``) adds a dry run."""
    text, problems = read_text(path, limits)
    report = MapReport(str(path), problems)
    if text is None:
        return report
    stores: list[StoreState] = []

    def live(data_map: DataMap) -> list[Issue]:
        if not connect:
            stores.extend(StoreState(s.id, s.kind, None) for s in data_map.stores)
            return []
        issues, states = live_issues(data_map, environ, webhooks=True)
        stores.extend(states)
        return issues

    checks = [lambda m: check_data_map(m, declaration), live]
    data_map, report.problems = read_model(
        text, str(path), DataMap, checks, "a data map", limits=limits
    )
    report.stores = stores
    if data_map is None:
        return report
    report.verification = {
        m.value: identity_routes(data_map, element) for m, element in ELEMENT_OF.items()
    }
    if subject is not None and declaration is not None:
        with Connectors(data_map, environ=environ) as connectors:
            report.dry_run = dry_run(
                data_map,
                declaration,
                connectors,
                subject,
                today=today or datetime.now(UTC).date(),
                legal_holds=legal_holds,
            )
    return report


def dry_run(
    data_map: DataMap,
    declaration: Declaration,
    connectors: Connectors,
    subject: str,
    *,
    today: date,
    legal_holds: Sequence[LegalHold] = (),
) -> DryRun:
    """What an access and a deletion request of ``subject`` would do; reads only."""
    rules = {r.id: r for r in declaration.retention}
    found = find(data_map, connectors, subject, rules=rules, legal_holds=legal_holds, today=today)
    runs = []
    for ds in data_map.datasets:
        keys = tuple(r.key for r in found.records.get(ds.id, []))
        how = (
            "删除整行" if ds.erase == "row" else "清除字段 " + "、".join(f.name for f in ds.fields)
        )
        if ds.table is None and ds.key is None:
            how = "通知受托方删除"
        kept = {
            key: [r.reason for r in reasons] for key, reasons in found.held.get(ds.id, {}).items()
        }
        erased = tuple(found.erasable(ds.id))
        if ds.table is not None and ds.erases_nothing:
            how, erased = "不改动（数据地图未列出其个人信息字段）", ()
        runs.append(DatasetRun(ds.id, keys, erased, how, kept, keyless=ds.keyless))
    request = RightsRequest(
        id="dry-run",
        app_id=data_map.app,
        subject_id=subject,
        kind=RightKind.DELETION,
        status=Status.APPROVED,
        received_at=datetime.now(UTC),
    )
    steps = []
    for step in plan(request, data_map, declaration, found):
        if step.action is Action.RESTRICT:
            kept = step.params.get("kept", [])
            elements = "、".join(step.params.get("elements", []))
            later = "、".join(step.params.get("postponed", []))
            after = f"; once the contracts end: {later}" if later else ""
            steps.append(f"restrict {elements} (kept in {len(kept)} place(s)){after}")
        elif MATCH in step.params:  # no key: the person's rows, by predicate
            now = len(found.records.get(step.dataset or "", []))
            steps.append(f"{step.action.value} {step.dataset}: {now} record(s), by predicate")
        else:
            steps.append(f"{step.action.value} {step.dataset}: {len(step.keys)} record(s)")
    return DryRun(subject, tuple(runs), tuple(steps))
