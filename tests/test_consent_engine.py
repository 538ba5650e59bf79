"""The decision engine on the two reference declarations: the promises it keeps at run time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import DATA, EXAMPLES
from yinsi.consent import (
    Channel,
    ConsentEvent,
    ConsentState,
    Decision,
    EventKind,
    Evidence,
    RuleBook,
    Rules,
    UnknownName,
    compile_rules,
    decide,
    may_call_sdk,
    replay,
    sdk_manifest,
    single_use,
)
from yinsi.declaration import Declaration, load
from yinsi.declaration.view import covering_separate_consent, taxonomy_of
from yinsi.taxonomy import BUILTIN, DeclineMode, LegalBasis

XY = load(EXAMPLES / "xiaoying-kadai.yaml")
WL = load(EXAMPLES / "wolai-shuke.yaml")
XY_RULES = compile_rules(XY)
WL_RULES = compile_rules(WL)
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

Step = tuple[EventKind, str] | tuple[EventKind, str, str]
"""(kind, policy version) or (kind, policy version, consent id)."""


def events(app: str, steps: Iterable[Step], subject: str = "s1") -> list[ConsentEvent]:
    return [
        ConsentEvent(
            app_id=app,
            subject_id=subject,
            kind=step[0],
            policy_version=step[1],
            at=T0 + timedelta(minutes=i),
            evidence=Evidence(Channel.APP, account="acct-1"),
            consent_id=step[2] if len(step) == 3 else None,
            seq=i + 1,
        )
        for i, step in enumerate(steps)
    ]


def accepted(rules: Rules, *grants: str) -> list[Step]:
    """Accept ``rules``' version and grant ``grants``, as the app does at registration."""
    v = rules.version
    return [(EventKind.POLICY_ACCEPTED, v), *((EventKind.CONSENT_GRANTED, v, c) for c in grants)]


def state_of(rules: Rules, steps: Iterable[Step]) -> ConsentState:
    return replay(rules.app_id, "s1", events(rules.app_id, steps))


def withdraw(rules: Rules, consent: str) -> Step:
    return (EventKind.CONSENT_WITHDRAWN, rules.version, consent)


def xy(state: ConsentState, scenario: str, element: str, purpose: str, **kw: Any) -> Decision:
    return decide(XY_RULES, state, scenario=scenario, element=element, purpose=purpose, **kw)


def wl(state: ConsentState, scenario: str, element: str, purpose: str, **kw: Any) -> Decision:
    return decide(WL_RULES, state, scenario=scenario, element=element, purpose=purpose, **kw)


def with_scenario(d: Declaration, scenario_id: str, **update: Any) -> Declaration:
    scenarios = [s.model_copy(update=update) if s.id == scenario_id else s for s in d.scenarios]
    return d.model_copy(update={"scenarios": scenarios})


def with_policy(d: Declaration, **update: Any) -> Declaration:
    return d.model_copy(update={"policy": d.policy.model_copy(update=update)})


# ---------------------------------------------------------------- the promises


def test_x04_minor_is_refused_everywhere() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy"))
    assert xy(s, "login", "mobile_number", "account_registration").allowed
    d = xy(s, "login", "mobile_number", "account_registration", minor=True)
    assert (d.allowed, d.reason) == (False, "minor")
    assert XY_RULES.minimum_age == 18


def test_x04_under_14_is_sensitive() -> None:
    """PIPL Art. 28: every element of a child under 14 needs a covering separate consent."""
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy", "id_number"))
    assert xy(s, "registration", "mobile_number", "account_registration").allowed
    child = xy(s, "registration", "mobile_number", "account_registration", under_14=True)
    assert (child.allowed, child.reason, child.consent_ids) == (
        False,
        "separate_consent_required",
        (),  # no separate consent of this scenario covers the mobile number
    )
    # id_number has its own separate consent, granted: allowed even for a child.
    assert xy(s, "registration", "id_number", "account_registration", under_14=True).allowed


