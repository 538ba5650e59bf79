"""Adapters to the stores that hold an app's PI: SQL, Redis, HTTP webhooks."""

from yinsi.connectors.factory import Connectors, connect, referenced_columns
from yinsi.connectors.redis import RedisConnector
from yinsi.connectors.signing import SignatureError, sign, verify_signature
from yinsi.connectors.sql import SqlConnector
from yinsi.connectors.urls import display_url, expand
from yinsi.connectors.webhook import RetryPolicy, WebhookConnector

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
