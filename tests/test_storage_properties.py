"""Property: whatever events go through the unit of work, the stored state is their replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from yinsi.consent import Channel, ConsentEvent, EventKind, Evidence, replay
from yinsi.consent.ledger import ALL_ELEMENTS
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

APP, SUBJECT = "app_prop", "subj_prop"
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])


@st.composite
def events(draw: st.DrawFn) -> ConsentEvent:
    """Any valid event: a kind takes a consent id, or an element (restrictions, X28), exactly
    when the domain says it needs one."""
    event = ConsentEvent(
        app_id=APP,
        subject_id=SUBJECT,
        kind=EventKind.POLICY_ACCEPTED,
        policy_version=draw(st.sampled_from(["1.3", "1.4", "2.0"])),
        at=draw(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=ZONES)),
        evidence=Evidence(
            channel=draw(st.sampled_from(list(Channel))),
            account=draw(st.none() | st.sampled_from(["acct_1", "acct_2"])),
            user_agent=draw(st.none() | st.text(max_size=20)),
        ),
    )
    kind = draw(st.sampled_from(list(EventKind)))
    consent_id = draw(st.sampled_from(["face", "marketing", "contacts"]))
    element = draw(st.sampled_from(["precise_location", "contacts_list", ALL_ELEMENTS]))
    try:
        return replace(event, kind=kind, consent_id=consent_id)
    except ValueError:  # this kind must not carry a consent id
        pass
    try:
        return replace(event, kind=kind, element=element)
    except ValueError:  # nor an element
        return replace(event, kind=kind)


@settings(max_examples=30, deadline=None)
@given(st.lists(events(), max_size=12), st.integers(min_value=1, max_value=4))
def test_stored_state_is_the_replay_of_stored_events(
    appended: list[ConsentEvent], commit_every: int
) -> None:
    engine = create_engine("sqlite://")  # in memory, fresh for every example
    try:
        upgrade(engine)
        for start in range(0, len(appended), commit_every):
            with SqlUnitOfWork(engine) as uow:
                for event in appended[start : start + commit_every]:
                    uow.ledger.append(event)
                uow.commit()
        with SqlUnitOfWork(engine) as uow:
            stored = uow.ledger.events(APP, SUBJECT)
            state = uow.ledger.state(APP, SUBJECT)
    finally:
        engine.dispose()
    assert stored == [replace(e, seq=i) for i, e in enumerate(appended, start=1)]
    assert state == replay(APP, SUBJECT, stored) == replay(APP, SUBJECT, appended)
