"""The sample lending back-end of 小赢卡贷, created and seeded in scratch stores.

``lending_stores`` (parametrised ``services`` | ``sqlite``) gives a :class:`LendingStores`:

- ``services``: store ``core`` on a new PostgreSQL database, ``risk`` on a new MariaDB
  database, ``cache`` on Redis under a fresh key prefix — all dropped / deleted after;
- ``sqlite``: ``core`` and ``risk`` as two SQLite files in ``tmp_path`` (what ``make demo``
  runs on), ``cache`` on Redis as above.

Both are seeded with :data:`SUBJECTS` users (each profile twice) as of :data:`TODAY`, and
the environment variables of the data map's store URLs are set (``monkeypatch``), so
``yinsi.connectors.Connectors(stores.data_map)`` — or a subprocess — reaches them.
``stores.data_map`` is ``examples/datamaps/xiaoying-kadai.yaml`` with the Redis prefix in
front of its key patterns. For other sizes or one backend only, use the
``lending_stores_factory`` fixture (:func:`lending_stores_on`).

Test modules load this file with ``pytest_plugins = ["sample_fixtures"]`` and use its
fixtures; importing it at the top of a test module would keep pytest from loading it as a
plugin (it must rewrite its asserts first). Import names from it inside a test, or under
``if TYPE_CHECKING:`` for annotations.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import redis
from sqlalchemy.engine import Engine

import yinsi_demo as sample
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.declaration.loader import load
from yinsi.declaration.schema import Declaration
from yinsi.storage import create_engine
from yinsi_demo import CACHE, CORE, RISK, Cell, Seeded

pytest_plugins = ["services"]  # MariaDB and Redis; it loads storage_fixtures (PostgreSQL)

ROOT = Path(__file__).resolve().parent.parent
DECLARATION_PATH = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP_PATH = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"

TODAY = date(2025, 6, 16)
SUBJECTS = 10
SEED = 20250616
URL_VARIABLES = {
    CORE: "YINSI_SAMPLE_CORE_URL",
    RISK: "YINSI_SAMPLE_RISK_URL",
    CACHE: "YINSI_SAMPLE_CACHE_URL",
}
BACKENDS = ["services", "sqlite"]


@cache
def load_declaration() -> Declaration:
    """The 小赢卡贷 declaration (loaded once; it is immutable)."""
    return load(DECLARATION_PATH)


@dataclass(frozen=True)
class LendingStores:
    backend: str
    """``services`` (PostgreSQL + MariaDB) or ``sqlite``; Redis in both."""
    urls: dict[str, str]
    """Per store id of the data map (``core``, ``risk``, ``cache``)."""
    engines: dict[str, Engine]
    """Per SQL store (``core``, ``risk``)."""
    redis: redis.Redis
    """A client of the cache store (str responses)."""
    redis_prefix: str
    declaration: Declaration
    data_map: DataMap
    """The sample's data map with ``redis_prefix`` in front of its Redis key patterns."""
    seeded: Seeded

    @property
    def environ(self) -> dict[str, str]:
        """The data map's URL variables, e.g. for a subprocess."""
        return {URL_VARIABLES[store]: url for store, url in self.urls.items()}

    def snapshot(self) -> dict[Cell, object]:
        """Every PI value now in the stores."""
        return sample.snapshot(self.engines, self.redis, self.redis_prefix)

    def count(self) -> dict[tuple[str, str], int]:
        """Records per ``(store, dataset)`` now in the stores."""
        return sample.count(self.engines, self.redis, self.redis_prefix)


@contextmanager
def lending_stores_on(
    backend: str,
    folder: Path,
    *,
    subjects: int = SUBJECTS,
    seed: int = SEED,
    today: date = TODAY,
    keep_truth: bool = True,
) -> Iterator[LendingStores]:
    """Scratch stores on ``backend`` with the sample created and seeded; all removed after.

    Sets no environment variable: pass ``stores.environ`` on, or use the fixture.
    """
    from services import REDIS_URL, mariadb_database  # plugins by now: see the docstring
    from storage_fixtures import postgres_database

    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r}: use one of {', '.join(BACKENDS)}")
    with ExitStack() as stack:
        if backend == "services":
            core_url = stack.enter_context(postgres_database())
            risk_url = stack.enter_context(mariadb_database())
        else:
            core_url = f"sqlite:///{folder / 'lending-core.db'}"
            risk_url = f"sqlite:///{folder / 'lending-risk.db'}"
        client, prefix = stack.enter_context(redis_scratch(REDIS_URL))
        engines = {CORE: create_engine(core_url), RISK: create_engine(risk_url)}
        for engine in engines.values():
            stack.callback(engine.dispose)
        sample.create(engines)
        seeded = sample.seed(
            engines,
            client,
            prefix,
            subjects=subjects,
            seed=seed,
            today=today,
            keep_truth=keep_truth,
        )
        data_map = sample.with_key_prefix(load_data_map(DATA_MAP_PATH, load_declaration()), prefix)
        yield LendingStores(
            backend=backend,
            urls={CORE: core_url, RISK: risk_url, CACHE: REDIS_URL},
            engines=engines,
            redis=client,
            redis_prefix=prefix,
            declaration=load_declaration(),
            data_map=data_map,
            seeded=seeded,
        )


@contextmanager
def redis_scratch(url: str) -> Iterator[tuple[redis.Redis, str]]:
    """A client (str responses) and a fresh key prefix whose keys are deleted on leaving."""
    client = redis.Redis.from_url(url, decode_responses=True)
    prefix = f"yinsi_t:{secrets.token_hex(6)}:"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()


LendingFactory = Callable[..., AbstractContextManager[LendingStores]]


@pytest.fixture
def lending_stores_factory() -> LendingFactory:
    """:func:`lending_stores_on`: ``with factory("sqlite", tmp_path, subjects=1000) as s:``."""
    return lending_stores_on


@pytest.fixture
def sample_declaration() -> Declaration:
    """The 小赢卡贷 declaration the sample's data map is checked against."""
    return load_declaration()


@pytest.fixture(params=BACKENDS)
def lending_stores(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LendingStores]:
    """The seeded sample on each backend, its URL variables set for the data map."""
    with lending_stores_on(request.param, tmp_path) as stores:
        for variable, url in stores.environ.items():
            monkeypatch.setenv(variable, url)
        yield stores
