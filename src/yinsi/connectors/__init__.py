"""Adapters to the stores that hold an app's PI: SQL, Redis, HTTP webhooks.

Every name is imported on first use (:mod:`yinsi._lazy`): a connector loads its driver
(SQLAlchemy, redis, httpx) only when it is used.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

if TYPE_CHECKING:
    from yinsi.connectors.factory import Connectors, connect, referenced_columns
    from yinsi.connectors.redis import RedisConnector
    from yinsi.connectors.signing import SignatureError, sign, verify_signature
    from yinsi.connectors.sql import SqlConnector
    from yinsi.connectors.urls import display_url, expand
    from yinsi.connectors.webhook import RetryPolicy, WebhookConnector
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "factory": (
                "Connectors",
                "connect",
                "referenced_columns",
            ),
            "redis": ("RedisConnector",),
            "signing": (
                "SignatureError",
                "sign",
                "verify_signature",
            ),
            "sql": ("SqlConnector",),
            "urls": (
                "display_url",
                "expand",
            ),
            "webhook": (
                "RetryPolicy",
                "WebhookConnector",
            ),
        },
    )

__all__ = [
    "Connectors",
    "RedisConnector",
    "RetryPolicy",
    "SignatureError",
    "SqlConnector",
    "WebhookConnector",
    "connect",
    "display_url",
    "expand",
    "referenced_columns",
    "sign",
    "verify_signature",
]