def test_x05_sensitive_element_needs_separate_consent() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy"))
    scenario, purpose = "credit_line_application", "credit_assessment"
    face = xy(s, scenario, "face", purpose)
    assert (face.allowed, face.reason, face.consent_ids) == (
        False,
        "separate_consent_required",
        ("face_recognition",),
    )
    # Refusing it disables only what needs it: the name in the same scenario goes on.
    assert xy(s, scenario, "name", purpose) == Decision(True, "consent", "1.3", ("privacy_policy",))
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy", "face_recognition"))
    assert xy(s, scenario, "face", purpose) == Decision(
        True, "consent", "1.3", ("privacy_policy", "face_recognition")
    )


def test_x05_a_waived_separate_consent_gap_still_blocks() -> None:
    """我来数科 waives `separate-consent` for identity_authentication: the gap stays a gap.

    The ID photo is taken after the camera permission prompt only: a permission prompt is
    not a separate consent (PIPL Art. 29), so even with every item granted the photo is
    blocked as the ID number is. The mobile number of registration is not sensitive.
    """
    s = state_of(WL_RULES, accepted(WL_RULES, *(c.id for c in WL.consents)))
    for element in ("id_number", "id_photo"):
        d = wl(s, "identity_authentication", element, "identity_verification")
        assert (d.allowed, d.reason, d.consent_ids) == (False, "separate_consent_required", ())
    assert wl(s, "registration", "mobile_number", "account_registration").allowed


def test_x29_withdrawal_stops_only_dependent_functions() -> None:
    grants = ("privacy_policy", "face_recognition", "id_number", "location", "address_book")
    steps = [*accepted(XY_RULES, *grants), withdraw(XY_RULES, "location")]
    s = state_of(XY_RULES, steps)
    d = xy(s, "location", "precise_location", "anti_fraud")
    assert (d.allowed, d.reason, d.consent_ids) == (False, "consent_withdrawn", ("location",))
    assert xy(s, "credit_line_application", "face", "credit_assessment").allowed
    assert xy(s, "address_book", "address_book", "anti_fraud").allowed
    # SDKs too (W12): the location SDK stops, tongdun goes on without precise location.
    sdk = may_call_sdk(XY_RULES, s, "baidu_location")
    assert (sdk.allowed, sdk.reason) == (False, "consent_withdrawn")
    manifest = sdk_manifest(XY_RULES, s)
    assert "baidu_location" not in manifest
    assert "precise_location" not in manifest["tongdun"]
    assert "imei" in manifest["tongdun"]


def test_w15_withdrawal_stops_processing_earlier_stays_lawful() -> None:
    # The notification permission gates every element of push_notifications (none is
    # sensitive). Precise location would not do: a permission prompt is not the separate
    # consent it needs, so it is never allowed.
    grants = ("policy", "notifications_permission")
    before = events(WL_RULES.app_id, accepted(WL_RULES, *grants))
    args = ("push_notifications", "device_id", "push_notification")
    earlier = wl(replay(WL_RULES.app_id, "s1", before), *args)
    assert earlier.allowed

    ledger = [*before, *events(WL_RULES.app_id, [withdraw(WL_RULES, "notifications_permission")])]
    ledger[-1] = ConsentEvent(**{**_fields(ledger[-1]), "seq": len(ledger)})
    now = replay(WL_RULES.app_id, "s1", ledger)
    later = wl(now, *args)
    assert (later.allowed, later.reason) == (False, "consent_withdrawn")
    # History is not rewritten: the earlier events, their state and decision are unchanged.
    assert ledger[: len(before)] == before
    assert wl(replay(WL_RULES.app_id, "s1", ledger[: len(before)]), *args) == earlier
    assert now.last_seq == len(ledger)
    # Functions that do not depend on the item keep going.
    assert wl(now, "registration", "mobile_number", "account_registration").allowed


def _fields(event: ConsentEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__slots__}


