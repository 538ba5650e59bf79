"""Start-up time of the entry points, against a bare interpreter measured in the same run.

Each command runs in a fresh process (as a user or a script starts it), stdout discarded;
the wall time from spawn to exit is taken ``--rounds`` times, the commands interleaved
round by round so that a busy moment of the machine hits them all alike, after two
warm-up runs each (the bytecode cache and the page cache are warm, as on a second use).
Median and minimum per command, in ms:

- baseline: ``python -c pass`` (the interpreter alone);
- ``python -c "import yinsi.client"`` — target ≤ 150 ms (issue 12);
- ``yinsi --help`` — target ≤ 300 ms;
- ``yinsi validate tests/data/minimal.yaml`` — target ≤ 300 ms.

``vs_baseline`` in the JSON is the slowest command's median ÷ the baseline's median (each
command's own ratio is given too): start-up is the interpreter plus what we import, so the
ratio shows what our imports cost on this machine.

    python benchmarks/startup.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_FILE = "tests/data/minimal.yaml"


@dataclass(frozen=True)
class Command:
    name: str
    argv: list[str]
    target_ms: float | None


def _yinsi() -> list[str]:
    """The ``yinsi`` console script of this interpreter's environment (as installed)."""
    script = Path(sys.executable).parent / "yinsi"
    if script.exists():
        return [str(script)]
    found = shutil.which("yinsi")
    if found is None:
        raise SystemExit("no `yinsi` command: install the project (`make install`) first")
    return [found]


def commands() -> list[Command]:
    python, yinsi = [sys.executable], _yinsi()
    return [
        Command("python -c pass", [*python, "-c", "pass"], None),
        Command("import yinsi.client", [*python, "-c", "import yinsi.client"], 150.0),
        Command("yinsi --help", [*yinsi, "--help"], 300.0),
        Command(f"yinsi validate {SMALL_FILE}", [*yinsi, "validate", SMALL_FILE], 300.0),
    ]


def _run_once(command: Command) -> float:
    """Wall seconds of one run; a failing command stops the benchmark."""
    started = time.perf_counter()
    result = subprocess.run(
        command.argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command.name} exited {result.returncode}: {result.stderr.decode()}")
    return elapsed


def measure(commands: list[Command], rounds: int, warmup: int = 2) -> dict[str, list[float]]:
    """Milliseconds per command, ``rounds`` runs each, interleaved."""
    for command in commands:
        for _ in range(warmup):
            _run_once(command)
    times: dict[str, list[float]] = {c.name: [] for c in commands}
    for _ in range(rounds):
        for command in commands:
            times[command.name].append(_run_once(command) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (< 1 minute)")
    parser.add_argument("--rounds", type=int, default=None, help="runs per command")
    args = parser.parse_args()
    rounds = args.rounds or (10 if args.quick else 40)

    measured = commands()
    times = measure(measured, rounds)
    baseline = statistics.median(times[measured[0].name])
    figures: dict[str, dict[str, object]] = {}
    print(f"{'command':<42} {'median':>9} {'min':>9} {'target':>8}  met  vs python")
    for command in measured:
        median, fastest = statistics.median(times[command.name]), min(times[command.name])
        met = None if command.target_ms is None else median <= command.target_ms
        target = "—" if command.target_ms is None else f"{command.target_ms:.0f} ms"
        mark = "" if met is None else "yes" if met else "NO"
        print(
            f"{command.name:<42} {median:7.1f}ms {fastest:7.1f}ms {target:>8}  {mark:<3}  "
            f"{median / baseline:6.1f}×"
        )
        figures[command.name] = {
            "median_ms": round(median, 1),
            "min_ms": round(fastest, 1),
            "target_ms": command.target_ms,
            "met": met,
            "vs_baseline": round(median / baseline, 2),
        }
    ours = {name: f for name, f in figures.items() if f["target_ms"] is not None}
    slowest = max(ours, key=lambda name: float(str(ours[name]["median_ms"])))
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "date": datetime.now(UTC).date().isoformat(),
                "rounds": rounds,
                "baseline": measured[0].name,
                "baseline_median_ms": round(baseline, 1),
                "commands": ours,
                "all_met": all(f["met"] for f in ours.values()),
                "slowest": slowest,
                # The slowest entry point's median ÷ the bare interpreter's.
                "vs_baseline": figures[slowest]["vs_baseline"],
                "load_average_1m": round(os.getloadavg()[0], 2),
                "machine": f"{os.cpu_count()} CPU {platform.machine()} "
                f"{platform.python_implementation()} {platform.python_version()}",
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
