"""The demo's sample stores and the files it leaves in its folder.

The stores are what ``yinsi sample seed`` makes: ``core.db`` and ``risk.db`` (SQLite) in
the folder, the cache on Redis under a key prefix, ``datamap.yaml`` (the example data map
with that prefix) and ``env`` (the store URLs, to ``source``). :func:`facts` reads back
what the consent history needs to agree with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine as SqlEngine

import yinsi_demo as sample
from yinsi.storage import create_engine
from yinsi_demo.demo_desk import CHINA
from yinsi_demo.demo_plan import UserFacts

URL_VARIABLES = {
    sample.CORE: "YINSI_SAMPLE_CORE_URL",
    sample.RISK: "YINSI_SAMPLE_RISK_URL",
    sample.CACHE: "YINSI_SAMPLE_CACHE_URL",
}
"""The variables the example data map reads its store URLs from."""


class DemoError(Exception):
    """What stops the demo's seeding, and what to do about it."""


@dataclass
class Stores:
    """The sample stores of one seeding, created empty (older ones in the folder replaced)."""

    urls: dict[str, str]
    engines: dict[str, SqlEngine]
    redis: redis.Redis

    @classmethod
    def create(cls, folder: Path, redis_url: str, prefix: str) -> Stores:
        try:
            sample.check_key_prefix(prefix)
        except ValueError as exc:
            raise DemoError(str(exc)) from None
        folder.mkdir(parents=True, exist_ok=True)
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        try:
            stale = list(client.scan_iter(match=prefix + "*", count=1000))
            if stale:
                client.delete(*stale)
        except redis.RedisError as exc:
            client.close()
            raise DemoError(
                f"Redis at {redis_url}: {exc}; start Redis or pass another URL"
            ) from None
        urls = {store: f"sqlite:///{folder / f'{store}.db'}" for store in sample.SQL_STORES}
        for store in sample.SQL_STORES:
            (folder / f"{store}.db").unlink(missing_ok=True)
        engines = {store: create_engine(url) for store, url in urls.items()}
        sample.create(engines)
        return cls({**urls, sample.CACHE: redis_url}, engines, client)

    @property
    def environ(self) -> dict[str, str]:
        return {URL_VARIABLES[store]: url for store, url in self.urls.items()}

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        self.redis.close()


def facts(engines: Mapping[str, SqlEngine], seeded: sample.Seeded) -> list[UserFacts]:
    """Per user, in seeding order: registration, cancellation, first loan application and
    the datasets holding the user's records (times as China time, like the app's)."""
    tables = sample.METADATA[sample.CORE].tables
    users, loans = tables["users"], tables["loans"]
    with engines[sample.CORE].connect() as conn:
        accounts = {
            row.id: row
            for row in conn.execute(sa.select(users.c.id, users.c.created_at, users.c.cancelled_at))
        }
        first = sa.select(loans.c.user_id, sa.func.min(loans.c.applied_at))
        first_loans: dict[str, datetime] = {
            uid: at for uid, at in conn.execute(first.group_by(loans.c.user_id))
        }
    out: list[UserFacts] = []
    for uid in seeded.subjects:
        account = accounts[uid]
        out.append(
            UserFacts(
                uid,
                _china(account.created_at),
                None if account.cancelled_at is None else _china(account.cancelled_at),
                None if uid not in first_loans else _china(first_loans[uid]),
                frozenset(cell.dataset for cell in seeded.cells_of(uid)),
            )
        )
    return out


def _china(value: datetime) -> datetime:
    """A naive time of the sample (the app's local time) as China time."""
    return value.replace(tzinfo=CHINA)


def write_store_files(folder: Path, urls: Mapping[str, str], prefix: str, data_map: Path) -> Path:
    """``datamap.yaml`` (``data_map`` with ``prefix`` on its Redis keys) and ``env``."""
    text = data_map.read_text(encoding="utf-8").replace('key: "', f'key: "{prefix}')
    target = folder / "datamap.yaml"
    target.write_text(text, encoding="utf-8")
    env = {URL_VARIABLES[store]: url for store, url in urls.items()}
    (folder / "env").write_text(
        "".join(f"export {k}='{v}'\n" for k, v in env.items()), encoding="utf-8"
    )
    return target


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    lines = ["\t".join(header), *("\t".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
