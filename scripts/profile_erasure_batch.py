"""Where a batch erasure's time goes: ``run_many`` on 1,000 requests, phase by phase (issue 16).

    .venv/bin/python scripts/profile_erasure_batch.py                  # PostgreSQL, 5 runs
    .venv/bin/python scripts/profile_erasure_batch.py --db mariadb --runs 3
    .venv/bin/python scripts/profile_erasure_batch.py --cprofile       # + the main thread's profile

A tool for finding the next cut, not a benchmark (``benchmarks/erasure.py`` gives the
figures). It builds the same scratch database as the benchmark and, per run, times
``run_many`` and the set-based hand SQL on fresh subjects. It prints:

- wall time and this process's CPU, and the whole machine's busy and idle CPU seconds
  (``/proc/stat``) during ours and during the hand SQL: the batch is bound by the two
  cores when ours keeps both busy;
- the CPU of the main thread (yinsi's bookkeeping) and of the store thread (the store
  part: psycopg or the MariaDB driver) — both need the one GIL;
- the wall time of each of the chunk's phases (``prepare``, ``finish`` and what they call)
  and of the store parts.

The first run warms caches; the medians are over the others.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import erasure as bench  # benchmarks/erasure.py: its database and data map

from yinsi.services import rights_batch

PHASES = ["prepare", "finish", "_claim", "_store_running", "_segments", "_journal", "_close"]


def machine_cpu() -> tuple[float, float]:
    """Busy and idle CPU seconds of the whole machine so far (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
    return busy / tick, fields[3] / tick


class Timers:
    """Wall and thread CPU seconds by label, for one run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds

    def wrap(self, owner: Any, name: str, *, cpu: bool = False) -> None:
        """Time ``owner.name`` (wall; ``cpu``: also the calling thread's CPU)."""
        original: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, used = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - start)
                if cpu:
                    self.add(f"{name} (thread CPU)", time.thread_time() - used)

        setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=sorted(bench.ADMIN_URLS), default="postgresql")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=None, help="run_many's chunk")
    parser.add_argument("--cprofile", action="store_true", help="profile the last run")
    args = parser.parse_args()
    timers = Timers()
    for phase in PHASES:
        timers.wrap(rights_batch._Chunk, phase)
    timers.wrap(rights_batch, "erase_segments", cpu=True)
    timers.wrap(rights_batch, "run_many", cpu=True)
    rows: list[tuple[float, float, float, float]] = []
    with bench.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as tmp:
        b = bench.Bench(url, Path(tmp))
        try:
            bench.one_by_one(b, 1, 1)  # warm-up
            for run in range(args.runs):
                timers.seconds.clear()
                made = b.subjects(args.requests, 100)
                requests = [bench._approved(b.services, s, n) for s, n in made]
                profile = cProfile.Profile() if args.cprofile and run == args.runs - 1 else None
                before, cpu = machine_cpu(), time.process_time()
                start = time.perf_counter()
                if profile is not None:
                    profile.enable()
                rights_batch.run_many(b.services.rights, requests, chunk=args.chunk)
                if profile is not None:
                    profile.disable()
                ours, cpu = time.perf_counter() - start, time.process_time() - cpu
                after = machine_cpu()
                start = time.perf_counter()
                bench.hand_batch(b.db, [s for s, _ in made])
                baseline = time.perf_counter() - start
                done = machine_cpu()
                rows.append((ours, baseline, cpu, timers.seconds.get("run_many (thread CPU)", 0)))
                print(
                    f"run {run}: ours {ours:.3f} s (process CPU {cpu:.3f} s), hand {baseline:.3f} s, "
                    f"ratio {ours / baseline:.2f}; machine busy/idle CPU s: ours "
                    f"{after[0] - before[0]:.2f}/{after[1] - before[1]:.2f}, "
                    f"hand {done[0] - after[0]:.2f}/{done[1] - after[1]:.2f}"
                )
                for label, seconds in sorted(timers.seconds.items(), key=lambda x: -x[1]):
                    print(f"    {label:34s} {seconds:.3f}")
                if profile is not None:
                    stats = pstats.Stats(profile)
                    stats.sort_stats("cumulative").print_stats("yinsi", 60)
        finally:
            b.close()
    kept = rows[1:] if len(rows) > 2 else rows
    ours, baseline, ratio, cpu, main_cpu = (
        statistics.median(values)
        for values in zip(*((r[0], r[1], r[0] / r[1], r[2], r[3]) for r in kept), strict=True)
    )
    print(
        f"median: ours {ours:.3f} s, hand {baseline:.3f} s, ratio {ratio:.2f}, "
        f"process CPU {cpu:.3f} s, main thread CPU {main_cpu:.3f} s"
    )


if __name__ == "__main__":
    main()
