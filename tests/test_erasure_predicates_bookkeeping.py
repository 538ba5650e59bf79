"""A predicate erasure's bookkeeping (issue 16, point 3, second pass): what the last commit
stores besides the final status, and the statements built once.

The final status move releases the run's claim in the same ``UPDATE``; an answer nobody
can be told (no channel configured here) is recorded ``no_channel`` in that commit, once
per request, alone or in a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from erasure_sets_fixtures import SUBJECTS, app_database, approved, fill, open_copy
from yinsi.rights.requests import Status
from yinsi.services.rights_batch import run_many

pytest_plugins = ["storage_fixtures"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[str]:
    with app_database("sqlite", tmp_path) as url:
        fill(url)
        yield url


def test_a_run_releases_its_claim_and_records_the_unsent_answer_once(
    app: str, tmp_path: Path
) -> None:
    with open_copy(app, "a", tmp_path) as services:
        ids = [approved(services, s, SUBJECTS.index(s) + 1) for s in SUBJECTS[:3]]
        first = services.rights.run(ids[0], actor="test")
        built = dict(services.connectors["app"]._erasing)  # type: ignore[attr-defined]
        second = services.rights.run(ids[1], actor="test")
        report = run_many(services.rights, ids[2:], actor="test")
        assert first.status is second.status is Status.COMPLETED
        assert report.status == {ids[2]: Status.COMPLETED}
        cache = services.connectors["app"]._erasing  # type: ignore[attr-defined]
        assert built and all(cache[k] is v for k, v in built.items())  # built once, reused
        for request_id in ids:
            assert services.rights.leases.busy_for(request_id) == 0.0
            records = services.delivery.records(request_id)
            assert [r.outcome for r in records] == ["no_channel"]
