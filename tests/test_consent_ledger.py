"""The ledger's fold: replay equals incremental apply equals a naive set model (Hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.consent import Channel, ConsentEvent, ConsentState, EventKind, Evidence, apply, replay

APP, SUBJECT = "app", "s1"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ITEM_KINDS = (EventKind.CONSENT_GRANTED, EventKind.CONSENT_WITHDRAWN, EventKind.CONSENT_USED)
ELEMENT_KINDS = (EventKind.PROCESSING_RESTRICTED, EventKind.RESTRICTION_LIFTED)


def event(kind: EventKind, version: str, consent: str | None, i: int) -> ConsentEvent:
    """``consent`` is the consent item of item events and the element of restrictions."""
    return ConsentEvent(
        APP,
        SUBJECT,
        kind,
        version,
        T0 + timedelta(seconds=i),
        Evidence(Channel.APP),
        consent if kind in ITEM_KINDS else None,
        element=(consent if consent != "c" else "*") if kind in ELEMENT_KINDS else None,
    )


@st.composite
def ledgers(draw: st.DrawFn) -> list[ConsentEvent]:
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(list(EventKind)),
                st.sampled_from(["1.0", "1.1", "2.0"]),
                st.sampled_from(["a", "b", "c"]),
            ),
            max_size=30,
        )
    )
    return [event(kind, version, consent, i) for i, (kind, version, consent) in enumerate(steps)]


@dataclass
class Model:
    """The reference: plain mutable sets, one branch per event kind."""

    accepted: str | None = None
    declined: str | None = None
    granted: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)
    ever_granted: set[str] = field(default_factory=set)
    restricted: set[str] = field(default_factory=set)
    last_seq: int = 0

    def step(self, e: ConsentEvent) -> None:
        self.last_seq += 1
        c = e.consent_id
        if e.kind is EventKind.POLICY_ACCEPTED:
            self.accepted, self.declined = e.policy_version, None
        elif e.kind is EventKind.POLICY_DECLINED:
            self.declined = e.policy_version
        elif e.kind is EventKind.CONSENT_GRANTED:
            assert c is not None
            self.granted.add(c)
            self.ever_granted.add(c)
            self.withdrawn.discard(c)
        elif e.kind is EventKind.CONSENT_WITHDRAWN:
            assert c is not None
            if c in self.granted:
                self.granted.remove(c)
                self.withdrawn.add(c)
        elif e.kind is EventKind.PROCESSING_RESTRICTED:
            assert e.element is not None
            self.restricted.add(e.element)
        elif e.kind is EventKind.RESTRICTION_LIFTED:
            assert e.element is not None
            if e.element == "*":
                self.restricted.clear()
            else:
                self.restricted.discard(e.element)
        else:
            assert c is not None
            self.granted.discard(c)


@given(ledgers())
def test_replay_equals_incremental_apply_and_the_model(ledger: list[ConsentEvent]) -> None:
    state = ConsentState(APP, SUBJECT)
    model = Model()
    seqs = []
    for n, e in enumerate(ledger, start=1):
        state = apply(state, e)
        model.step(e)
        seqs.append(state.last_seq)
        assert state == replay(APP, SUBJECT, ledger[:n])
        assert state.accepted_version == model.accepted
        assert state.declined_version == model.declined
        assert state.granted == model.granted
        assert state.withdrawn == model.withdrawn
        assert state.restricted == model.restricted
        assert state.last_seq == model.last_seq
        assert state.updated_at == e.at
        # Only something once granted can be withdrawn; granted and withdrawn are disjoint.
        assert state.withdrawn <= model.ever_granted
        assert not state.granted & state.withdrawn
    assert seqs == sorted(set(seqs))  # seq strictly increases


@given(ledgers(), st.integers(min_value=1, max_value=1000))
def test_store_assigned_seq_is_kept(ledger: list[ConsentEvent], start: int) -> None:
    numbered = [
        ConsentEvent(
            e.app_id,
            e.subject_id,
            e.kind,
            e.policy_version,
            e.at,
            e.evidence,
            e.consent_id,
            seq,
            e.element,
        )
        for seq, e in enumerate(ledger, start=start)
    ]
    state = replay(APP, SUBJECT, numbered)
    assert state.last_seq == (start + len(ledger) - 1 if ledger else 0)
    unnumbered = replay(APP, SUBJECT, ledger)
    assert (state.granted, state.withdrawn, state.restricted) == (
        unnumbered.granted,
        unnumbered.withdrawn,
        unnumbered.restricted,
    )


def test_withdrawing_a_never_granted_item_does_not_mark_it_withdrawn() -> None:
    state = replay(APP, SUBJECT, [event(EventKind.CONSENT_WITHDRAWN, "1.0", "a", 0)])
    assert state.withdrawn == frozenset() and state.granted == frozenset()
    assert state.last_seq == 1


def test_a_used_single_use_grant_is_neither_granted_nor_withdrawn() -> None:
    state = replay(
        APP,
        SUBJECT,
        [
            event(EventKind.CONSENT_GRANTED, "1.0", "survey", 0),
            event(EventKind.CONSENT_USED, "1.0", "survey", 1),
        ],
    )
    assert state.granted == frozenset() and state.withdrawn == frozenset()


def test_events_of_another_subject_are_refused() -> None:
    other = ConsentEvent(
        APP, "s2", EventKind.POLICY_ACCEPTED, "1.0", T0, Evidence(Channel.H5), None
    )
    with pytest.raises(ValueError, match="another subject"):
        apply(ConsentState(APP, SUBJECT), other)


@pytest.mark.parametrize("kind", list(EventKind))
def test_consent_id_is_required_exactly_for_item_events(kind: EventKind) -> None:
    wrong = None if kind in ITEM_KINDS else "a"
    element = "name" if kind in ELEMENT_KINDS else None
    with pytest.raises(ValueError, match=kind.value):
        ConsentEvent(APP, SUBJECT, kind, "1.0", T0, Evidence(Channel.APP), wrong, element=element)


@pytest.mark.parametrize("kind", list(EventKind))
def test_element_is_required_exactly_for_restriction_events(kind: EventKind) -> None:
    consent = "a" if kind in ITEM_KINDS else None
    wrong = None if kind in ELEMENT_KINDS else "name"
    with pytest.raises(ValueError, match=kind.value):
        ConsentEvent(APP, SUBJECT, kind, "1.0", T0, Evidence(Channel.APP), consent, element=wrong)
