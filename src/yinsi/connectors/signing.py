"""Signed webhook requests: HMAC-SHA256 over the timestamp and the body.

Every request yinsi sends to a processor carries::

    X-Yinsi-Timestamp: 1767225600                  (Unix seconds)
    X-Yinsi-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + body)>
    Idempotency-Key:   <the step's key; the same on every retry>

``timestamp + body`` is the timestamp's ASCII digits immediately followed by the raw
body bytes. A processor written in Python checks a request with
:func:`verify_signature`; it refuses a request signed too long ago (replay protection by
timestamp) and should act once per ``Idempotency-Key`` (replays inside the window).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Yinsi-Timestamp"
SIGNATURE_HEADER = "X-Yinsi-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_AGE_S = 300
_PREFIX = "sha256="


class SignatureError(ValueError):
    """A webhook request whose signature or timestamp does not check; refuse it (401)."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Yinsi-Signature`` header value: ``sha256=<hex>``."""
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + body, hashlib.sha256)
    return _PREFIX + digest.hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str | None,
    body: bytes,
    header: str | None,
    max_age_s: float = MAX_AGE_S,
    *,
    now: float | None = None,
) -> None:
    """Check a request yinsi signed; raises :class:`SignatureError` saying what is wrong.

    ``timestamp`` and ``header`` are the ``X-Yinsi-Timestamp`` and ``X-Yinsi-Signature``
    headers, ``body`` the raw body as received (before any JSON parsing). A timestamp more
    than ``max_age_s`` seconds away from ``now`` (default: the clock) is refused.
    """
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureError(f"missing or malformed {TIMESTAMP_HEADER} header (Unix seconds)")
    if not header or not header.startswith(_PREFIX):
        raise SignatureError(f"missing or malformed {SIGNATURE_HEADER} header (sha256=<hex>)")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > max_age_s:
        raise SignatureError(
            f"the request was signed {int(age)} s from now, outside ±{max_age_s:g} s: "
            "a replay, or a clock to set right (NTP)"
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), header.strip()):
        raise SignatureError(
            "the signature does not match the body: the secrets of yinsi's data map and "
            "of this processor differ, or the body was changed on the way"
        )