def test_x02_new_version_declined_keeps_accepted_version() -> None:
    v14 = compile_rules(load(DATA / "xiaoying-kadai-v1.4.yaml"))
    book = RuleBook.of(XY_RULES, v14)
    assert XY_RULES.on_decline is DeclineMode.BROWSE_ONLY
    steps = [*accepted(XY_RULES, "privacy_policy"), (EventKind.POLICY_DECLINED, "1.4")]
    s = state_of(XY_RULES, steps)
    assert (s.accepted_version, s.declined_version) == ("1.3", "1.4")

    kept = book.decide(s, scenario="login", element="mobile_number", purpose="account_security")
    assert kept == Decision(True, "consent", "1.3", ("privacy_policy",))
    # What only 1.4 adds does not apply to this user.
    new = book.decide(
        s, scenario="customer_service", element="chat_logs", purpose="product_improvement"
    )
    assert (new.allowed, new.reason, new.policy_version) == (False, "not_declared", "1.3")
    # Browse-only mode is there for a user who has accepted nothing at all.
    nobody = ConsentState(XY_RULES.app_id, "unknown")
    guest = book.decide(
        nobody, scenario="guest_browsing", element="ip_address", purpose="guest_browsing"
    )
    assert guest == Decision(True, "browse_only", None)
    other = book.decide(
        nobody, scenario="login", element="mobile_number", purpose="account_security"
    )
    assert (other.allowed, other.reason, other.policy_version) == (
        False,
        "policy_not_accepted",
        None,
    )
    # Accepting 1.4 brings its new purpose in.
    s = state_of(XY_RULES, [*steps, (EventKind.POLICY_ACCEPTED, "1.4")])
    now = book.decide(
        s, scenario="customer_service", element="chat_logs", purpose="product_improvement"
    )
    assert now == Decision(True, "consent", "1.4", ("privacy_policy",))


def test_w19_new_version_applies_only_after_acceptance() -> None:
    wl2 = with_policy(
        with_scenario(WL, "registration", purposes=["account_registration", "marketing"]),
        version="2024-01-01",
    )
    book = RuleBook.of(WL_RULES, compile_rules(wl2))
    ask = {"scenario": "registration", "element": "mobile_number", "purpose": "marketing"}
    old = [*accepted(WL_RULES, "policy")]
    s = state_of(WL_RULES, old)
    assert book.decide(s, **ask) == Decision(False, "not_declared", "2022-02-28")
    assert book.decide(s, **{**ask, "purpose": "account_registration"}).allowed

    # 我来数科 （七）2: declining the new version means stopping the service.
    declined = state_of(WL_RULES, [*old, (EventKind.POLICY_DECLINED, "2024-01-01")])
    stop = book.decide(declined, **{**ask, "purpose": "account_registration"})
    assert stop == Decision(False, "policy_not_accepted", "2022-02-28")

    s = state_of(WL_RULES, [*old, (EventKind.POLICY_ACCEPTED, "2024-01-01")])
    assert book.decide(s, **ask) == Decision(True, "consent", "2024-01-01", ("policy",))

    # A version not effective on acceptance applies to everyone from publication.
    eager = RuleBook.of(WL_RULES, compile_rules(with_policy(wl2, effective_on_acceptance=False)))
    s = state_of(WL_RULES, old)
    assert eager.decide(s, **ask) == Decision(True, "consent", "2024-01-01", ("policy",))


def test_x14_marketing_opt_out() -> None:
    steps = accepted(XY_RULES, "privacy_policy", "marketing_messages", "personalisation")
    s = state_of(XY_RULES, steps)
    assert xy(s, "marketing_messages", "mobile_number", "marketing").allowed
    assert xy(s, "personalised_recommendation", "browsing_records", "user_profiling").allowed

    s = state_of(
        XY_RULES,
        [
            *steps,
            withdraw(XY_RULES, "marketing_messages"),
            withdraw(XY_RULES, "personalisation"),
        ],
    )
    for scenario, element, purpose, item in [
        ("marketing_messages", "mobile_number", "marketing", "marketing_messages"),
        ("marketing_messages", "account_id", "push_notification", "marketing_messages"),
        (
            "personalised_recommendation",
            "browsing_records",
            "personalised_recommendation",
            "personalisation",
        ),
    ]:
        d = xy(s, scenario, element, purpose)
        assert (d.allowed, d.reason, d.consent_ids) == (False, "consent_withdrawn", (item,))
    # Opting out of marketing stops nothing else.
    assert xy(s, "login", "mobile_number", "account_security").allowed
    assert xy(s, "browsing_records", "browsing_records", "product_improvement").allowed


