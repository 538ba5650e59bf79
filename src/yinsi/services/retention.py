"""``RetentionService``: retention sweeps end to end (X38, W13) — beside ``RightsService``.

It composes the pure plan (:mod:`yinsi.lifecycle.retention`) with the SQL sweepers
(:mod:`yinsi.connectors.sweep`), the rights walk (to find the rows of subjects under a
legal hold), yinsi's audit log and a small checkpoint file:

    plan(today) ─► per dataset: cutoff, action, holds, legally held keys
    counts(today) ─► per dataset: rows due, rows held (the dry run changes nothing)
    run(today) ─► per dataset, batches of the next N keys (on PostgreSQL deletes: the
                  │  next pages holding about N rows), one short transaction each
                  │  (N fixed, or adapted after every batch to take about 0.2 s)
                  ├ rows changed, at most about once a second and when a dataset
                  │  is done: audit ``retention.swept`` {dataset, rule, action, rows,
                  │  cutoff} (no PI)
                  └ checkpoint ``YINSI_HOME/retention/<app>.json``: per dataset the walk,
                    the last key (or page) and the rows not yet audited; a run with the
                    same ``today`` resumes after it, and the file is removed when the
                    run completes

Audit entries are per dataset and at most about one a second (:data:`AUDIT_EVERY`), not
per batch: an entry costs a commit (an fsync on SQLite), as much as a batch of thousands
of rows. Rows done but not yet audited are kept in the checkpoint, saved after every
batch, and a resumed run audits them first, so the entries' ``rows`` add up to what was
done even across a crash or Ctrl-C. The gaps are two instants (two databases and a
file, no shared transaction): a crash after a batch commits and before the checkpoint
is saved loses that batch's count (the rows are gone; the resumed run finds nothing
there), and one after an entry commits and before the checkpoint is saved repeats it.

Batches commit durably (PostgreSQL's ``synchronous_commit`` is left on). Turned off, a
database crash could undo batches that the checkpoint, and perhaps an audit entry,
already count: the resumed run would start after them, so they would not be redone,
and the log would claim rows that stay until the next day's run. Nor did it make a run
faster (an alternating A/B in ``docs/benchmarks.md``).

Adapters (``yinsi retention``) call one method and render the result.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from yinsi.connectors.sweep import KEYS, SqlSweeper, SweepCount, Walk
from yinsi.declaration import Declaration
from yinsi.declaration.datamap import DataMap
from yinsi.lifecycle.retention import SweepPlan, excluded_by, next_batch_size, plan
from yinsi.rights.holds import LegalHold
from yinsi.rights.ports import Connector
from yinsi.rights.walk import find_many
from yinsi.services.consent import Engine
from yinsi.services.metrics import SWEEP_ROWS
from yinsi.storage import UnitsOfWork
from yinsi.taxonomy.timezone import CHINA

DEFAULT_BATCH = 5000
"""Keys in the first batch of an adaptive run."""
AUDIT_EVERY = 1.0
"""Seconds between a dataset's audit entries during a run (plus one when it is done)."""
TARGET_SECONDS = 0.2
"""What an adaptive run aims at per batch: short locks, few commits."""
AUDIT_ACTION = "retention.swept"

LegalHoldSource = Callable[[str, date], Sequence[LegalHold]]
"""``(app_id, today)`` → every legal hold of the app active today."""


def stored_legal_holds(units: UnitsOfWork) -> LegalHoldSource:
    """Every subject's legal holds in force, read from yinsi's database."""

    def read(app_id: str, today: date) -> list[LegalHold]:
        with units(read_only=True) as uow:
            return uow.holds.in_force(app_id, today)

    return read


@dataclass(frozen=True, slots=True)
class DatasetCount:
    plan: SweepPlan
    count: SweepCount


@dataclass(frozen=True, slots=True)
class BatchDone:
    """One batch of a run, as progress callbacks see it."""

    dataset: str
    rule: str
    rows: int
    done: bool
    """The batch reached the end of the dataset's table: the dataset is swept."""


