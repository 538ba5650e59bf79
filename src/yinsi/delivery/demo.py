"""The demo sender (``yinsi serve --demo`` only): sends nothing, logs almost nothing.

It logs the channel, the purpose (the template) and the masked address at INFO —
never the text, a code, a title or a body — and keeps only a count per channel, so a
demo left running for weeks holds no list of phones and codes.
"""

from __future__ import annotations

import logging
from collections import Counter

from yinsi.delivery.messages import (
    Channel,
    DeliveryResult,
    EmailMessage,
    Outcome,
    PushMessage,
    SmsMessage,
    masked,
)

__all__ = ["DemoSender"]

log = logging.getLogger("yinsi.delivery.demo")


class DemoSender:
    """Every channel at once; ``count[channel]`` is all it remembers."""

    def __init__(self) -> None:
        self.count: Counter[Channel] = Counter()

    def _note(self, channel: Channel, address: str, purpose: str) -> DeliveryResult:
        self.count[channel] += 1
        log.info(
            "demo mode, not sent: %s %s to %s", channel.value, purpose, masked(channel, address)
        )
        return DeliveryResult(Outcome.DELIVERED, 1, provider_id="demo")

    def send(self, message: SmsMessage | EmailMessage | PushMessage) -> DeliveryResult:
        if isinstance(message, SmsMessage):
            return self._note(Channel.SMS, message.phone, message.purpose.value)
        if isinstance(message, EmailMessage):
            return self._note(Channel.EMAIL, message.to, message.purpose.value)
        return self._note(Channel.PUSH, message.user_id, message.purpose.value)
