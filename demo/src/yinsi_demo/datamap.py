"""The sample's data map under a Redis key prefix, so parallel test runs never share keys.

A data map names Redis key patterns as the app writes them (``session:{user_id}``).
Tests write the sample's keys under a prefix of their own (``yinsi_test_1a2b3c:``), so
the data map they hand the executor is the same map with the prefix put in front of
every Redis key pattern: the executor then sees exactly where the data lives, and no
connector needs to know about prefixes.
"""

from __future__ import annotations

import re

from yinsi.declaration.datamap import DataMap

_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]*$")


def check_key_prefix(prefix: str) -> str:
    """``prefix`` if it is a usable Redis key prefix; ValueError saying what to use."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"Redis key prefix {prefix!r} may hold only letters, digits and _ . : - "
            "(no glob characters or {placeholders}); e.g. 'yinsi_test_1a2b3c:'"
        )
    return prefix


def with_key_prefix(data_map: DataMap, prefix: str) -> DataMap:
    """``data_map`` with ``prefix`` in front of every Redis key pattern."""
    if not check_key_prefix(prefix):
        return data_map
    datasets = [
        ds.model_copy(update={"key": prefix + ds.key}) if ds.key is not None else ds
        for ds in data_map.datasets
    ]
    return data_map.model_copy(update={"datasets": datasets})