@dataclass(slots=True)
class SweepReport:
    rows: dict[str, int] = field(default_factory=dict)
    """Rows deleted or erased per dataset in this run."""
    batches: int = 0
    resumed: bool = False
    largest_batch: int = 0
    """The largest batch size used (keys)."""
    walks: dict[str, Walk] = field(default_factory=dict)
    """How each dataset was walked: by key, or by heap page (PostgreSQL deletes)."""


class RetentionService:
    def __init__(
        self,
        engine: Engine,
        data_map: DataMap,
        connectors: Mapping[str, Connector],
        *,
        units: UnitsOfWork,
        hash_key: bytes,
        home: Path,
        legal_holds: LegalHoldSource,
        environ: Mapping[str, str] | None = None,
        actor: str = "retention",
        pages: bool = True,
    ) -> None:
        """``pages``: PostgreSQL deletes walk the heap by page (the default, at the speed
        of a bare ``DELETE``; :mod:`yinsi.connectors.sweep` says what it trades);
        ``False``: every dataset walks its keys."""
        self.engine = engine
        self.units = units
        self.data_map = data_map
        self.connectors = connectors
        self._hash_key = hash_key
        self.home = home
        self._legal_holds = legal_holds
        self._environ = environ
        self._actor = actor
        self._pages = pages
        self._sweepers: dict[str, SqlSweeper] = {}

    def close(self) -> None:
        """Close the sweepers' connections (the composition root closes the rest)."""
        sweepers, self._sweepers = list(self._sweepers.values()), {}
        for sweeper in sweepers:
            sweeper.close()

    def __enter__(self) -> RetentionService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def declaration(self) -> Declaration:
        return self.engine.declaration(self.data_map.app)

    @property
    def checkpoint_path(self) -> Path:
        return self.home / "retention" / f"{self.data_map.app}.json"

    # ------------------------------------------------------------ plan and dry run

    def plan(self, today: date) -> list[SweepPlan]:
        """What a sweep does today, legally held rows excluded."""
        return plan(self.data_map, self.declaration, today, excluded=self._legally_held(today))

    def counts(self, today: date) -> list[DatasetCount]:
        """The dry run: per dataset, rows a run would delete or erase, and rows held."""
        return [DatasetCount(p, self._sweeper(p.store).count(p)) for p in self.plan(today)]

    # ------------------------------------------------------------ run

    def run(
        self,
        today: date,
        *,
        batch: int | None = None,
        target_seconds: float = TARGET_SECONDS,
        plans: Sequence[SweepPlan] | None = None,
        on_batch: Callable[[BatchDone], None] | None = None,
    ) -> SweepReport:
        """Sweep every dataset in batches; resumes an interrupted run of the same ``today``.

        ``batch``: keys per batch (one transaction each; on the page walk of PostgreSQL
        deletes, the pages holding about that many rows). ``None``: start at
        :data:`DEFAULT_BATCH` keys and size each next batch to take about
        ``target_seconds`` (:func:`~yinsi.lifecycle.retention.next_batch_size`).
        """
        if batch is not None and batch < 1:
            raise ValueError("the batch size must be at least 1")
        if target_seconds <= 0:
            raise ValueError("the target time per batch must be positive")
        todo = list(self.plan(today) if plans is None else plans)
        state = self._load_checkpoint(today)
        report = SweepReport(resumed=bool(state["datasets"]))
        by_dataset = {p.dataset: p for p in todo}
        for dataset, saved in state["datasets"].items():
            # Rows an interrupted run did but had not audited yet.
            if saved.get("unaudited") and dataset in by_dataset:
                self._audit(by_dataset[dataset], saved["unaudited"])
                saved["unaudited"] = 0
                self._save_checkpoint(state)
        for p in todo:
            sweeper = self._sweeper(p.store)
            walk = sweeper.walk(p)
            progress: dict[str, Any] = state["datasets"].setdefault(
                p.dataset, {"after": None, "done": False, "unaudited": 0, "walk": walk}
            )
            if progress.get("walk", KEYS) != walk:
                # Saved by the other walk (an upgrade mid-day): start the dataset over,
                # which is always safe; its unaudited rows were audited above.
                progress.update(after=None, walk=walk)
            report.rows.setdefault(p.dataset, 0)
            report.walks[p.dataset] = walk
            size = DEFAULT_BATCH if batch is None else batch
            audited = time.monotonic()
            while not progress["done"]:
                start = time.perf_counter()
                result = sweeper.batch(p, progress["after"], size, hash_key=self._hash_key)
                elapsed = time.perf_counter() - start
                report.batches += 1
                report.largest_batch = max(report.largest_batch, size)
                report.rows[p.dataset] += result.rows
                SWEEP_ROWS.labels(p.action.value).inc(result.rows)
                progress["unaudited"] = progress.get("unaudited", 0) + result.rows
                if result.last is not None:
                    progress["after"] = result.last
                progress["done"] = result.done
                self._save_checkpoint(state)
                if progress["unaudited"] and (
                    result.done or time.monotonic() - audited >= AUDIT_EVERY
                ):
                    self._audit(p, progress["unaudited"])
                    progress["unaudited"] = 0
                    audited = time.monotonic()
                    self._save_checkpoint(state)
                if on_batch is not None:
                    on_batch(BatchDone(p.dataset, p.rule, result.rows, result.done))
                if batch is None:
                    size = next_batch_size(size, elapsed, target_seconds)
        self.checkpoint_path.unlink(missing_ok=True)
        return report

    # ------------------------------------------------------------ internals

    def _sweeper(self, store: str) -> SqlSweeper:
        sweeper = self._sweepers.get(store)
        if sweeper is None:
            found = self.data_map.store(store)
            sweeper = SqlSweeper.connect(found, self._environ, pages=self._pages)
            self._sweepers[store] = sweeper
        return sweeper

    def _legally_held(self, today: date) -> dict[str, set[str]]:
        """Per dataset, the keys of rows kept by an active legal hold."""
        holds = self._legal_holds(self.data_map.app, today)
        rules = {r.id: r for r in self.declaration.retention}
        by_subject: dict[str, list[LegalHold]] = {}
        for hold in holds:
            by_subject.setdefault(hold.subject_id, []).append(hold)
        excluded: dict[str, set[str]] = {}
        founds = find_many(  # one set-based walk for every subject under a hold
            self.data_map,
            self.connectors,
            list(by_subject),
            rules=rules,
            legal_holds=by_subject,
            today=today,
        )
        for found in founds.values():
            for dataset, keys in found.held.items():
                ds = self.data_map.dataset(dataset)
                column = excluded_by(ds)  # no key: the value of the row's link
                rows = {r.key: r for r in found.records.get(dataset, [])} if ds.keyless else {}
                for key, reasons in keys.items():
                    if not any(r.hold is not None for r in reasons):
                        continue
                    value = rows[key].values.get(column) if ds.keyless else key
                    if value is not None:
                        excluded.setdefault(dataset, set()).add(str(value))
        return excluded

    def _audit(self, p: SweepPlan, rows: int) -> None:
        with self.units() as uow:
            uow.audit.append(
                self._actor,
                AUDIT_ACTION,
                self.data_map.app,
                None,
                details={
                    "dataset": p.dataset,
                    "rule": p.rule,
                    "action": p.action.value,
                    "rows": rows,
                    "cutoff": p.cutoff.isoformat(),
                },
            )
            uow.commit()

    def _load_checkpoint(self, today: date) -> dict[str, Any]:
        fresh: dict[str, Any] = {"today": today.isoformat(), "datasets": {}}
        try:
            state = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return fresh
        except (OSError, ValueError):
            return fresh  # unreadable: start over, which is always safe
        if not isinstance(state, dict) or state.get("today") != today.isoformat():
            return fresh
        if not isinstance(state.get("datasets"), dict):
            return fresh
        return state

    def _save_checkpoint(self, state: Mapping[str, Any]) -> None:
        path = self.checkpoint_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def today_in_china(now: datetime | None = None) -> date:
    """Today's date in China (retention periods count calendar days there)."""
    return (now or datetime.now(UTC)).astimezone(CHINA).date()
