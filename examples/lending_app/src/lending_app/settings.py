"""The app's settings, from the environment (the lender's own names, prefix ``LENDING_``).

=============================  ==========================================================
``LENDING_DATABASE_URL``       the app's database (any SQLAlchemy URL); default the SQLite
                               file ``./.lending/lending.db``
``LENDING_KEYS_FILE``          field-encryption and blind-index keys (yinsi-keys/1 JSON,
                               0600); default ``./.lending/keys.json``, created if missing
``LENDING_DECLARATION``        the 小赢卡贷 declaration published at start (embedded mode)
``YINSI_URL``, ``YINSI_API_KEY``  both set: yinsi over HTTP; else yinsi embedded on
                               ``YINSI_DATABASE_URL`` (default ``./.yinsi/yinsi.db``)
=============================  ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3]
"""``examples/`` of a yinsi clone (the app is installed from it with ``pip install -e``)."""

APP_ID = "xiaoying_kadai"


@dataclass(frozen=True, slots=True)
class AppSettings:
    database_url: str
    keys_file: Path
    declaration: Path
    yinsi_url: str | None = None
    yinsi_api_key: str | None = None
    yinsi_database_url: str | None = None
    app_id: str = APP_ID

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LENDING_HOME", ".lending"))
        url = env.get("YINSI_URL") or None
        key = env.get("YINSI_API_KEY") or None
        if (url is None) != (key is None):
            raise ValueError(
                "YINSI_URL 与 YINSI_API_KEY 须同时设置（通过 HTTP 使用 yinsi），或都不设置（嵌入式）"
            )
        return cls(
            database_url=env.get("LENDING_DATABASE_URL") or f"sqlite:///{home / 'lending.db'}",
            keys_file=Path(env.get("LENDING_KEYS_FILE") or home / "keys.json"),
            declaration=Path(
                env.get("LENDING_DECLARATION") or EXAMPLES / "declarations" / "xiaoying-kadai.yaml"
            ),
            yinsi_url=url,
            yinsi_api_key=key,
            yinsi_database_url=env.get("YINSI_DATABASE_URL") or None,
        )
