"""The app's settings, from the environment (the lender's own names, prefix ``LENDING_``).

=============================  ==========================================================
``LENDING_BRAND``              ``xiaoying`` (小赢卡贷, default) or ``wolai`` (我来数科): the
                               app id, the declaration published and the name shown
``LENDING_DATABASE_URL``       the app's database (any SQLAlchemy URL); default the SQLite
                               file ``./.lending/lending.db``
``LENDING_KEYS_FILE``          field-encryption and blind-index keys (yinsi-keys/1 JSON,
                               0600); default ``./.lending/keys.json``, created if missing
``LENDING_DECLARATION``        the declaration published at start (embedded mode); default
                               the brand's
``LENDING_OPERATOR_KEY``       the back-office key of the post-loan endpoints (我来数科);
                               unset: those endpoints are closed
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


@dataclass(frozen=True, slots=True)
class Brand:
    """A platform the reference app can run as: its yinsi app id, declaration and name."""

    id: str
    app_id: str
    declaration: Path
    display_name: str
    policy_title: str = "隐私政策"
    """The title of the brand's published privacy policy (《…》 in the pages and answers)."""


BRANDS = {
    "xiaoying": Brand(
        "xiaoying",
        "xiaoying_kadai",
        EXAMPLES / "declarations" / "xiaoying-kadai.yaml",
        "小赢卡贷",
        "小赢卡贷隐私保护政策",
    ),
    # The remediated 我来数科 declaration (separate consents added; see
    # examples/lending_app/declarations/wolai-remediation.yaml), not the seed.
    "wolai": Brand(
        "wolai",
        "wolai_shuke",
        EXAMPLES / "lending_app" / "declarations" / "wolai-shuke-app.yaml",
        "我来数科",
        "隐私政策",
    ),
}
APP_ID = BRANDS["xiaoying"].app_id


@dataclass(frozen=True, slots=True)
class AppSettings:
    database_url: str
    keys_file: Path
    declaration: Path
    yinsi_url: str | None = None
    yinsi_api_key: str | None = None
    yinsi_database_url: str | None = None
    app_id: str = APP_ID
    brand: str = "xiaoying"
    operator_key: str | None = None

    @property
    def display_name(self) -> str:
        return BRANDS[self.brand].display_name

    @property
    def policy_title(self) -> str:
        return BRANDS[self.brand].policy_title

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LENDING_HOME", ".lending"))
        brand = _brand(env.get("LENDING_BRAND") or "xiaoying")
        url = env.get("YINSI_URL") or None
        key = env.get("YINSI_API_KEY") or None
        if (url is None) != (key is None):
            raise ValueError(
                "YINSI_URL 与 YINSI_API_KEY 须同时设置（通过 HTTP 使用 yinsi），或都不设置（嵌入式）"
            )
        return cls(
            database_url=env.get("LENDING_DATABASE_URL") or f"sqlite:///{home / 'lending.db'}",
            keys_file=Path(env.get("LENDING_KEYS_FILE") or home / "keys.json"),
            declaration=Path(env.get("LENDING_DECLARATION") or brand.declaration),
            yinsi_url=url,
            yinsi_api_key=key,
            yinsi_database_url=env.get("YINSI_DATABASE_URL") or None,
            app_id=brand.app_id,
            brand=brand.id,
            operator_key=env.get("LENDING_OPERATOR_KEY") or None,
        )


def _brand(name: str) -> Brand:
    found = BRANDS.get(name)
    if found is None:
        raise ValueError(f"LENDING_BRAND 须为 {' 或 '.join(BRANDS)}，而不是 {name!r}")
    return found
