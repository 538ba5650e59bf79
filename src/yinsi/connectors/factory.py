"""One connector per store of a data map, made from the store's (expanded) URL.

:func:`connect` picks the adapter by ``store.kind`` and creates the engine or client it
owns; :class:`Connectors` holds the connectors of a data map by store id, connects each
on first use and closes them all on leaving its ``with`` block.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType

import httpx
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from yinsi.connectors.redis import RedisConnector
from yinsi.connectors.sql import SqlConnector
from yinsi.connectors.urls import display_url, expand
from yinsi.connectors.webhook import RetryPolicy, WebhookConnector
from yinsi.declaration.datamap import DataMap, Store
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.storage.url import normalize

CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0


def referenced_columns(data_map: DataMap) -> dict[str, frozenset[str]]:
    """Per dataset id, its columns that children's ``parent.references`` point at."""
    found: dict[str, set[str]] = {}
    for ds in data_map.datasets:
        if ds.parent is not None and ds.parent.references is not None:
            found.setdefault(ds.parent.dataset, set()).add(ds.parent.references)
    return {k: frozenset(v) for k, v in found.items()}


def connect(
    store: Store,
    *,
    app: str = "",
    referenced: Mapping[str, frozenset[str]] | None = None,
    environ: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
) -> Connector:
    """A connector for ``store`` owning its engine or client (closed by ``close()``).

    Nothing is contacted yet: the first ``find``/``erase``/``correct`` connects.
    Raises :class:`ConnectorError` for an unset ``${VAR}`` or a URL that does not fit.
    """
    if store.kind == "webhook":
        http = httpx.Client(timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
        try:
            return WebhookConnector(store, http, app=app, retry=retry, environ=environ, owned=True)
        except BaseException:
            http.close()
            raise
    url = expand(store.id, store.url, environ)
    if store.kind == "redis":
        return RedisConnector(store, _redis_client(store.id, url), owned=True)
    return SqlConnector(store, _engine(store.id, url), referenced=referenced, owned=True)


def _engine(store: str, url: str) -> sa.Engine:
    try:
        parsed = make_url(normalize(url))
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError):
        raise ConnectorError(
            store,
            f"{display_url(url)} is not a database URL; write it as "
            "postgresql+psycopg://…, mysql+pymysql://… or sqlite:///…",
        ) from None
    if backend == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:") and not Path(database).expanduser().exists():
            raise ConnectorError(
                store,
                f"the SQLite file {database} does not exist; check the store's url "
                "(connecting would create it empty)",
            )
    timeout = {"connect_timeout": int(CONNECT_TIMEOUT_S)}
    try:
        return sa.create_engine(
            parsed,
            pool_pre_ping=True,
            hide_parameters=True,  # the app's PI never reaches a log through an error message
            connect_args=timeout if backend in ("postgresql", "mysql", "mariadb") else {},
        )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConnectorError(
            store,
            f"cannot use {display_url(url)}: {exc}; install its driver or use "
            "postgresql+psycopg://…, mysql+pymysql://… or sqlite:///…",
        ) from None


def _redis_client(store: str, url: str) -> redis.Redis:
    try:
        return redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=REQUEST_TIMEOUT_S,
        )
    except ValueError:
        raise ConnectorError(
            store,
            f"{display_url(url)} is not a Redis URL; write it as redis://[:password@]host:6379/0",
        ) from None


class Connectors(Mapping[str, Connector]):
    """The connectors of a data map by store id; a context manager that closes them all.

    Each store is connected on first access, so a store the request never touches is
    never contacted (and its ``${VAR}`` need not be set). Connectors passed in
    ``connectors`` are used as they are and closed too.
    """

    def __init__(
        self,
        data_map: DataMap,
        *,
        environ: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        connectors: Mapping[str, Connector] | None = None,
    ) -> None:
        self._stores = {s.id: s for s in data_map.stores}
        self._app = data_map.app
        self._referenced = referenced_columns(data_map)
        self._environ = environ
        self._retry = retry
        self._open: dict[str, Connector] = dict(connectors or {})

    def __getitem__(self, store_id: str) -> Connector:
        found = self._open.get(store_id)
        if found is not None:
            return found
        store = self._stores.get(store_id)
        if store is None:
            raise KeyError(store_id)
        connector = connect(
            store,
            app=self._app,
            referenced=self._referenced,
            environ=self._environ,
            retry=self._retry,
        )
        self._open[store_id] = connector
        return connector

    def __iter__(self) -> Iterator[str]:
        return iter(self._stores)

    def __len__(self) -> int:
        return len(self._stores)

    def close(self) -> None:
        """Close every connector opened so far; the first error is raised after all."""
        opened, self._open = list(self._open.values()), {}
        errors: list[Exception] = []
        for connector in opened:
            try:
                connector.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> Connectors:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
