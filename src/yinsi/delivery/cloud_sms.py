"""SMS through Alibaba Cloud (阿里云短信, ``dysmsapi`` 2017-05-25) and Tencent Cloud
(腾讯云短信, ``sms`` 2021-01-11), with their official SDKs.

Both send a pre-approved template, not free text: a sign name (短信签名), a template id
per purpose (``YINSI_DELIVERY__SMS__TEMPLATES``, e.g. ``{"verification": "SMS_1234"}``)
and the template's parameters (``code`` and ``minutes`` for a verification code). The
SDKs are the ``cloud-sms`` extra (``pip install 'yinsi[cloud-sms]'``), imported when a
sender is built. ``endpoint`` (``http://127.0.0.1:8080`` in tests, a VPC endpoint in
production) overrides the public one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from yinsi.delivery.messages import DeliveryResult, Outcome, SmsMessage
from yinsi.delivery.retry import Permanent, Retry, Transient, deliver

__all__ = ["AliyunSms", "SdkMissing", "TencentSms"]

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"
_RETRYABLE_TENCENT = {"ClientNetworkError", "ServerNetworkError", "RequestLimitExceeded"}
_RETRYABLE_ALIYUN = {"Throttling", "ServiceUnavailable", "InternalError"}


class SdkMissing(RuntimeError):
    """The provider's SDK is not installed; the message says what to install."""


def _split(endpoint: str) -> tuple[str, str]:
    """``https://host:port`` → (``https``, ``host:port``); a bare host means https."""
    scheme, sep, host = endpoint.partition("://")
    return (scheme.lower(), host.rstrip("/")) if sep else ("https", endpoint.rstrip("/"))


class _Templated:
    provider = ""

    def __init__(self, sign_name: str, templates: Mapping[str, str], retry: Retry) -> None:
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.retry = retry

    def send(self, message: SmsMessage) -> DeliveryResult:
        template = self.templates.get(message.purpose.value)
        if not template:
            variable = f"YINSI_DELIVERY__SMS__TEMPLATES（键 {message.purpose.value}）"
            return DeliveryResult(
                Outcome.FAILED, 0, error=f"{self.provider}短信未配置该用途的模板：设置 {variable}"
            )
        return deliver(lambda: self._try(message, template), self.retry)

    def _try(self, message: SmsMessage, template: str) -> str:
        raise NotImplementedError


class AliyunSms(_Templated):
    provider = "阿里云"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        *,
        endpoint: str | None = None,
        retry: Retry | None = None,
    ) -> None:
        super().__init__(sign_name, templates, retry or Retry())
        try:
            from alibabacloud_dysmsapi20170525 import models  # type: ignore[import-untyped]
            from alibabacloud_dysmsapi20170525.client import Client  # type: ignore[import-untyped]
            from alibabacloud_tea_openapi.models import Config  # type: ignore[import-untyped]
            from alibabacloud_tea_util.models import RuntimeOptions  # type: ignore[import-untyped]
        except ImportError:
            raise SdkMissing(
                "阿里云短信需要其 SDK：pip install 'yinsi[cloud-sms]'"
                "（alibabacloud_dysmsapi20170525）"
            ) from None
        scheme, host = _split(endpoint or ALIYUN_ENDPOINT)
        config = Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=host,
            protocol=scheme.upper(),
        )
        self._models: Any = models
        self._client: Any = Client(config)
        timeout_ms = int(self.retry.timeout_s * 1000)
        self._runtime: Any = RuntimeOptions(read_timeout=timeout_ms, connect_timeout=timeout_ms)

    def _try(self, message: SmsMessage, template: str) -> str:
        from Tea.exceptions import TeaException  # type: ignore[import-untyped]

        request = self._models.SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=self.sign_name,
            template_code=template,
            template_param=json.dumps(dict(message.params), ensure_ascii=False),
        )
        try:
            response = self._client.send_sms_with_options(request, self._runtime)
        except TeaException as exc:
            status = getattr(exc, "statusCode", None) or 0
            text = f"阿里云短信错误 {exc.code}"
            if exc.code in _RETRYABLE_ALIYUN or status >= 500:
                raise Transient(text) from None
            raise Permanent(text) from None
        except Exception as exc:  # the SDK wraps network errors in its own types
            raise Transient(f"无法连接阿里云短信（{type(exc).__name__}）") from None
        body = response.body
        if body.code != "OK":
            raise Permanent(f"阿里云短信拒绝：{body.code}（{body.message}）")
        return str(body.biz_id or body.request_id)


class TencentSms(_Templated):
    provider = "腾讯云"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, str],
        *,
        region: str = "ap-guangzhou",
        endpoint: str | None = None,
        retry: Retry | None = None,
    ) -> None:
        super().__init__(sign_name, templates, retry or Retry())
        try:
            from tencentcloud.common import credential  # type: ignore[import-untyped]
            from tencentcloud.common.profile.client_profile import ClientProfile  # type: ignore[import-untyped]
            from tencentcloud.common.profile.http_profile import HttpProfile  # type: ignore[import-untyped]
            from tencentcloud.sms.v20210111 import models, sms_client  # type: ignore[import-untyped]
        except ImportError:
            raise SdkMissing(
                "腾讯云短信需要其 SDK：pip install 'yinsi[cloud-sms]'（tencentcloud-sdk-python-sms）"
            ) from None
        scheme, host = _split(endpoint or TENCENT_ENDPOINT)
        http = HttpProfile(protocol=scheme, endpoint=host, reqTimeout=int(self.retry.timeout_s))
        profile = ClientProfile(httpProfile=http)
        self._models: Any = models
        self._client: Any = sms_client.SmsClient(
            credential.Credential(secret_id, secret_key), region, profile
        )
        self.sdk_app_id = sdk_app_id

    def _try(self, message: SmsMessage, template: str) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # type: ignore[import-untyped]
            TencentCloudSDKException,
        )

        request = self._models.SendSmsRequest()
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = template
        request.TemplateParamSet = [str(v) for v in message.params.values()]
        request.PhoneNumberSet = [_e164(message.phone)]
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            text = f"腾讯云短信错误 {exc.code}"
            if exc.code in _RETRYABLE_TENCENT or str(exc.code).startswith("InternalError"):
                raise Transient(text) from None
            raise Permanent(text) from None
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None or status.Code != "Ok":
            code = status.Code if status is not None else "NoStatus"
            raise Permanent(f"腾讯云短信拒绝：{code}")
        return str(status.SerialNo)


def _e164(phone: str) -> str:
    """Tencent wants ``+86…``; a mainland number without a prefix gets it."""
    compact = phone.strip().replace(" ", "").replace("-", "")
    return compact if compact.startswith("+") else "+86" + compact
