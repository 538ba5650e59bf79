"""The demo tenant's consent history, planned from what the sample stores hold.

Pure: no I/O. Each user's events follow the ground truth of the sample (a user with an
``id_verifications`` row granted ``id_images`` and ``face_recognition``; a borrower granted
what a credit-line application needs when they first applied; a user whose last
location is cached granted ``location``), plus optional items granted, and some withdrawn,
at the rates in :data:`OPTIONAL` and :data:`WITHDRAWN`. The history starts when v1.3 is
published: users who registered earlier accept it at their next login, later ones at
registration. A cancelled account withdraws whatever it still granted. After the next
version is published, about half of the active users accept it, a few decline it and the
rest have not answered yet (the re-consent campaign's audience). Guests — app installs
that never registered — declined the policy (browse-only mode, X02).

Events carry the version the user is decided by at that moment (the Engine's rule), so
:func:`yinsi_demo.demo_ledger.append_history` can store them as they are.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yinsi.consent import (
    Channel,
    ConsentEvent,
    ConsentState,
    EventKind,
    Evidence,
    apply,
    replay,
)
from yinsi_demo import generators as gen

APP_VERSION = "5.3.1"
"""The app version in the evidence's user agent."""

OPTIONAL: Mapping[str, float] = {
    "marketing_messages": 0.55,
    "personalisation": 0.45,
    "location": 0.25,  # users without a cached location; those with one always granted it
    "loan_review_logs": 0.6,
    "installed_apps": 0.5,
    "address_book": 0.35,
    "model_training_sensitive": 0.3,
    "affiliate_sharing": 0.4,
    "insurance_guarantee_sharing": 0.6,
    "clearing_tags": 0.5,
    "customer_operations_sharing": 0.8,  # of those who take marketing messages
    "traffic_partner_sharing": 0.7,  # of those who came through an ad (a marketing lead)
    "shopping": 0.15,  # delivery_address and shopping_sharing, at the first order
    "survey": 0.1,
    "mobile_change_identity": 0.03,
}
"""Share of the eligible users who grant each optional item."""

WITHDRAWN: Mapping[str, float] = {
    "marketing_messages": 0.3,
    "personalisation": 0.2,
    "location": 0.15,
    "address_book": 0.3,
    "installed_apps": 0.2,
    "loan_review_logs": 0.1,
    "model_training_sensitive": 0.2,
    "affiliate_sharing": 0.15,
    "traffic_partner_sharing": 0.1,
}
"""Share of the users who granted an item and withdrew it later (X29)."""

USED = 0.6
"""Share of single-use grants (``asked: each_time``, X15) already used up."""

LOAN_ITEMS = (
    "third_party_data",
    "loan_info",
    "funder_sharing",
    "credit_verification_sharing",
    "e_signature_sharing",
    "security_monitoring_sharing",
)
"""What every credit-line application needs (X10, X22)."""

ACCEPT_V14 = 0.5
DECLINE_V14 = 0.07


@dataclass(frozen=True, slots=True)
class UserFacts:
    """What the sample stores say about one user, as the consent history needs it."""

    user_id: str
    registered_at: datetime
    cancelled_at: datetime | None
    first_application_at: datetime | None
    """When the user first applied for a loan (None: never borrowed)."""
    datasets: frozenset[str]
    """The datasets holding records of the user (``id_verifications``, ``locations``, …)."""


@dataclass(frozen=True, slots=True)
class Published:
    version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class _Intent:
    at: datetime
    kind: EventKind
    consent_id: str | None = None
    version: str | None = None
    """For acceptances and declines: the version answered."""
    channel: Channel = Channel.APP


@dataclass
class History:
    """Every subject's planned events, in time order per subject."""

    app_id: str
    events: dict[str, list[ConsentEvent]] = field(default_factory=dict)
    guests: list[str] = field(default_factory=list)

    def state_at(self, subject_id: str, at: datetime) -> ConsentState:
        """The subject's state just before ``at``, as planned."""
        before = [e for e in self.events.get(subject_id, []) if e.at < at]
        return replay(self.app_id, subject_id, before)

    def truncate(self, subject_id: str, after: datetime) -> None:
        """Drop the subject's events after ``after`` (a rights request takes over then)."""
        self.events[subject_id] = [e for e in self.events.get(subject_id, []) if e.at <= after]

    def in_order(self) -> list[ConsentEvent]:
        """All events by time (a subject's own order kept for equal times)."""
        ordered = [
            (e.at, subject, n, e)
            for subject, events in self.events.items()
            for n, e in enumerate(events)
        ]
        ordered.sort(key=lambda t: (t[0], t[1], t[2]))
        return [t[3] for t in ordered]


