"""The reference lending app served on a free port (uvicorn in a thread) for the H5 page
tests of ``test_lending_app_pages_shop.py`` and ``test_lending_app_pages_wolai.py``: either
brand, SQLite files in a folder, yinsi embedded beside it and read back with ``Services``,
and the SMS codes kept in an :class:`Outbox`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lending_app import create_app
from lending_app.settings import BRANDS, AppSettings
from lending_app.sms import Outbox

from served import served
from yinsi.services.root import Services


@dataclass
class LiveApp:
    url: str
    app_id: str
    yinsi: Services
    db: sa.Engine
    outbox: Outbox

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]

    def subject(self) -> str:
        """The one user of the app (the tests sign up a single user)."""
        [user] = self.rows("users")
        return str(user["id"])


@contextmanager
def live_lending_app(folder: Path, brand: str) -> Iterator[LiveApp]:
    settings = AppSettings(
        database_url=f"sqlite:///{folder / 'lending.db'}",
        keys_file=folder / "keys.json",
        declaration=BRANDS[brand].declaration,
        yinsi_database_url=f"sqlite:///{folder / 'yinsi.db'}",
        app_id=BRANDS[brand].app_id,
        brand=brand,
    )
    outbox = Outbox()
    app = create_app(settings, sms=outbox)
    assert settings.yinsi_database_url is not None
    with served(app) as url:
        services = Services.open(settings.yinsi_database_url)
        db = sa.create_engine(settings.database_url)
        try:
            yield LiveApp(url, settings.app_id, services, db, outbox)
        finally:
            db.dispose()
            services.close()
