"""Signed JSON deliveries over HTTP: the generic SMS gateway and the app-push webhook.

Both POST one JSON object per message, signed as :mod:`yinsi.delivery.signing` says, and
read the answer the same way: a 2xx is delivered (the provider's id from the JSON
``id`` field of the answer, else yinsi's message id); a 429, a 5xx, a timeout or a
refused connection is tried again (bounded, with backoff); any other status fails at
once. What the receiving side gets:

SMS gateway (``YINSI_DELIVERY__SMS__PROVIDER=http``)::

    {"id": "msg_…", "phone": "13812341234", "purpose": "verification",
     "text": "【小赢卡贷】…验证码123456…", "params": {"code": "123456", "minutes": "10"}}

Push webhook (``YINSI_DELIVERY__PUSH__PROVIDER=webhook``)::

    {"id": "msg_…", "user_id": "u1", "purpose": "incident_notice",
     "title": "…", "body": "…"}
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping

import httpx

from yinsi.delivery.messages import DeliveryResult, PushMessage, SmsMessage
from yinsi.delivery.retry import Permanent, Retry, Transient, deliver
from yinsi.delivery.signing import signed_headers

__all__ = ["HttpSmsGateway", "PushWebhook", "post_signed"]


def _provider_id(response: httpx.Response, fallback: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return fallback
    found = data.get("id") if isinstance(data, dict) else None
    return str(found) if found else fallback


def post_signed(
    client: httpx.Client, url: str, secret: str, payload: Mapping[str, object]
) -> Callable[[], str]:
    """One try of a signed POST (for :func:`~yinsi.delivery.retry.deliver`)."""
    message_id = str(payload["id"])
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def attempt() -> str:
        headers = signed_headers(secret, body, message_id)
        try:
            response = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise Transient(f"{_host(url)} 超时未应答") from None
        except httpx.TransportError as exc:
            raise Transient(f"无法连接 {_host(url)}（{type(exc).__name__}）") from None
        status = response.status_code
        if 200 <= status < 300:
            return _provider_id(response, message_id)
        if status == 429 or status >= 500:
            raise Transient(f"{_host(url)} 应答 HTTP {status}")
        raise Permanent(f"{_host(url)} 拒绝：HTTP {status}")

    return attempt


def _host(url: str) -> str:
    return httpx.URL(url).host or url


class _Signed:
    def __init__(self, url: str, secret: str, retry: Retry) -> None:
        if not url or not secret:
            raise ValueError("a signed HTTP delivery needs a URL and a secret")
        self.url = url
        self._secret = secret
        self.retry = retry
        self._client = httpx.Client(timeout=retry.timeout_s)

    def _post(self, payload: Mapping[str, object]) -> DeliveryResult:
        return deliver(post_signed(self._client, self.url, self._secret, payload), self.retry)

    def close(self) -> None:
        self._client.close()


class HttpSmsGateway(_Signed):
    """SMS through a gateway the lender runs: a signed JSON POST per message."""

    def send(self, message: SmsMessage) -> DeliveryResult:
        return self._post(
            {
                "id": f"msg_{secrets.token_hex(8)}",
                "phone": message.phone,
                "purpose": message.purpose.value,
                "text": message.text,
                "params": dict(message.params),
            }
        )


class PushWebhook(_Signed):
    """App push: a signed JSON POST to the app's back-end, which pushes to the devices."""

    def send(self, message: PushMessage) -> DeliveryResult:
        return self._post(
            {
                "id": f"msg_{secrets.token_hex(8)}",
                "user_id": message.user_id,
                "purpose": message.purpose.value,
                "title": message.title,
                "body": message.body,
            }
        )