def plan_history(
    app_id: str,
    users: Sequence[UserFacts],
    versions: Sequence[Published],
    policy_items: Sequence[str],
    *,
    guests: int,
    now: datetime,
    rng: random.Random,
) -> History:
    """The consent history of ``users`` and ``guests`` guest installs up to ``now``.

    ``versions`` are the published versions, oldest first; ``policy_items`` are granted
    with each acceptance (:func:`yinsi.services.consent.policy_consent_items`).
    """
    history = History(app_id)
    for facts in users:
        intents = _user_intents(facts, versions, now, rng)
        history.events[facts.user_id] = list(
            _materialise(app_id, facts.user_id, intents, policy_items, rng)
        )
    for n in range(1, guests + 1):
        guest = f"g{n:07d}"
        first = _between(rng, versions[0].at, now - timedelta(days=1))
        declined = _current(versions, first)
        history.events[guest] = [
            ConsentEvent(
                app_id, guest, EventKind.POLICY_DECLINED, declined, first, Evidence(Channel.APP)
            )
        ]
        history.guests.append(guest)
    return history


def _user_intents(
    f: UserFacts, versions: Sequence[Published], now: datetime, rng: random.Random
) -> list[_Intent]:
    """The user's intents in time order: the steps below draw from ``rng`` in this order."""
    first = versions[0].at
    if f.registered_at >= first:
        accepted = f.registered_at
    else:  # registered before v1.3: accepted it at the next login
        accepted = first + timedelta(minutes=rng.randrange(60, 90 * 24 * 60))
    end = f.cancelled_at or now
    accepted = min(accepted, end - timedelta(hours=1))
    intents = [
        _Intent(accepted, EventKind.POLICY_ACCEPTED, version=_current(versions, accepted)),
        _Intent(accepted, EventKind.CONSENT_GRANTED, "id_number"),  # X06: no account without it
    ]
    grant = _Granter(intents, rng, end)
    for item in ("marketing_messages", "personalisation"):
        if rng.random() < OPTIONAL[item]:
            grant(item, accepted)
    _application_grants(f, grant, accepted, end, rng)
    _later_grants(f, grant, accepted, end, rng)
    _withdrawals(grant, end, rng)
    if f.cancelled_at is not None:  # the account was closed: nothing stays granted
        intents.append(_Intent(f.cancelled_at, EventKind.CONSENT_WITHDRAWN, "*"))
    elif len(versions) > 1 and accepted < versions[-1].at:
        latest, answer = versions[-1], rng.random()
        at = _between(rng, latest.at + timedelta(hours=1), now - timedelta(hours=1))
        if answer < ACCEPT_V14:
            intents.append(_Intent(at, EventKind.POLICY_ACCEPTED, version=latest.version))
        elif answer < ACCEPT_V14 + DECLINE_V14:
            intents.append(_Intent(at, EventKind.POLICY_DECLINED, version=latest.version))
    intents.sort(key=lambda i: i.at)  # stable: an acceptance stays before its grants
    return intents


def _application_grants(
    f: UserFacts, grant: _Granter, accepted: datetime, end: datetime, rng: random.Random
) -> None:
    """The identity check (KYC) and, for a borrower, what the credit-line application needs
    and the optional items asked with it."""
    applied = None
    if f.first_application_at is not None:
        applied = max(accepted + timedelta(minutes=rng.randrange(1, 60)), f.first_application_at)
    kyc = applied
    if kyc is None and "id_verifications" in f.datasets:
        kyc = accepted + timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
    if kyc is None:
        return
    kyc = min(kyc, end - timedelta(minutes=30))
    for item, needs in (
        ("id_images", "id_verifications"),
        ("face_recognition", "id_verifications"),
        ("financial_info", "bank_cards"),
        ("address_info", "addresses"),
    ):
        if needs in f.datasets:
            grant(item, kyc)
    if applied is None:
        return
    for item in LOAN_ITEMS:
        grant(item, kyc)
    for item in (
        "loan_review_logs",
        "installed_apps",
        "address_book",
        "model_training_sensitive",
        "affiliate_sharing",
        "insurance_guarantee_sharing",
        "clearing_tags",
    ):
        if rng.random() < OPTIONAL[item]:
            grant(item, kyc)


