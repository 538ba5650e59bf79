"""The consent ledger's domain: append-only events per subject and the state they derive.

History is never rewritten: the current state of a subject is a pure fold of its events
(:func:`replay`), and a store keeps that fold up to date in the same transaction as the
append (:func:`apply`). Subjects are stable opaque ids; a phone or ID number never
appears here in clear (X41 evidence carries a signature *hash*, not the signature).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    POLICY_ACCEPTED = "policy_accepted"
    POLICY_DECLINED = "policy_declined"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_USED = "consent_used"
    """A single-use grant (consent item ``asked: each_time``, X15) was used up by the
    processing it allowed; the next use needs a fresh grant. Not a withdrawal: earlier
    processing was lawful and the item is not marked withdrawn."""
    PROCESSING_RESTRICTED = "processing_restricted"
    """An element (or ``*``: all PI of the subject) is kept only because a retention rule or
    legal hold requires it, or deletion is infeasible: every processing except storage and
    security stops (PIPL Art. 47 para. 2, X28). Recorded by the rights executor."""
    RESTRICTION_LIFTED = "restriction_lifted"
    """The restricted data is gone (the hold ended and it was erased), or the hold was lifted."""


_ITEM_KINDS = frozenset(
    {EventKind.CONSENT_GRANTED, EventKind.CONSENT_WITHDRAWN, EventKind.CONSENT_USED}
)
_ELEMENT_KINDS = frozenset({EventKind.PROCESSING_RESTRICTED, EventKind.RESTRICTION_LIFTED})

ALL_ELEMENTS = "*"
"""The ``element`` of a restriction covering all PI of the subject (e.g. after cancellation)."""


class Channel(StrEnum):
    """Where the user acted (X41 evidence)."""

    APP = "app"
    H5 = "h5"
    CUSTOMER_SERVICE = "customer_service"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What proves an event (X41): the account, the channel, a hash of the signature."""

    channel: Channel
    account: str | None = None
    signature_sha256: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One thing a subject did, or yinsi did for them. ``consent_id`` is set for
    grant/withdraw/use, ``element`` for a restriction and its lifting, else None."""

    app_id: str
    subject_id: str
    kind: EventKind
    policy_version: str
    at: datetime
    evidence: Evidence
    consent_id: str | None = None
    seq: int | None = None
    """Position in the subject's ledger, assigned by the store on append (1, 2, …)."""
    element: str | None = None

    def __post_init__(self) -> None:
        needs_item = self.kind in _ITEM_KINDS
        if needs_item != (self.consent_id is not None):
            what = "needs a consent_id" if needs_item else "must not carry a consent_id"
            raise ValueError(f"{self.kind.value} event {what}")
        needs_element = self.kind in _ELEMENT_KINDS
        if needs_element != (self.element is not None):
            what = "needs an element" if needs_element else "must not carry an element"
            raise ValueError(f"{self.kind.value} event {what}")


@dataclass(frozen=True, slots=True)
class ConsentState:
    """A subject's current position, derived from the ledger and nothing else."""

    app_id: str
    subject_id: str
    accepted_version: str | None = None
    """The latest policy version the subject accepted (X02, W19)."""
    declined_version: str | None = None
    """A newer version the subject declined after ``accepted_version`` (browse-only)."""
    granted: frozenset[str] = field(default_factory=frozenset)
    withdrawn: frozenset[str] = field(default_factory=frozenset)
    """Consent items granted once and since withdrawn (reason ``consent_withdrawn``)."""
    restricted: frozenset[str] = field(default_factory=frozenset)
    """Elements whose processing is restricted (X28); ``*`` restricts all of them."""
    last_seq: int = 0
    updated_at: datetime | None = None


def apply(state: ConsentState, event: ConsentEvent) -> ConsentState:
    """The state after one more event of the same subject."""
    if (event.app_id, event.subject_id) != (state.app_id, state.subject_id):
        raise ValueError("event belongs to another subject")
    seq = event.seq if event.seq is not None else state.last_seq + 1
    base = replace(state, last_seq=seq, updated_at=event.at)
    match event.kind:
        case EventKind.POLICY_ACCEPTED:
            return replace(base, accepted_version=event.policy_version, declined_version=None)
        case EventKind.POLICY_DECLINED:
            return replace(base, declined_version=event.policy_version)
        case EventKind.CONSENT_GRANTED:
            assert event.consent_id is not None
            return replace(
                base,
                granted=state.granted | {event.consent_id},
                withdrawn=state.withdrawn - {event.consent_id},
            )
        case EventKind.CONSENT_WITHDRAWN:
            assert event.consent_id is not None
            was_granted = event.consent_id in state.granted
            return replace(
                base,
                granted=state.granted - {event.consent_id},
                withdrawn=state.withdrawn | {event.consent_id} if was_granted else state.withdrawn,
            )
        case EventKind.CONSENT_USED:
            assert event.consent_id is not None
            return replace(base, granted=state.granted - {event.consent_id})
        case EventKind.PROCESSING_RESTRICTED:
            assert event.element is not None
            return replace(base, restricted=state.restricted | {event.element})
        case EventKind.RESTRICTION_LIFTED:
            assert event.element is not None
            lifted = state.restricted if event.element == ALL_ELEMENTS else {event.element}
            return replace(base, restricted=state.restricted - lifted)


def replay(app_id: str, subject_id: str, events: Iterable[ConsentEvent]) -> ConsentState:
    """The state of a subject from scratch: the fold of its events in ledger order."""
    state = ConsentState(app_id, subject_id)
    for event in events:
        state = apply(state, event)
    return state
