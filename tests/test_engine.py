"""yinsi.Engine end to end on SQLite and PostgreSQL, with 小赢卡贷 v1.3 (and v1.4)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import yinsi
from conftest import DATA, EXAMPLES
from yinsi.consent import Channel, EventKind, Evidence, InvalidIdNumber, NotSingleUse, UnknownName
from yinsi.consent.age import check_character
from yinsi.declaration import DeclarationError, load
from yinsi.services.consent import DecisionRequest, Engine, policy_consent_items
from yinsi.storage import StorageNotMigrated, upgrade

pytest_plugins = ["storage_fixtures"]

XY = EXAMPLES / "xiaoying-kadai.yaml"
XY_14 = DATA / "xiaoying-kadai-v1.4.yaml"
APP = "xiaoying_kadai"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
APP_EVIDENCE = Evidence(Channel.APP, account="acct-1", signature_sha256="ab" * 32)


class Ticks:
    """A clock one second further on every call, so event times are known."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return T0 + timedelta(seconds=self.calls)


def id_number(birth: date, region: str = "110105", sequence: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def yinsi_engine(empty_url: str, ticks: Ticks) -> Iterator[Engine]:
    """An Engine on a migrated database of each backend, 小赢卡贷 1.3 published."""
    upgrade(empty_url)
    with Engine(empty_url, clock=ticks) as engine:
        engine.publish(XY)
        yield engine


def test_public_api_exports_engine() -> None:
    assert yinsi.__all__ == sorted(yinsi.__all__)
    assert yinsi.Engine is Engine
    assert yinsi.DecisionRequest is DecisionRequest
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = yinsi.Nope


def test_import_yinsi_stays_light_and_engine_imports_no_adapter_above_storage() -> None:
    code = (
        "import sys, yinsi; assert 'sqlalchemy' not in sys.modules, 'import yinsi loads sqlalchemy'\n"
        "yinsi.Engine\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'httpx', 'typer')"
        " or m.startswith('yinsi.cli'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_policy_consent_items_of_the_reference_declarations() -> None:
    assert policy_consent_items(load(XY)) == ("privacy_policy",)
    assert policy_consent_items(load(EXAMPLES / "wolai-shuke.yaml")) == ("policy",)


def test_end_to_end_publish_accept_grant_decide(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    state = e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    assert state.accepted_version == "1.3"
    assert state.granted == {"privacy_policy"}  # marketing_messages stays opt-in
    login = e.decide(APP, "s1", element="password", purpose="account_security", scenario="login")
    assert (login.allowed, login.reason, login.policy_version) == (True, "consent", "1.3")
    assert login.consent_ids == ("privacy_policy",)
    ad = e.decide(
        APP, "s1", element="mobile_number", purpose="marketing", scenario="marketing_messages"
    )
    assert (ad.allowed, ad.reason, ad.consent_ids) == (False, "no_consent", ("marketing_messages",))

    step: dict[str, Any] = {
        "element": "precise_location",
        "purpose": "anti_fraud",
        "scenario": "location",
    }
    before = e.decide(APP, "s1", **step)
    assert (before.reason, before.consent_ids) == ("separate_consent_required", ("location",))
    assert e.grant(APP, "s1", "location", evidence=APP_EVIDENCE).granted == {
        "privacy_policy",
        "location",
    }
    after = e.decide(APP, "s1", **step)
    assert (after.allowed, after.reason) == (True, "consent")
    assert after.consent_ids == ("privacy_policy", "location")


def test_x29_withdrawal_stops_dependent_functions_at_once(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    e.grant(APP, "s1", "location", evidence=APP_EVIDENCE)
    state = e.withdraw(APP, "s1", "location", evidence=APP_EVIDENCE)
    assert state.withdrawn == {"location"}
    gone = e.decide(
        APP, "s1", element="precise_location", purpose="anti_fraud", scenario="location"
    )
    assert (gone.allowed, gone.reason, gone.consent_ids) == (
        False,
        "consent_withdrawn",
        ("location",),
    )
    still = e.decide(APP, "s1", element="password", purpose="account_security", scenario="login")
    assert still.allowed  # only the functions needing the withdrawn item stop


def test_unknown_subject_gets_a_decision_never_an_exception(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    d = e.decide(
        APP, "never-seen", element="password", purpose="account_security", scenario="login"
    )
    assert (d.allowed, d.reason, d.policy_version) == (False, "policy_not_accepted", None)
    guest = e.decide(
        APP, "never-seen", element="cookie_id", purpose="guest_browsing", scenario="guest_browsing"
    )
    assert (guest.allowed, guest.reason) == (True, "browse_only")  # X02: 1.3 keeps a guest mode
    assert e.state(APP, "never-seen").last_seq == 0
    assert e.events(APP, "never-seen") == []


def test_decline_leaves_browse_only(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    state = e.decline_policy(APP, "s2", evidence=APP_EVIDENCE)
    assert (state.accepted_version, state.declined_version) == (None, "1.3")
    d = e.decide(APP, "s2", element="password", purpose="account_security", scenario="login")
    assert d.reason == "policy_not_accepted"


@pytest.mark.parametrize(
    ("step", "kind", "name"),
    [
        (
            {"element": "pasword", "purpose": "account_security", "scenario": "login"},
            "element",
            "pasword",
        ),
        (
            {"element": "password", "purpose": "acount_security", "scenario": "login"},
            "purpose",
            "acount_security",
        ),
        (
            {"element": "password", "purpose": "account_security", "scenario": "logon"},
            "scenario",
            "logon",
        ),
    ],
)
def test_unknown_names_in_a_decision_are_named(
    yinsi_engine: Engine, step: dict[str, Any], kind: str, name: str
) -> None:
    with pytest.raises(UnknownName) as caught:
        yinsi_engine.decide(APP, "s1", **step)
    assert (caught.value.kind, caught.value.name) == (kind, name)
    assert repr(name) in str(caught.value)


def test_unknown_consent_app_and_version_are_named(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    for record in (e.grant, e.withdraw):
        with pytest.raises(UnknownName, match="unknown consent item 'locaton'") as caught:
            record(APP, "s1", "locaton", evidence=APP_EVIDENCE)
        assert caught.value.close == ("location",)
    assert e.events(APP, "s1") == []  # nothing recorded
    with pytest.raises(UnknownName, match="unknown app 'xiaoying'"):
        e.decide("xiaoying", "s1", element="password", purpose="account_security", scenario="login")
    with pytest.raises(UnknownName, match=r"unknown policy version '9\.9'"):
        e.accept_policy(APP, "s1", version="9.9", evidence=APP_EVIDENCE)


def test_decide_batch_reads_state_once_and_keeps_order(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    requests = [
        DecisionRequest(element="password", purpose="account_security", scenario="login"),
        DecisionRequest(
            element="password", purpose="account_security", scenario="login", minor=True
        ),
        DecisionRequest(
            element="ip_address",
            purpose="security_monitoring",
            scenario="log_info",
            restricted=True,
        ),
        DecisionRequest(
            element="ip_address", purpose="anti_fraud", scenario="log_info", restricted=True
        ),
    ]
    reasons = [d.reason for d in e.decide_batch(APP, "s1", requests)]
    assert reasons == ["consent", "minor", "legal_basis:other_law", "restricted"]
    assert e.decide_batch(APP, "s1", []) == []


def test_x04_minor_registration_refused_and_id_never_echoed(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    today = date(2026, 11, 23)
    minor = id_number(date(2008, 11, 23))  # 18th birthday today: still a minor (age.py)
    refused = e.register_check(APP, minor, today=today)
    assert refused is not None
    assert (refused.allowed, refused.reason, refused.policy_version) == (False, "minor", "1.3")
    assert e.register_check(APP, id_number(date(2008, 11, 22)), today=today) is None
    bad = minor[:-1] + ("0" if minor[-1] != "0" else "1")
    with pytest.raises(InvalidIdNumber) as caught:
        e.register_check(APP, bad, today=today)
    assert caught.value.problem == "check_digit"
    assert bad not in str(caught.value)


def test_x04_register_check_counts_the_day_in_china(empty_url: str) -> None:
    """At 2026-11-22 17:00 UTC it is already the 23rd in Beijing."""
    upgrade(empty_url)
    late = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    with Engine(empty_url, clock=lambda: late) as e:
        e.publish(XY)
        assert e.register_check(APP, id_number(date(2008, 11, 22))) is None


def test_x41_engine_records_evidence(yinsi_engine: Engine, ticks: Ticks) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    h5 = Evidence(Channel.H5, account="acct-1", client_ip="203.0.113.7", user_agent="UA/1")
    e.grant(APP, "s1", "marketing_messages", evidence=h5)
    events = e.events(APP, "s1")
    assert [(ev.seq, ev.kind, ev.consent_id, ev.policy_version) for ev in events] == [
        (1, EventKind.POLICY_ACCEPTED, None, "1.3"),
        (2, EventKind.CONSENT_GRANTED, "privacy_policy", "1.3"),
        (3, EventKind.CONSENT_GRANTED, "marketing_messages", "1.3"),
    ]
    assert [ev.evidence for ev in events] == [APP_EVIDENCE, APP_EVIDENCE, h5]
    assert all(ev.at.tzinfo is not None and ev.at > T0 for ev in events)
    assert events[0].at < events[1].at < events[2].at <= T0 + timedelta(seconds=ticks.calls)


def test_accepting_again_grants_nothing_twice(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    e.accept_policy(APP, "s1", version="1.3", evidence=APP_EVIDENCE)
    kinds = [ev.kind for ev in e.events(APP, "s1")]
    assert kinds.count(EventKind.CONSENT_GRANTED) == 1


def test_publishing_a_new_version_rebuilds_the_rules(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "old", evidence=APP_EVIDENCE)
    published = e.publish(XY_14.read_text(encoding="utf-8"))  # text, not a path
    assert (published.version, published.previous_version) == ("1.4", "1.3")
    step: dict[str, Any] = {
        "element": "password",
        "purpose": "account_security",
        "scenario": "login",
    }
    assert e.decide(APP, "old", **step).policy_version == "1.3"  # X02: not yet accepted
    assert e.accept_policy(APP, "new", evidence=APP_EVIDENCE).accepted_version == "1.4"
    assert e.decide(APP, "new", **step).policy_version == "1.4"
    assert e.register_check(APP, id_number(date(2000, 1, 1)), today=date(2026, 11, 23)) is None


def test_another_engine_sees_versions_published_elsewhere(empty_url: str) -> None:
    upgrade(empty_url)
    with Engine(empty_url) as first, Engine(empty_url) as second:
        first.publish(XY)
        second.accept_policy(APP, "s1", evidence=APP_EVIDENCE)  # loads 1.3 from the database
        first.publish(XY_14)
        assert (
            second.accept_policy(APP, "s1", version="1.4", evidence=APP_EVIDENCE).accepted_version
            == "1.4"
        )
        d = second.decide(
            APP, "s1", element="password", purpose="account_security", scenario="login"
        )
        assert d.policy_version == "1.4"


def test_publishing_an_invalid_declaration_stores_nothing(yinsi_engine: Engine) -> None:
    with pytest.raises(DeclarationError):
        yinsi_engine.publish("app:\n  id: broken\n")
    with pytest.raises(UnknownName, match="unknown app 'broken'"):
        yinsi_engine.register_check("broken", id_number(date(2000, 1, 1)))


def test_an_unmigrated_database_is_refused(empty_url: str) -> None:
    with pytest.raises(StorageNotMigrated, match="yinsi db upgrade"):
        Engine(empty_url)


def test_embedded_creates_and_migrates_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "yinsi.db"
    with Engine.embedded(path) as e:
        e.publish(XY)
        assert e.accept_policy(APP, "s1", evidence=APP_EVIDENCE).accepted_version == "1.3"
    assert path.exists()
    with Engine.embedded(path) as again:  # an existing, current file is simply opened
        assert again.state(APP, "s1").granted == {"privacy_policy"}


def test_default_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    upgrade(url)
    monkeypatch.setenv("YINSI_DATABASE_URL", url)
    with Engine() as e:
        e.publish(XY)
        assert e.state(APP, "nobody").accepted_version is None


def test_x15_engine_records_the_use_of_a_single_use_consent(yinsi_engine: Engine) -> None:
    e = yinsi_engine
    e.accept_policy(APP, "s1", evidence=APP_EVIDENCE)
    e.grant(APP, "s1", "survey", evidence=APP_EVIDENCE)
    ask: dict[str, Any] = {"element": "survey_responses", "purpose": "survey", "scenario": "survey"}
    assert e.decide(APP, "s1", **ask).allowed
    e.use(APP, "s1", "survey", evidence=APP_EVIDENCE)
    again = e.decide(APP, "s1", **ask)
    assert (again.allowed, again.reason) == (False, "no_consent")
    assert [ev.kind for ev in e.events(APP, "s1")][-1] is EventKind.CONSENT_USED
    with pytest.raises(NotSingleUse, match="privacy_policy"):
        e.use(APP, "s1", "privacy_policy", evidence=APP_EVIDENCE)