def test_x15_survey_consent_asked_each_time() -> None:
    assert "survey" in XY_RULES.each_time
    ask = ("survey", "survey_responses", "survey")
    steps = accepted(XY_RULES, "privacy_policy", "survey")
    first = xy(state_of(XY_RULES, steps), *ask)
    assert first.allowed
    assert single_use(XY_RULES, first) == ("survey",)
    # After the survey the app records the use; the grant does not carry over.
    steps = [*steps, (EventKind.CONSENT_USED, "1.3", "survey")]
    s = state_of(XY_RULES, steps)
    second = xy(s, *ask)
    assert (second.allowed, second.reason, second.consent_ids) == (False, "no_consent", ("survey",))
    assert "survey" not in s.withdrawn  # a use is not a withdrawal
    steps = [*steps, (EventKind.CONSENT_GRANTED, "1.3", "survey")]
    assert xy(state_of(XY_RULES, steps), *ask).allowed
    # Standing consents are not used up.
    marketing = xy(
        state_of(XY_RULES, accepted(XY_RULES, "privacy_policy", "marketing_messages")),
        "marketing_messages",
        "mobile_number",
        "marketing",
    )
    assert marketing.allowed and single_use(XY_RULES, marketing) == ()
    assert single_use(XY_RULES, second) == ()


def test_x16_model_training_processes_no_pi_the_seed_does_not_name() -> None:
    """1.1.3 names no PI ("您的个人信息"): the declaration says `elements: not_stated`, so
    training on any element is undeclared, whatever is granted (issue 13, build 7)."""
    train = ("model_training", "sms_records", "risk_model_training")
    granted = accepted(XY_RULES, "privacy_policy", "loan_review_logs", "model_training_sensitive")
    decision = xy(state_of(XY_RULES, granted), *train)
    assert (decision.allowed, decision.reason) == (False, "not_declared")
    # The loan review that uses the same records is unaffected.
    assert xy(state_of(XY_RULES, granted), "loan_review_logs", "sms_records", "anti_fraud").allowed


# ---------------------------------------------------------------- the other reasons


def test_unknown_subject_is_policy_not_accepted_never_an_error() -> None:
    nobody = ConsentState(WL_RULES.app_id, "never-seen")
    d = wl(nobody, "registration", "mobile_number", "account_registration")
    assert d == Decision(False, "policy_not_accepted", None)
    sdk = may_call_sdk(WL_RULES, nobody, "jpush")
    assert (sdk.allowed, sdk.reason) == (False, "policy_not_accepted")
    assert sdk_manifest(WL_RULES, nobody) == {}  # not even SDKs declared to receive no PI


def test_accepted_policy_without_any_grant_is_no_consent() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES))
    d = xy(s, "login", "mobile_number", "account_registration")
    assert (d.allowed, d.reason, d.consent_ids) == (False, "no_consent", ("privacy_policy",))


def test_legal_basis_other_than_consent_needs_no_consent() -> None:
    rules = compile_rules(with_scenario(XY, "loan_repayment", legal_basis=LegalBasis.CONTRACT))
    nobody = ConsentState(XY_RULES.app_id, "s1")
    d = decide(
        rules, nobody, scenario="loan_repayment", element="overdue_info", purpose="loan_service"
    )
    assert d == Decision(True, "legal_basis:contract", None)


def test_restricted_allows_only_security() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy"))
    stop = xy(s, "log_info", "ip_address", "anti_fraud", restricted=True)
    assert (stop.allowed, stop.reason) == (False, "restricted")
    keep = xy(s, "log_info", "ip_address", "security_monitoring", restricted=True)
    assert keep == Decision(True, "legal_basis:other_law", "1.3")
    # Even a withdrawn consent does not stop storage-side security (PIPL Art. 47 para. 2).
    s = state_of(
        XY_RULES, [*accepted(XY_RULES, "privacy_policy"), withdraw(XY_RULES, "privacy_policy")]
    )
    assert xy(s, "log_info", "ip_address", "account_security", restricted=True).allowed
    narrow = compile_rules(XY, restricted_purposes={"security_monitoring"})
    d = decide(
        narrow,
        s,
        scenario="log_info",
        element="ip_address",
        purpose="account_security",
        restricted=True,
    )
    assert d.reason == "restricted"


