"""The last step of a service end: PI that leads to no user (X39).

Once every user's deletion is done, what is left in the stores is either kept for a user
(a record under a retention rule or legal hold, restricted) or PI of people who never
became users: a marketing lead, the SMS code of a registration never finished, a guest's
browsing. The latter is erased too, dataset by dataset (children first), unless the
dataset's own retention hold keeps the record. Records are traced to their subjects as
for security incidents (:mod:`yinsi.lifecycle.incidents`); processors behind webhooks
cannot be listed and were told per user.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from yinsi.declaration.datamap import DataMap, walk_order
from yinsi.declaration.schema import RetentionRule
from yinsi.lifecycle.incidents import Tracer
from yinsi.rights.ports import Connector
from yinsi.rights.walk import hold_reasons

__all__ = ["erase_unlinked"]


def erase_unlinked(
    data_map: DataMap,
    connectors: Mapping[str, Connector],
    *,
    rules: Mapping[str, RetentionRule],
    today: date,
    hash_key: bytes,
) -> dict[str, int]:
    """Erase every record that leads to no subject and no hold keeps; records erased
    (rows deleted or their fields erased) per dataset. Idempotent."""
    tracer = Tracer(data_map, connectors)
    erased: dict[str, int] = {}
    for ds in reversed(walk_order(data_map)):  # children before parents
        if data_map.store(ds.store).kind == "webhook":
            continue
        connector = connectors[ds.store]
        traced = tracer.subjects(ds, list(connector.scan(ds)))
        unlinked = sorted(key for key, subjects in traced.items() if not subjects)
        if not unlinked:
            continue
        records = connector.find_keys(ds, unlinked)  # with the facts of the dataset's holds
        free = [r.key for r in records if not hold_reasons(ds, r, rules, (), today)]
        if free:
            outcome = connector.erase(
                ds, free, hash_key=hash_key, idempotency_key=f"service_end:{data_map.app}:{ds.id}"
            )
            erased[ds.id] = outcome.affected
    return erased
