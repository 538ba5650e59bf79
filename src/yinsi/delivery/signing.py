"""The signature of yinsi's HTTP deliveries (SMS gateway, push webhook).

The same scheme as yinsi's processor webhooks (:mod:`yinsi.connectors.signing`), so one
receiving side checks both. Every request carries::

    Content-Type:      application/json; charset=utf-8
    X-Yinsi-Timestamp: 1767225600                     (Unix seconds)
    X-Yinsi-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + body)>
    Idempotency-Key:   <the message id; the same on every retry>

``timestamp + body`` is the timestamp's ASCII digits immediately followed by the raw
body bytes. The receiver recomputes the HMAC with the shared secret over the raw body
(before parsing it), compares in constant time, refuses a timestamp more than 300 s
away from its clock, and sends a message once per ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Yinsi-Timestamp"
SIGNATURE_HEADER = "X-Yinsi-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Yinsi-Signature`` value: ``sha256=<hex>``."""
    key = secret.encode("utf-8")
    return "sha256=" + hmac.new(key, timestamp.encode("ascii") + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, idempotency_key: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def valid(secret: str, timestamp: str, body: bytes, header: str, max_age_s: float = 300) -> bool:
    """Whether a request yinsi signed checks (for a receiver written in Python)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)