def test_known_names_not_declared_together() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy"))
    d = xy(s, "login", "face", "account_security")
    assert (d.allowed, d.reason) == (False, "not_declared")
    assert xy(s, "login", "mobile_number", "marketing").reason == "not_declared"


@pytest.mark.parametrize(
    ("scenario", "element", "purpose", "kind", "bad", "close"),
    [
        (
            "credit_line_aplication",
            "face",
            "credit_assessment",
            "scenario",
            "credit_line_aplication",
            "credit_line_application",
        ),
        ("credit_line_application", "fcae", "credit_assessment", "element", "fcae", "face"),
        (
            "credit_line_application",
            "face",
            "credit_asessment",
            "purpose",
            "credit_asessment",
            "credit_assessment",
        ),
    ],
)
def test_unknown_names_are_errors_naming_close_matches(
    scenario: str, element: str, purpose: str, kind: str, bad: str, close: str
) -> None:
    s = ConsentState(XY_RULES.app_id, "s1")
    with pytest.raises(UnknownName) as caught:
        xy(s, scenario, element, purpose)
    err = caught.value
    assert (err.kind, err.name) == (kind, bad)
    assert close in err.close
    assert f"unknown {kind} {bad!r}" in str(err) and repr(close) in str(err)


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(UnknownName, match="unknown element 'zzzz'; it is not declared"):
        xy(ConsentState(XY_RULES.app_id, "s1"), "login", "zzzz", "account_security")


def test_unknown_sdk_consent_item_and_purpose_at_compile() -> None:
    with pytest.raises(UnknownName, match=r"unknown SDK 'tongdn'.*'tongdun'"):
        may_call_sdk(XY_RULES, ConsentState(XY_RULES.app_id, "s1"), "tongdn")
    with pytest.raises(UnknownName, match="unknown consent item 'privacy_polcy'"):
        compile_rules(with_scenario(XY, "login", consents=["privacy_polcy"]))
    with pytest.raises(UnknownName, match="unknown purpose 'securty'"):
        compile_rules(XY, restricted_purposes={"securty"})
    with pytest.raises(UnknownName, match="unknown scenario 'guest'"):
        compile_rules(XY, browse_only={"guest"})


def test_browse_only_follows_on_decline() -> None:
    assert XY_RULES.triples[("guest_browsing", "cookie_id", "guest_browsing")].browse_only
    stop = compile_rules(with_policy(XY, on_decline=DeclineMode.STOP_SERVICE))
    assert not stop.triples[("guest_browsing", "cookie_id", "guest_browsing")].browse_only
    explicit = compile_rules(WL, browse_only={"h5_cookies"})
    d = decide(
        explicit,
        ConsentState(WL_RULES.app_id, "s1"),
        scenario="h5_cookies",
        element="channel_id",
        purpose="page_state",
    )
    assert d == Decision(True, "browse_only", None)


def test_sdk_gates() -> None:
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy"))
    assert may_call_sdk(XY_RULES, s, "geetest") == Decision(
        True, "consent", "1.3", ("privacy_policy",)
    )
    face = may_call_sdk(XY_RULES, s, "megvii_face")
    assert (face.allowed, face.reason, face.consent_ids) == (
        False,
        "no_consent",
        ("face_recognition",),
    )
    assert may_call_sdk(XY_RULES, s, "ijiami").allowed  # receives no PI
    manifest = sdk_manifest(XY_RULES, s)
    assert "megvii_face" not in manifest
    # The seed gates no SDK's location apart: Bugly's location is sensitive PI that no
    # separate consent names, so it is never received (a waived gap stays a gap) …
    assert "geolocation_unspecified" not in manifest["bugly"] and "imei" in manifest["bugly"]
    s = state_of(XY_RULES, accepted(XY_RULES, "privacy_policy", "location"))
    assert "geolocation_unspecified" not in sdk_manifest(XY_RULES, s)["bugly"]
    # … until an element gate names a separate consent that covers it.
    bugly = next(x for x in XY.sdks if x.id == "bugly")
    gated = bugly.model_copy(update={"element_consents": {"geolocation_unspecified": "location"}})
    rules = compile_rules(XY.model_copy(update={"sdks": [gated]}))
    assert (
        "geolocation_unspecified"
        not in sdk_manifest(rules, state_of(rules, accepted(rules, "privacy_policy")))["bugly"]
    )
    assert "geolocation_unspecified" in sdk_manifest(rules, s)["bugly"]


