"""Automatically collected data and PI from third parties in the reference lending app (X17,
X18), through the app's own HTTP API: a device report keeps only what yinsi allows for its
scenario, permission uses go to yinsi's permission-event check (W10) and the violations
come back; a data provider is queried only after yinsi allows it, and a use of what it
returned beyond the scope it was obtained for is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lending_app import create_app
from lending_app.repository_device import Fetched, ProviderQuery
from lending_app.settings import AppSettings
from typer.testing import CliRunner

from test_lending_app_fixtures import (
    ADULT_ID,
    APP,
    CREDIT_CONSENTS,
    FORM,
    PASSWORD,
    PHONE,
    Lending,
    auth,
    vet_sources,
)
from test_lending_app_rules import yinsi_over_http  # noqa: F401  (the fixture)
from yinsi.cli.app import app as yinsi_cli
from yinsi.consent import Channel, Evidence
from yinsi.lifecycle.sourcing import AuthorisedBy
from yinsi.services.root import Services

pytest_plugins = ["test_lending_app_fixtures"]


def _report(
    lending: Lending,
    user: dict[str, str],
    scenario: str,
    values: dict[str, str],
    *permissions: str,
) -> Any:
    body = {
        "scenario": scenario,
        "stage": "申请借款（进件）",
        "flow_id": "flow-1",
        "values": values,
        "permissions": [{"permission": p} for p in permissions],
    }
    return lending.client.post("/api/device/reports", json=body, headers=auth(user["token"]))


def _withdraw(lending: Lending, user: dict[str, str], consent: str) -> None:
    """Withdrawn in yinsi (as the privacy center records it), not in the app."""
    evidence = Evidence(Channel.WEB, account=user["user_id"])
    lending.yinsi.consent.withdraw(APP, user["user_id"], consent, evidence=evidence)


def test_x17_logs_device_info_search_and_browsing_kept_encrypted(lending: Lending) -> None:
    user = lending.consenting()
    reports = {
        "log_info": {"operation_logs": "zh-CN 2026-12-06 v5.2", "ip_address": "10.1.2.3"},
        "device_info": {"device_model": "HUAWEI P60", "imei": "861234567890123"},
        "search_records": {"search_records": "分期手机"},
        "browsing_records": {"browsing_records": "/products/xinyongfu"},
    }
    for scenario, values in reports.items():
        answer = _report(lending, user, scenario, values)
        assert answer.status_code == 201, answer.text
        assert set(answer.json()["stored"]) == set(values) and answer.json()["refused"] == {}
    rows = {r["scenario"]: r for r in lending.rows("device_reports")}
    assert rows["device_info"]["imei_enc"].startswith("yv1.")
    assert "861234567890123" not in str(rows) and "分期手机" not in str(rows)
    assert rows["device_info"]["precise_location_enc"] is None


def test_x17_location_needs_its_separate_consent(lending: Lending) -> None:
    user = lending.consenting()
    gps = {"precise_location": "31.2304,121.4737"}
    refused = _report(lending, user, "location", gps, "location")
    assert refused.status_code == 403
    assert refused.json()["reason"] == "separate_consent_required"
    assert refused.json()["consents"] == ["location"]
    [violation] = refused.json()["violations"]  # the permission use, checked by yinsi (W10)
    assert violation["kind"] == "before_consent" and violation["consent_ids"] == ["location"]
    assert lending.rows("device_reports") == []
    # device info with a GPS fix: the device model is kept, the location is dropped
    mixed = _report(lending, user, "device_info", {"device_model": "P60", **gps})
    assert mixed.status_code == 201
    assert mixed.json()["stored"] == ["device_model"]
    assert mixed.json()["refused"]["precise_location"]["consents"] == ["location"]
    [row] = lending.rows("device_reports")
    assert row["device_model_enc"].startswith("yv1.") and row["precise_location_enc"] is None
    lending.client.post("/api/consents/location", headers=auth(user["token"]))
    allowed = _report(lending, user, "location", gps, "location")
    assert allowed.status_code == 201 and allowed.json()["violations"] == []
    assert "location" in lending.yinsi.consent.state(APP, user["user_id"]).granted
    assert sum(r["precise_location_enc"] is not None for r in lending.rows("device_reports")) == 1


@pytest.mark.parametrize(
    ("scenario", "consent", "values", "permission"),
    [
        ("loan_review_logs", "loan_review_logs", {"sms_records": "借贷审核短信1条"}, "sms"),
        ("loan_review_logs", "loan_review_logs", {"call_records": "通话记录3条"}, "call_log"),
        ("installed_apps", "installed_apps", {"installed_apps": "微信,支付宝"}, "installed_apps"),
        ("address_book", "address_book", {"address_book": "张强 13900001111"}, "contacts"),
    ],
)
def test_x17_sms_call_logs_app_list_and_address_book_only_with_consent(
    lending: Lending, scenario: str, consent: str, values: dict[str, str], permission: str
) -> None:
    user = lending.consenting()
    refused = _report(lending, user, scenario, values, permission)
    assert refused.status_code == 403 and refused.json()["consents"] == [consent]
    assert [v["kind"] for v in refused.json()["violations"]] == ["before_consent"]
    assert lending.rows("device_reports") == []
    lending.client.post(f"/api/consents/{consent}", headers=auth(user["token"]))
    allowed = _report(lending, user, scenario, values, permission)
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["violations"] == []
    [element] = values
    [row] = lending.rows("device_reports")
    assert row[f"{element}_enc"].startswith("yv1.")
    _withdraw(lending, user, consent)
    again = _report(lending, user, scenario, values, permission)
    assert again.status_code == 403 and again.json()["reason"] == "consent_withdrawn"
    assert len(lending.rows("device_reports")) == 1


def test_x17_undeclared_elements_and_permissions_are_refused(lending: Lending) -> None:
    user = lending.consenting()
    # SMS records under the log scenario: not what the declaration collects there
    stray = _report(lending, user, "log_info", {"sms_records": "短信"}, "sms")
    assert stray.status_code == 403 and stray.json()["reason"] == "not_declared"
    assert [v["kind"] for v in stray.json()["violations"]] == ["undeclared_permission"]
    unknown = _report(lending, user, "no_such_scenario", {"imei": "1"})
    assert unknown.status_code == 400
    assert lending.rows("device_reports") == []


def test_x17_w10_page_telemetry_is_checked_by_yinsi_for_the_signed_in_user(
    lending: Lending,
) -> None:
    user = lending.consenting()
    event = {
        "permission": "camera",
        "scenario": "camera_photos",
        "stage": "人脸识别",
        "flow_id": "h5-1",
        "at": datetime.now(UTC).isoformat(),
        "subject_id": "someone-else",  # ignored: the subject is the session's user
    }
    headers = auth(user["token"])
    answer = lending.client.post("/api/yinsi/permission-events", json=[event], headers=headers)
    assert answer.status_code == 200
    [violation] = answer.json()
    assert violation["kind"] == "before_consent" and violation["subject_id"] == user["user_id"]
    for consent in ("id_images", "face_recognition"):
        lending.client.post(f"/api/consents/{consent}", headers=headers)
    event["at"] = datetime.now(UTC).isoformat()
    fine = lending.client.post("/api/yinsi/permission-events", json=[event], headers=headers)
    assert fine.json() == []
    lending.client.cookies.clear()  # the registration's session cookie
    anonymous = lending.client.post("/api/yinsi/permission-events", json=[event])
    assert anonymous.status_code == 401


class CountingProvider:
    def __init__(self) -> None:
        self.queries: list[ProviderQuery] = []

    def __call__(self, query: ProviderQuery) -> Fetched:
        self.queries.append(query)
        return Fetched("某征信服务商", f"{query.element}：近24个月无逾期")


def _yinsi_url(lending: Lending) -> str:
    return lending.yinsi.database.url.render_as_string(hide_password=False)


@pytest.fixture
def unvetted_provider(lending: Lending) -> CountingProvider:
    """The counting provider, before any data provider is registered in yinsi."""
    found = CountingProvider()
    lending.client.app.state.data_provider = found  # type: ignore[attr-defined]
    return found


@pytest.fixture
def provider(lending: Lending, unvetted_provider: CountingProvider) -> CountingProvider:
    """The counting provider, with the app's data providers vetted and registered in yinsi
    by the platform team (``yinsi sources add``)."""
    vet_sources(_yinsi_url(lending))
    return unvetted_provider


def _fetch(lending: Lending, user: dict[str, str], element: str) -> Any:
    return lending.client.post(f"/api/third-party/{element}", headers=auth(user["token"]))


def _use(lending: Lending, user: dict[str, str], element: str, scenario: str, purpose: str) -> Any:
    body = {"scenario": scenario, "purpose": purpose}
    return lending.client.post(
        f"/api/third-party/{element}/use", json=body, headers=auth(user["token"])
    )


def test_x18_provider_is_never_called_without_yinsis_consent(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting()
    refused = _fetch(lending, user, "third_party_query_results")
    assert refused.status_code == 403 and refused.json()["consents"] == ["third_party_data"]
    lending.client.post("/api/consents/third_party_data", headers=auth(user["token"]))
    unshared = _fetch(lending, user, "third_party_query_results")
    assert unshared.status_code == 403
    assert unshared.json()["step"] == "provide:credit_verification"
    assert provider.queries == []
    assert lending.rows("third_party_records") == []
    assert lending.yinsi.sharing.provisions(APP, user["user_id"]) == []


def test_x18_fetched_data_stored_encrypted_with_the_querys_provision(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    answer = _fetch(lending, user, "credit_report")
    assert answer.status_code == 201, answer.text
    [query] = provider.queries
    assert query.element == "credit_report" and set(query.sent) == {"id_number"}
    [row] = lending.rows("third_party_records")
    assert row["credit_report_enc"].startswith("yv1.") and "逾期" not in str(row)
    assert row["scenario"] == "third_party_sources" and row["source"] == "某征信服务商"
    [provision] = lending.yinsi.sharing.provisions(APP, user["user_id"])
    assert provision.id == row["provision_id"] and provision.recipient == "credit_verification"
    assert provision.elements == ("id_number",)
    [acquisition] = lending.yinsi.sourcing.acquisitions(APP, user["user_id"])
    assert acquisition.source_id == "pbc_credit_reference"
    assert acquisition.elements == ("credit_report",) and acquisition.purpose == "credit_assessment"
    assert "third_party_data" in acquisition.consent_ids
    within = _use(lending, user, "credit_report", "third_party_sources", "credit_assessment")
    assert within.status_code == 200 and "无逾期" in within.json()["value"]


def test_x18_use_beyond_the_obtained_scope_is_refused_and_needs_new_consent(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    assert _fetch(lending, user, "third_party_query_results").status_code == 201
    for scenario, purpose in [
        ("third_party_sources", "marketing"),
        ("personalised_recommendation", "personalised_recommendation"),
        ("marketing_messages", "marketing"),
        ("no_such_scenario", "marketing"),
    ]:
        beyond = _use(lending, user, "third_party_query_results", scenario, purpose)
        assert beyond.status_code == 403, (scenario, purpose)
        assert beyond.json()["reason"] == "not_declared"
    _withdraw(lending, user, "third_party_data")
    withdrawn = _use(
        lending, user, "third_party_query_results", "third_party_sources", "anti_fraud"
    )
    assert withdrawn.status_code == 403 and withdrawn.json()["reason"] == "consent_withdrawn"
    assert withdrawn.json()["consents"] == ["third_party_data"]
    assert len(provider.queries) == 1


def test_x18_transaction_tags_query_the_clearing_institution_with_the_bound_card(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting(*CREDIT_CONSENTS, "funder_sharing")
    lending.client.post("/api/credit-line", json=FORM, headers=auth(user["token"]))
    refused = _fetch(lending, user, "transaction_behaviour_tags")
    assert refused.status_code == 403 and refused.json()["consents"] == ["clearing_tags"]
    assert provider.queries == []
    lending.client.post("/api/consents/clearing_tags", headers=auth(user["token"]))
    answer = _fetch(lending, user, "transaction_behaviour_tags")
    assert answer.status_code == 201, answer.text
    [query] = provider.queries
    assert query.sent == {"clearing_query_info": FORM["card_number"]}
    provisions = lending.yinsi.sharing.provisions(APP, user["user_id"])
    tags = [p for p in provisions if p.recipient == "clearing_institution"]
    assert len(tags) == 1 and tags[0].consent_id == "clearing_tags"
    [row] = lending.rows("third_party_records")
    assert row["transaction_behaviour_tags_enc"].startswith("yv1.")
    assert row["credit_report_enc"] is None


def test_x17_the_same_report_and_check_run_against_yinsi_over_http(
    tmp_path: Path,
    yinsi_over_http: tuple[str, str, Services],  # noqa: F811 (the fixture imported above)
) -> None:
    base, key, services = yinsi_over_http
    (tmp_path / "app").mkdir()
    settings = AppSettings.from_env(
        {
            "LENDING_HOME": str(tmp_path / "app"),
            "LENDING_DATABASE_URL": f"sqlite:///{tmp_path / 'lending.db'}",
            "YINSI_URL": base,
            "YINSI_API_KEY": key,
        }
    )
    with TestClient(create_app(settings)) as client:
        body: dict[str, Any] = {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD}
        body |= {"accept_policy": True, "consents": ["id_number"]}
        user = client.post("/api/register", json=body).json()
        report: dict[str, Any] = {"scenario": "device_info", "flow_id": "f1"}
        report |= {"values": {"device_model": "P60", "precise_location": "31.2,121.4"}}
        report["permissions"] = [{"permission": "location"}]
        answer = client.post("/api/device/reports", json=report, headers=auth(user["token"]))
        assert answer.status_code == 201, answer.text
        assert answer.json()["stored"] == ["device_model"]
        # device_info declares no permission: yinsi's check says so, over HTTP too
        [violation] = answer.json()["violations"]
        assert violation["kind"] == "undeclared_permission"
    assert "location" not in services.consent.state(APP, user["user_id"]).granted


# ---------------------------------------------------------------- source vetting (X18)


def _refused_before_the_provider(
    lending: Lending, user: dict[str, str], provider: CountingProvider, element: str, reason: str
) -> Any:
    answer = _fetch(lending, user, element)
    assert answer.status_code == 403, answer.text
    assert answer.json()["reason"] == reason
    assert provider.queries == [] and lending.rows("third_party_records") == []
    assert lending.yinsi.sharing.provisions(APP, user["user_id"]) == []
    return answer


def test_x18_an_unvetted_source_is_refused_and_the_provider_never_called(
    lending: Lending, unvetted_provider: CountingProvider
) -> None:
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    answer = _refused_before_the_provider(
        lending, user, unvetted_provider, "third_party_query_results", "source_not_registered"
    )
    assert answer.json()["step"] == "acquire:baihang_credit"
    assert lending.yinsi.sourcing.acquisitions(APP, user["user_id"]) == []
    vet_sources(_yinsi_url(lending))
    assert _fetch(lending, user, "third_party_query_results").status_code == 201
    [acquisition] = lending.yinsi.sourcing.acquisitions(APP, user["user_id"])
    assert acquisition.source_id == "baihang_credit" and len(unvetted_provider.queries) == 1


def test_x18_a_revoked_or_expired_vetting_is_refused(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    revoke = ["sources", "revoke", APP, "pbc_credit_reference", "--reason", "合作终止"]
    done = CliRunner().invoke(yinsi_cli, [*revoke, "--url", _yinsi_url(lending)])
    assert done.exit_code == 0, done.output
    _refused_before_the_provider(lending, user, provider, "credit_report", "source_revoked")
    lending.yinsi.sourcing.add_source(
        APP,
        "pbc_credit_reference",
        name="中国人民银行征信中心",
        legal_ground="《征信业管理条例》（样例）",
        elements=["credit_report"],
        scenarios=["third_party_sources"],
        authorised_by=AuthorisedBy.US,
        authorisation_ref="单独同意 third_party_data",
        vetted_by="合规部",
        vetted_on=date(2020, 1, 1),
        valid_until=date(2021, 1, 1),
    )
    _refused_before_the_provider(lending, user, provider, "credit_report", "source_expired")


def test_x18_an_element_outside_what_the_source_was_vetted_for_is_refused(
    lending: Lending, unvetted_provider: CountingProvider
) -> None:
    lending.yinsi.sourcing.add_source(
        APP,
        "baihang_credit",
        name="百行征信有限公司",
        legal_ground="个人征信业务经营许可（样例）",
        elements=["credit_report"],  # vetted for the credit report only
        scenarios=["third_party_sources"],
        authorised_by=AuthorisedBy.PROVIDER,
        authorisation_ref="百行征信个人授权书 v2",
        vetted_by="合规部",
        valid_until=date(2099, 12, 31),
    )
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    _refused_before_the_provider(
        lending, user, unvetted_provider, "third_party_query_results", "element_out_of_source_scope"
    )


def test_x18_consent_withdrawn_refuses_the_next_acquisition(
    lending: Lending, provider: CountingProvider
) -> None:
    user = lending.consenting("third_party_data", "credit_verification_sharing")
    assert _fetch(lending, user, "credit_report").status_code == 201
    _withdraw(lending, user, "third_party_data")
    again = _fetch(lending, user, "credit_report")
    assert again.status_code == 403 and again.json()["reason"] == "consent_withdrawn"
    assert again.json()["consents"] == ["third_party_data"]
    assert len(provider.queries) == 1
    assert len(lending.yinsi.sourcing.acquisitions(APP, user["user_id"])) == 1
    refused = lending.yinsi.sourcing.acquire(
        APP, user["user_id"], "pbc_credit_reference", ["credit_report"], "credit_assessment",
        "third_party_sources",
    )  # fmt: skip
    assert refused.decision.reason == "consent_withdrawn" and refused.acquisition is None


def test_x18_the_acquisition_gate_runs_against_yinsi_over_http(
    tmp_path: Path,
    yinsi_over_http: tuple[str, str, Services],  # noqa: F811 (the fixture imported above)
) -> None:
    base, key, services = yinsi_over_http
    (tmp_path / "app").mkdir()
    settings = AppSettings.from_env(
        {
            "LENDING_HOME": str(tmp_path / "app"),
            "LENDING_DATABASE_URL": f"sqlite:///{tmp_path / 'lending.db'}",
            "YINSI_URL": base,
            "YINSI_API_KEY": key,
        }
    )
    queried = CountingProvider()
    with TestClient(create_app(settings)) as client:
        client.app.state.data_provider = queried  # type: ignore[attr-defined]
        body: dict[str, Any] = {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD}
        body |= {"accept_policy": True, "consents": ["id_number"]}
        user = client.post("/api/register", json=body).json()
        headers = auth(user["token"])
        for consent in ("third_party_data", "credit_verification_sharing"):
            assert client.post(f"/api/consents/{consent}", headers=headers).status_code == 204
        unvetted = client.post("/api/third-party/credit_report", headers=headers)
        assert unvetted.status_code == 403
        assert unvetted.json()["reason"] == "source_not_registered" and queried.queries == []
        vet_sources(services.database.url.render_as_string(hide_password=False))
        fetched = client.post("/api/third-party/credit_report", headers=headers)
        assert fetched.status_code == 201, fetched.text
    [acquisition] = services.sourcing.acquisitions(APP, user["user_id"])
    assert acquisition.source_id == "pbc_credit_reference" and len(queried.queries) == 1
