"""``find_many``: one set-based walk for many subjects finds what ``find`` finds for each.

On the seeded sample lending back-end (PostgreSQL + MariaDB + Redis, and SQLite files +
Redis): records, holds (retention rules and legal holds) and identities per subject.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from yinsi.connectors import Connectors
from yinsi.rights.holds import LegalHold
from yinsi.rights.walk import Found, find, find_many

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["sample_fixtures"]


def _shape(found: Found) -> tuple[object, ...]:
    records = {d: sorted(r.key for r in rs) for d, rs in found.records.items()}
    values = {
        d: sorted((r.key, sorted((k, str(v)) for k, v in r.values.items())) for r in rs)
        for d, rs in found.records.items()
    }
    held = {d: {k: sorted(map(repr, v)) for k, v in ks.items()} for d, ks in found.held.items()}
    identities = {k: sorted(v) for k, v in found.identities.items()}
    return records, values, held, identities


def test_find_many_finds_what_find_finds_for_each_subject(lending_stores: LendingStores) -> None:
    stores = lending_stores
    today: date = stores.seeded.today
    subjects = list(stores.seeded.subjects)
    rules = {r.id: r for r in stores.declaration.retention}
    hold = LegalHold(
        id="hold_1",
        app_id=stores.data_map.app,
        subject_id=subjects[1],
        reason="诉讼保全",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        created_by="test",
    )
    holds = {subjects[1]: [hold]}
    with Connectors(stores.data_map) as connectors:
        many = find_many(
            stores.data_map, connectors, subjects, rules=rules, legal_holds=holds, today=today
        )
        for subject in subjects:
            one = find(
                stores.data_map,
                connectors,
                subject,
                rules=rules,
                legal_holds=holds.get(subject, ()),
                today=today,
            )
            assert _shape(many[subject]) == _shape(one), subject
    assert any(many[subjects[1]].held.values())
    assert sum(len(rs) for f in many.values() for rs in f.records.values()) > len(subjects) * 3
