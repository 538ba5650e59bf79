"""Delivery adapters: SMS, e-mail and app push to the people yinsi must tell.

    messages   the message and result types and the port of each channel
    signed_http  the generic SMS gateway and the push webhook (signed JSON over HTTP)
    cloud_sms  Alibaba Cloud and Tencent Cloud SMS (the ``cloud-sms`` extra)
    smtp       e-mail over SMTP (STARTTLS, SSL or plain; login optional)
    demo       the demo-mode sender: sends nothing, logs no text or code
    build      the senders of a process from its settings

Every adapter retries transient failures (bounded, with backoff) and answers one
:class:`~yinsi.delivery.messages.DeliveryResult` per recipient; the service
:mod:`yinsi.services.delivery` records each one.
"""

from yinsi.delivery.build import NotConfigured, Senders, build_senders
from yinsi.delivery.cloud_sms import SdkMissing
from yinsi.delivery.messages import (
    Channel,
    DeliveryResult,
    EmailMessage,
    EmailSender,
    Outcome,
    Purpose,
    PushMessage,
    PushSender,
    SmsMessage,
    SmsSender,
    masked,
)
from yinsi.delivery.retry import Retry

__all__ = [
    "Channel",
    "DeliveryResult",
    "EmailMessage",
    "EmailSender",
    "NotConfigured",
    "Outcome",
    "Purpose",
    "PushMessage",
    "PushSender",
    "Retry",
    "SdkMissing",
    "Senders",
    "SmsMessage",
    "SmsSender",
    "build_senders",
    "masked",
]