def test_rules_agree_with_the_validator_on_separate_consent() -> None:
    """Every triple needing a separate consent is satisfiable exactly when the validator
    finds its consent; a one-time SMS code or a session token needs none (the lint agrees)."""
    for d, rules in ((XY, XY_RULES), (WL, WL_RULES)):
        tax = taxonomy_of(d)
        for s in d.scenarios:
            for e in s.element_ids:
                rule = rules.triples[(s.id, e, s.purposes[0])]
                assert rule.needs_separate == tax.needs_separate_consent(e)
                found = covering_separate_consent(d, s.consents, e) is not None
                assert bool(rule.separate) == found


def test_rule_book_errors() -> None:
    with pytest.raises(ValueError, match="one app"):
        RuleBook.of(XY_RULES, WL_RULES)
    with pytest.raises(ValueError, match="at least one"):
        RuleBook.of()
    s = state_of(XY_RULES, [(EventKind.POLICY_ACCEPTED, "0.9")])
    with pytest.raises(UnknownName, match=r"unknown policy version '0\.9'"):
        RuleBook.of(XY_RULES).decide(
            s, scenario="login", element="mobile_number", purpose="account_security"
        )
    # Names unknown to every version are errors even under an older version's rules.
    s = state_of(XY_RULES, accepted(XY_RULES))
    book = RuleBook.of(XY_RULES, compile_rules(with_policy(XY, version="1.4")))
    with pytest.raises(UnknownName):
        book.decide(s, scenario="login", element="mobile_numbr", purpose="account_security")


def test_decide_all_equals_deciding_each_step_under_every_kind_of_state() -> None:
    from yinsi.services.consent import DecisionRequest

    v14 = compile_rules(load(DATA / "xiaoying-kadai-v1.4.yaml"))
    book = RuleBook.of(XY_RULES, v14)
    steps = [
        DecisionRequest(e, p, s, minor=i % 7 == 0, restricted=i % 5 == 0, under_14=i % 3 == 0)
        for i, (s, e, p) in enumerate(sorted(v14.triples))
    ]
    states = [
        ConsentState(XY_RULES.app_id, "nobody"),
        state_of(XY_RULES, accepted(XY_RULES, "privacy_policy")),
        state_of(
            XY_RULES,
            [*accepted(XY_RULES, "privacy_policy"), (EventKind.POLICY_DECLINED, "1.4")],
        ),
    ]
    for state in states:
        one_by_one = [
            book.decide(
                state,
                element=r.element,
                purpose=r.purpose,
                scenario=r.scenario,
                restricted=r.restricted,
                minor=r.minor,
                under_14=r.under_14,
            )
            for r in steps
        ]
        assert book.decide_all(state, steps) == one_by_one


def test_a_one_time_code_or_session_token_needs_no_separate_consent_at_run_time() -> None:
    """The engine and the lint agree (``Taxonomy.needs_separate_consent``): logging in
    with an SMS code is decided on the scenario's consent, not refused for want of a
    separate one (PIPL Art. 29 concerns the sensitive PI processed, not the credential)."""
    for element in ("sms_code", "login_token"):
        assert BUILTIN.is_sensitive(element) and not BUILTIN.needs_separate_consent(element)
    seen = [
        rule
        for rules in (XY_RULES, WL_RULES)
        for (_, element, _), rule in rules.triples.items()
        if element in ("sms_code", "login_token")
    ]
    assert seen and not any(rule.needs_separate for rule in seen)
