"""The end of an entrustment: the deletion instruction owed to an entrusted processor,
and where that instruction stands (X21; PIPL Art. 21 para. 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yinsi.declaration.schema import Recipient
from yinsi.taxonomy import RecipientKind


class NotEntrusted(ValueError):
    def __init__(self, recipient: Recipient) -> None:
        super().__init__(
            f"recipient {recipient.id!r} is a {recipient.kind.value}, not an "
            "entrusted_processor: only an entrustment ends with a deletion instruction (PIPL "
            "Art. 21); ask the recipient to delete under your agreement instead"
        )
        self.recipient = recipient.id


@dataclass(frozen=True, slots=True)
class EntrustmentEnd:
    """The deletion instruction owed to an entrusted processor when the entrustment ends."""

    recipient: str
    name: str
    elements: tuple[str, ...]
    idempotency_key: str
    text_zh: str


def end_entrustment(recipient: Recipient, *, app_id: str = "") -> EntrustmentEnd:
    """The instruction to delete (or return) everything entrusted to ``recipient`` (X21).

    Raises :class:`NotEntrusted` for a recipient that is not an entrusted processor.
    """
    if recipient.kind is not RecipientKind.ENTRUSTED_PROCESSOR:
        raise NotEntrusted(recipient)
    elements = tuple(recipient.elements)
    return EntrustmentEnd(
        recipient=recipient.id,
        name=recipient.name,
        elements=elements,
        idempotency_key=f"entrustment-end:{app_id}:{recipient.id}",
        text_zh=(
            f"委托处理关系已终止。请{recipient.name}依照《个人信息保护法》第二十一条及双方协议，"
            "删除（或返还）受托处理的全部个人信息，不得保留，并回复删除确认编号。"
        ),
    )


@dataclass(frozen=True, slots=True)
class EntrustmentEndStatus:
    """Where a deletion instruction to an entrusted processor stands (X21)."""

    app_id: str
    recipient: str
    status: str
    """``sent`` (waiting for the processor's confirmation), ``confirmed`` or ``failed``."""
    instructed_at: datetime
    actor: str
    dataset: str | None = None
    """The processor's dataset of the data map the instruction went through."""
    subjects: int = 0
    """Subjects whose records the instruction named (from the provision ledger)."""
    affected: int = 0
    confirmation: str | None = None
    confirmed_at: datetime | None = None
    error: str | None = None
