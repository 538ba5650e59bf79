"""The senders of a process, built from its settings (``delivery`` section).

Outside demo mode each channel gets the adapter its ``provider`` names, or none; in demo
mode every channel without a provider gets the :class:`~yinsi.delivery.demo.DemoSender`.
A channel with no sender is not configured: :class:`NotConfigured` says what to set.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.delivery.cloud_sms import AliyunSms, TencentSms
from yinsi.delivery.demo import DemoSender
from yinsi.delivery.messages import Channel, EmailSender, PushSender, SmsSender
from yinsi.delivery.retry import Retry
from yinsi.delivery.signed_http import HttpSmsGateway, PushWebhook
from yinsi.delivery.smtp import SmtpSender
from yinsi.settings.delivery import DeliverySettings, EmailSettings, PushSettings, SmsSettings

__all__ = ["NotConfigured", "Senders", "build_senders"]

SETTING = {
    Channel.SMS: (
        "YINSI_DELIVERY__SMS__PROVIDER",
        "delivery.sms.provider",
        "http, aliyun or tencent",
    ),
    Channel.EMAIL: ("YINSI_DELIVERY__EMAIL__PROVIDER", "delivery.email.provider", "smtp"),
    Channel.PUSH: ("YINSI_DELIVERY__PUSH__PROVIDER", "delivery.push.provider", "webhook"),
}
_ZH = {Channel.SMS: "短信", Channel.EMAIL: "电子邮件", Channel.PUSH: "App 推送"}


class NotConfigured(ValueError):
    """A message was to go through a channel no provider is configured for."""

    def __init__(self, channel: Channel) -> None:
        variable, key, choices = SETTING[channel]
        super().__init__(
            f"未配置{_ZH[channel]}发送：设置 {variable}（设置文件中的 {key}：{choices}）"
            "及其参数，见 docs/operations.md（仅演示：YINSI_DEMO=true 或 yinsi serve --demo）"
        )
        self.channel = channel


@dataclass(frozen=True, slots=True)
class Senders:
    sms: SmsSender | None = None
    email: EmailSender | None = None
    push: PushSender | None = None

    def configured(self, channel: Channel) -> bool:
        return getattr(self, channel.value) is not None


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return "" if getter is None else str(getter())


def _sms(s: SmsSettings, retry: Retry) -> SmsSender | None:
    if s.provider == "http":
        return HttpSmsGateway(s.url or "", _secret(s.secret), retry)
    if s.provider == "aliyun":
        return AliyunSms(
            s.key_id or "",
            _secret(s.key_secret),
            s.sign_name or "",
            s.templates,
            endpoint=s.endpoint,
            retry=retry,
        )
    if s.provider == "tencent":
        return TencentSms(
            s.key_id or "",
            _secret(s.key_secret),
            s.sdk_app_id or "",
            s.sign_name or "",
            s.templates,
            region=s.region,
            endpoint=s.endpoint,
            retry=retry,
        )
    return None


def _email(s: EmailSettings, retry: Retry) -> EmailSender | None:
    if s.provider != "smtp":
        return None
    password = _secret(s.password) or None
    return SmtpSender(
        s.host or "",
        s.port,
        s.sender or "",
        security=s.security,
        username=s.username,
        password=password,
        retry=retry,
    )


def _push(s: PushSettings, retry: Retry) -> PushSender | None:
    return PushWebhook(s.url or "", _secret(s.secret), retry) if s.provider == "webhook" else None


def build_senders(settings: DeliverySettings, *, demo: bool = False) -> Senders:
    """The configured adapters (demo mode: the demo sender where none is configured).

    Raises :class:`~yinsi.delivery.cloud_sms.SdkMissing` when a cloud SMS SDK is not
    installed."""
    retry = Retry(settings.attempts, settings.backoff_seconds, settings.timeout_seconds)
    sms, email, push = (
        _sms(settings.sms, retry),
        _email(settings.email, retry),
        _push(settings.push, retry),
    )
    if demo:
        fake = DemoSender()
        return Senders(sms or fake, email or fake, push or fake)
    return Senders(sms, email, push)
