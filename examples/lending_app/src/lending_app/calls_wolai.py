"""Placing post-loan and emergency calls (我来数科 W06). The number is in the call only:
never logged, never stored in clear.

:class:`CallOutbox` keeps the last calls in memory (development and tests read them
there); a deployment plugs in its call-centre gateway with the same ``dial`` method, which
returns a reference to the call's recording (calls may be recorded, W06) or None.
"""

from __future__ import annotations

import secrets
from typing import Protocol


class Dialer(Protocol):
    def dial(self, phone: str, purpose: str) -> str | None: ...


class CallOutbox:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def dial(self, phone: str, purpose: str) -> str | None:
        self.calls.append((phone, purpose))
        del self.calls[:-100]
        return f"rec://calls/{secrets.token_hex(8)}.wav"