def _later_grants(
    f: UserFacts, grant: _Granter, accepted: datetime, end: datetime, rng: random.Random
) -> None:
    """Items granted while using the app: location, sharing with partners, shopping, and
    single-use grants (some already used)."""
    if "locations" in f.datasets or rng.random() < OPTIONAL["location"]:
        grant("location", _between(rng, accepted, end))
    if grant.holds("marketing_messages") and rng.random() < OPTIONAL["customer_operations_sharing"]:
        grant("customer_operations_sharing", accepted)
    if "marketing_leads" in f.datasets and rng.random() < OPTIONAL["traffic_partner_sharing"]:
        grant("traffic_partner_sharing", accepted)
    if rng.random() < OPTIONAL["shopping"]:
        order = _between(rng, accepted, end)
        grant("delivery_address", order)
        grant("shopping_sharing", order)
    for item, channel in (
        ("survey", Channel.APP),
        ("mobile_change_identity", Channel.CUSTOMER_SERVICE),
    ):
        if rng.random() < OPTIONAL[item]:
            at = _between(rng, accepted, end)
            grant(item, at, channel)
            if rng.random() < USED:
                used = _soon_after(rng, at, end)
                grant.intents.append(_Intent(used, EventKind.CONSENT_USED, item, None, channel))


def _withdrawals(grant: _Granter, end: datetime, rng: random.Random) -> None:
    """Items withdrawn some time after they were granted (X29), at :data:`WITHDRAWN` rates."""
    for item, share in WITHDRAWN.items():
        granted_at = grant.granted.get(item)
        if granted_at is not None and rng.random() < share:
            at = _between(rng, granted_at + timedelta(days=1), end)
            if at > granted_at:
                grant.intents.append(_Intent(at, EventKind.CONSENT_WITHDRAWN, item))


class _Granter:
    """Adds grant intents, remembering when each item was granted (once per item)."""

    def __init__(self, intents: list[_Intent], rng: random.Random, end: datetime) -> None:
        self.intents, self.rng, self.end = intents, rng, end
        self.granted: dict[str, datetime] = {}

    def __call__(self, item: str, at: datetime, channel: Channel = Channel.APP) -> None:
        if item not in self.granted and at < self.end:
            self.granted[item] = at
            self.intents.append(_Intent(at, EventKind.CONSENT_GRANTED, item, None, channel))

    def holds(self, item: str) -> bool:
        return item in self.granted


def _materialise(
    app_id: str,
    user_id: str,
    intents: Sequence[_Intent],
    policy_items: Sequence[str],
    rng: random.Random,
) -> Iterator[ConsentEvent]:
    """The user's events: versions filled in as the Engine would, withdrawals of ``*``
    expanded to each item still granted."""
    ip, agent = gen.ipv4(rng), _user_agent(rng)
    state = ConsentState(app_id, user_id)
    for intent in intents:
        evidence = Evidence(intent.channel, account=user_id, client_ip=ip, user_agent=agent)
        version = intent.version or state.accepted_version
        assert version is not None, "the first intent is an acceptance"
        if intent.kind is EventKind.POLICY_ACCEPTED:
            signed = hashlib.sha256(f"{user_id}|{version}|{intent.at.isoformat()}".encode())
            evidence = Evidence(
                intent.channel, user_id, signed.hexdigest(), client_ip=ip, user_agent=agent
            )
            events = [ConsentEvent(app_id, user_id, intent.kind, version, intent.at, evidence)]
            events += [
                ConsentEvent(
                    app_id, user_id, EventKind.CONSENT_GRANTED, version, intent.at, evidence, c
                )
                for c in policy_items
                if c not in state.granted
            ]
        elif intent.consent_id == "*":
            events = [
                ConsentEvent(app_id, user_id, intent.kind, version, intent.at, evidence, c)
                for c in sorted(state.granted)
            ]
        elif intent.kind is EventKind.POLICY_DECLINED:
            events = [ConsentEvent(app_id, user_id, intent.kind, version, intent.at, evidence)]
        else:
            if (
                intent.kind is not EventKind.CONSENT_GRANTED
                and intent.consent_id not in state.granted
            ):
                continue  # withdrawn or used up before: nothing left to withdraw or use
            events = [
                ConsentEvent(
                    app_id, user_id, intent.kind, version, intent.at, evidence, intent.consent_id
                )
            ]
        for event in events:
            state = apply(state, event)
            yield event


def _current(versions: Sequence[Published], at: datetime) -> str:
    """The latest version published at ``at``."""
    index = bisect_right([v.at for v in versions], at) - 1
    return versions[max(index, 0)].version


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A time between ``start`` and ``end``, to the second."""
    if end <= start:
        return start
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds()) + 1))


def _soon_after(rng: random.Random, at: datetime, end: datetime) -> datetime:
    return min(at + timedelta(minutes=rng.randrange(5, 48 * 60)), end)


def _user_agent(rng: random.Random) -> str:
    model = rng.choice(gen.DEVICE_MODELS)
    return f"XiaoyingKadai/{APP_VERSION} ({gen.os_version(rng, model)}; {model})"
