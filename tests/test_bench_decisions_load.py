"""The decision benchmark's load generator draws its random orders outside timed phases.

``benchmarks/decisions.py --subjects N`` sends each pass over the N subjects in a new
random order. Drawing one order of 100,000 subjects takes 50–100 ms: drawn by the first
request of a phase, it stalled every connection at the start of the first timed phase
(the warm-up had used up its order), about 5 % of a ``--quick`` run's timed requests'
time. ``_Requests.prepare`` draws them before the phase; the traffic is the same.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "decisions.py"
URL = "http://127.0.0.1:8000/v1/apps/a/subjects/{subject}/decisions"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("yinsi_bench_decisions", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _subject(request: bytes) -> str:
    return request.split(b" ", 2)[1].split(b"/")[5].decode()


def _draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the orders drawn (``random.sample`` calls) from now on."""
    drawn: list[int] = []
    sample = random.sample

    def counted(population: range, k: int) -> list[int]:
        drawn.append(k)
        return sample(population, k)

    monkeypatch.setattr(random, "sample", counted)
    return drawn


def test_prepared_requests_draw_no_order(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = bench._Requests(URL, {"authorization": "Bearer x"}, b"[]", 100)
    drawn = _draws(monkeypatch)
    requests.prepare(100)  # the warm-up: one pass
    assert drawn == [100]
    warmup = [_subject(requests.next()) for _ in range(100)]
    requests.prepare(150)  # the timed phase: the rest drawn now, not by its first request
    assert drawn == [100, 100, 100]
    timed = [_subject(requests.next()) for _ in range(150)]
    assert drawn == [100, 100, 100]
    everyone = {f"b{i}" for i in range(1, 101)}
    assert set(warmup) == everyone and len(warmup) == 100  # each pass: every subject once
    assert set(timed[:100]) == everyone and len(set(timed[100:])) == 50
    assert Counter(warmup + timed).most_common(1)[0][1] <= 3


def test_unprepared_requests_still_draw(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = bench._Requests(URL, {}, b"[]", 3)
    drawn = _draws(monkeypatch)
    sent = [_subject(requests.next()) for _ in range(6)]
    assert drawn == [3, 3]
    assert sorted(sent[:3]) == sorted(sent[3:]) == ["b1", "b2", "b3"]


def test_one_subject_is_one_request(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    requests = bench._Requests(URL, {}, b"[]", 0)
    drawn = _draws(monkeypatch)
    requests.prepare(1000)
    assert requests.next() is requests.next()
    assert _subject(requests.next()) == "bench" and drawn == []
