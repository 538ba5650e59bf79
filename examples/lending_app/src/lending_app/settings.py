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
``LENDING_SDK_URLS``           where the H5 pages load third-party SDK scripts from,
                               ``sdk_id=https://…`` pairs separated by commas (``sdk_id=``
                               alone: that SDK's tag is left out); the others keep
                               :data:`SDK_URLS`. Every tag stays gated by yinsi-consent.js
``YINSI_URL``, ``YINSI_API_KEY``  both set: yinsi over HTTP; else yinsi embedded on
                               ``YINSI_DATABASE_URL`` (default ``./.yinsi/yinsi.db``)
=============================  ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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

SDK_URLS: Mapping[str, str] = {
    "baidu_analytics": "https://hm.baidu-tongji.test/hm.js?lending",
    "tencent_cloud_face": "https://faceid.tencentcloud.test/sdk/face-h5.js",
}
"""The third-party scripts of the 小赢卡贷 SDKs an H5 page loads (declaration ``sdks:``):
百度分析 on every page, 腾讯云 face recognition on ``/credit``. The defaults sit on
``.test`` hosts (never a real vendor: the tests run offline); a deployment names the
vendors' URLs in ``LENDING_SDK_URLS``."""


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
    sdk_urls: Mapping[str, str] = field(default_factory=lambda: dict(SDK_URLS))
    """Third-party SDK script URLs by SDK id (:data:`SDK_URLS`, ``LENDING_SDK_URLS``)."""

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
            sdk_urls=parse_sdk_urls(env.get("LENDING_SDK_URLS") or ""),
        )


def parse_sdk_urls(value: str) -> dict[str, str]:
    """:data:`SDK_URLS` with the ``sdk_id=url`` pairs of ``LENDING_SDK_URLS`` applied (an
    empty url drops the SDK's tag); only ``https://`` URLs are accepted."""
    found = dict(SDK_URLS)
    for pair in filter(None, (p.strip() for p in value.split(","))):
        sdk, sep, url = (part.strip() for part in pair.partition("="))
        if not sep or not sdk:
            raise ValueError(f"LENDING_SDK_URLS 的每一项须为 sdk_id=https://…，而不是 {pair!r}")
        if url and not url.startswith("https://"):
            raise ValueError(f"LENDING_SDK_URLS 中 {sdk} 的地址须以 https:// 开头")
        if url:
            found[sdk] = url
        else:
            found.pop(sdk, None)
    return found


def _brand(name: str) -> Brand:
    found = BRANDS.get(name)
    if found is None:
        raise ValueError(f"LENDING_BRAND 须为 {' 或 '.join(BRANDS)}，而不是 {name!r}")
    return found
