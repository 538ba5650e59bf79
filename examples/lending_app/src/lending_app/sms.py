"""Sending SMS codes. The code is in the message only: never logged, never stored in clear.

:class:`Outbox` keeps the last messages in memory (development and tests read them
there); a deployment plugs in its SMS gateway with the same ``send`` method.
"""

from __future__ import annotations

from typing import Protocol


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        del self.sent[:-100]
