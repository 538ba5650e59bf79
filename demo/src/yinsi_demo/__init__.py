"""yinsi-demo: a sample lending back-end (小赢卡贷) over PostgreSQL, MariaDB and Redis — or
SQLite files — for end-to-end tests, the demo and benchmarks of rights requests (issue 5).

Its data map is ``examples/datamaps/xiaoying-kadai.yaml``. Every value is synthetic. The
demo tenant of ``make demo`` is :mod:`yinsi_demo.demo`. This package is its own
distribution (``pip install 'yinsi[demo]'``), so the ``yinsi`` wheel ships no sample code
and Faker is no dependency of yinsi.
"""

from yinsi_demo.datamap import check_key_prefix, with_key_prefix
from yinsi_demo.lending import (
    CACHE,
    CORE,
    DATASETS,
    METADATA,
    REDIS_STRING_FIELD,
    RISK,
    SQL_STORES,
    SampleDataset,
    create,
    dataset,
    drop,
    engine_of,
    identity_hash,
)
from yinsi_demo.seed import HOLD_RULE, SAMPLE_IDENTITY_KEY, seed
from yinsi_demo.snapshot import count, snapshot
from yinsi_demo.truth import Cell, HeldRecord, Profile, Seeded, Subject

__all__ = [
    "CACHE",
    "CORE",
    "DATASETS",
    "HOLD_RULE",
    "METADATA",
    "REDIS_STRING_FIELD",
    "RISK",
    "SAMPLE_IDENTITY_KEY",
    "SQL_STORES",
    "Cell",
    "HeldRecord",
    "Profile",
    "SampleDataset",
    "Seeded",
    "Subject",
    "check_key_prefix",
    "count",
    "create",
    "dataset",
    "drop",
    "engine_of",
    "identity_hash",
    "seed",
    "snapshot",
    "with_key_prefix",
]
