"""Loading a declaration: yinsi's loader vs a bare PyYAML load of the same file.

Ours parses with positions, validates types (pydantic) and cross-references, and places
every finding in the file; the baseline only parses, with the fastest safe loader PyYAML has here. ``vs_baseline`` = ours ÷ baseline.

    python benchmarks/load.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from yinsi.declaration import loads

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "examples" / "declarations" / "xiaoying-kadai.yaml"
)


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 minute)")
    args = parser.parse_args()
    repeat = 10 if args.quick else 50
    text = EXAMPLE.read_text(encoding="utf-8")
    loads(text)  # warm up imports and pydantic's validators
    fastest = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    baseline = _median_seconds(lambda: yaml.load(text, Loader=fastest), repeat)
    ours = _median_seconds(lambda: loads(text, str(EXAMPLE)), repeat)
    print(
        f"yaml.load ({fastest.__name__}): {baseline * 1e3:.1f} ms   yinsi loads: {ours * 1e3:.1f} ms"
    )
    print(
        json.dumps(
            {
                "benchmark": "load",
                "file": EXAMPLE.name,
                "bytes": len(text.encode()),
                "repeat": repeat,
                "baseline_ms": round(baseline * 1e3, 2),
                "ours_ms": round(ours * 1e3, 2),
                "vs_baseline": round(ours / baseline, 3),
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
