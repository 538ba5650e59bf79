"""The reference lending app running as 我来数科 (``LENDING_BRAND=wolai``; issue 15): the
flows of W03, W04 and W06-W09 through the app's own HTTP API, checked in the app's tables
and yinsi's ledger, on the REMEDIATED declaration (the seed plus separate consents; the
seed as written cannot run: yinsi refuses its sensitive PI, W04)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from lending_app import create_app
from lending_app.calls_wolai import CallOutbox
from lending_app.settings import BRANDS, EXAMPLES, AppSettings
from lending_app.sms import Outbox
from typer.testing import CliRunner

from test_lending_app_fixtures import ADULT_ID, Lending, auth
from yinsi.cli.app import app as yinsi_cli
from yinsi.declaration import load
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.services.root import Services

pytest_plugins = ["test_lending_app_fixtures"]

APP = "wolai_shuke"
PHONE = "13700137000"
OPERATOR = "operator-key-for-tests"
DECLARATIONS = EXAMPLES / "lending_app" / "declarations"
SEED = EXAMPLES / "declarations" / "wolai-shuke.yaml"
REMEDIATED = DECLARATIONS / "wolai-shuke-app.yaml"

REAL_NAME_CONSENTS = ("real_name_identity", "camera_photos_permission", "real_name_bank_card")
REAL_NAME: dict[str, str] = {
    "name": "李娜",
    "id_number": ADULT_ID,
    "id_holding_photo_ref": "oss://idcards/hold-u1.jpg",
    "card_number": "6222020200112233445",
    "bank_name": "招商银行",
    "reserved_mobile": "13700137001",
}
CREDIT: dict[str, str] = {
    "email": "lina@example.com",
    "address": "深圳市南山区桂湾五路1号",
    "education": "本科",
    "occupation": "会计",
    "monthly_income": "15000",
    "property_info": "自有住房一套",
    "marital_status": "已婚",
    "device_model": "Mate 60",
    "device_id": "dev-6f1c",
}
CONTACTS = [
    {"name": "李强", "phone": "13900002222", "relation": "父亲"},
    {"name": "王敏", "phone": "13900003333", "relation": "同事"},
]


@dataclass
class Wolai:
    client: TestClient
    db: sa.Engine
    yinsi: Services
    outbox: Outbox
    dialer: CallOutbox

    def sign_up(self, phone: str = PHONE) -> dict[str, str]:
        sent = self.client.post("/api/wolai/code", json={"phone": phone, "accept_policy": True})
        assert sent.status_code == 202, sent.text
        code = self.outbox.sent[-1][1].split("验证码")[1][:6]
        answer = self.client.post("/api/wolai/login", json={"phone": phone, "code": code})
        assert answer.status_code == 200, answer.text
        data: dict[str, str] = answer.json()
        return data

    def grant(self, user: dict[str, str], *consents: str) -> None:
        for consent in consents:
            answer = self.client.post(f"/api/consents/{consent}", headers=auth(user["token"]))
            assert answer.status_code == 204, answer.text

    def post(self, user: dict[str, str], path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/wolai/{path}", json=body, headers=auth(user["token"]))

    def verified(self, phone: str = PHONE) -> dict[str, str]:
        """A signed-up user who completed real-name verification (W04)."""
        user = self.sign_up(phone)
        self.grant(user, *REAL_NAME_CONSENTS, "business_partners_sharing")
        answer = self.post(user, "real-name", REAL_NAME)
        assert answer.status_code == 201, answer.text
        return user

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]

    def provisions(self, user: dict[str, str]) -> list[Any]:
        return list(self.yinsi.sharing.provisions(APP, user["user_id"]))


class _wolai:
    def __init__(self, folder: Path, url: str, declaration: Path) -> None:
        self.yinsi_url = f"sqlite:///{folder / 'yinsi.db'}"
        self.settings = AppSettings(
            database_url=url,
            keys_file=folder / "keys.json",
            declaration=declaration,
            yinsi_database_url=self.yinsi_url,
            app_id=APP,
            brand="wolai",
            operator_key=OPERATOR,
        )

    def __enter__(self) -> Wolai:
        outbox, dialer = Outbox(), CallOutbox()
        app = create_app(self.settings, sms=outbox)
        app.state.wolai_dialer = dialer
        self.client = TestClient(app).__enter__()
        self.yinsi = Services.open(self.yinsi_url)
        self.db = sa.create_engine(self.settings.database_url)
        return Wolai(self.client, self.db, self.yinsi, outbox, dialer)

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(None, None, None)
        self.yinsi.close()
        self.db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def wolai(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Wolai]:
    if request.param == "sqlite":
        with _wolai(tmp_path, f"sqlite:///{tmp_path / 'lending.db'}", REMEDIATED) as found:
            yield found
    else:
        from storage_fixtures import postgres_database

        with postgres_database() as url, _wolai(tmp_path, url, REMEDIATED) as found:
            yield found


# ------------------------------------------------------------ the remediated declaration


def _remediate_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("remediate", DECLARATIONS / "remediate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_w04_the_checked_in_app_declaration_is_the_scripts_output() -> None:
    assert REMEDIATED.read_text(encoding="utf-8") == _remediate_module().render()
    assert BRANDS["wolai"].declaration == REMEDIATED


def test_w04_a_patch_that_no_longer_fits_the_seed_is_an_error(tmp_path: Path) -> None:
    module = _remediate_module()
    patch = tmp_path / "patch.yaml"
    patch.write_text("waivers:\n  remove:\n    - {rule: separate-consent, id: nope}\n")
    with pytest.raises(module.PatchError, match="nothing matches"):
        module.render(SEED, patch)


APP_SCENARIOS = (
    "registration",
    "real_name_verification",
    "credit_assessment",
    "third_party_account_data",
    "emergency_contacts",
    "post_loan_contact",
    "merchant_loan",
    "car_insurance_instalment",
    "device_leasing",
)


def _separate_consent_findings(path: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        yinsi_cli, ["lint", "--format", "json", "--rule", "separate-consent", str(path)]
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    declaration = load(path)
    indexes = {
        f"scenarios[{n}]" for n, s in enumerate(declaration.scenarios) if s.id in APP_SCENARIOS
    }
    indexes |= {
        f"recipients[{n}]"
        for n, r in enumerate(declaration.recipients)
        if r.id == "business_partners"
    }
    return [f for f in findings if f["path"].split(".")[0] in indexes]


def test_w04_lint_finds_no_separate_consent_gap_in_the_flows_the_app_runs() -> None:
    assert _separate_consent_findings(REMEDIATED) == []
    # the seed has them, silenced by its waivers (warnings, not errors)
    seed = _separate_consent_findings(SEED)
    assert len(seed) >= 10 and all("waived" in f["message"] for f in seed)


def test_w04_diff_seed_to_app_needs_fresh_consent() -> None:
    result = CliRunner().invoke(yinsi_cli, ["diff", "--json", str(SEED), str(REMEDIATED)])
    report = json.loads(result.stdout)
    assert report["material"] is True
    added = {c["key"] for c in report["changes"] if c["kind"] == "added"}
    assert {"real_name_identity", "real_name_bank_card", "business_partners_sharing"} <= added
    assert load(REMEDIATED).policy.version != load(SEED).policy.version


def test_w04_the_data_map_fits_the_remediated_declaration() -> None:
    data_map, problems = read_data_map(
        EXAMPLES / "lending_app" / "datamap-wolai.yaml", load(REMEDIATED)
    )
    assert data_map is not None and data_map.app == APP
    assert [p for p in problems if p.severity == "error"] == []
    encrypted = {f.column for d in data_map.datasets for f in d.fields if f.encrypted}
    assert {"id_holding_photo_enc", "bank_card_enc", "contact_phone_enc"} <= encrypted


def test_w04_the_brand_comes_from_the_environment() -> None:
    settings = AppSettings.from_env({"LENDING_BRAND": "wolai"})
    assert (settings.app_id, settings.declaration, settings.display_name) == (
        APP,
        REMEDIATED,
        "我来数科",
    )
    assert AppSettings.from_env({}).app_id == "xiaoying_kadai"
    with pytest.raises(ValueError, match="LENDING_BRAND"):
        AppSettings.from_env({"LENDING_BRAND": "other"})


def test_w04_the_wolai_api_is_closed_for_the_xiaoying_brand(lending: Lending) -> None:
    answer = lending.client.post("/api/wolai/code", json={"phone": PHONE, "accept_policy": True})
    assert answer.status_code == 404


def test_w04_the_seed_as_written_cannot_run_real_name_verification(tmp_path: Path) -> None:
    """The seed's waivers silence lint only: yinsi refuses the sensitive PI it processes on
    the policy consent, and no consent the user could give would cover it."""
    with _wolai(tmp_path, f"sqlite:///{tmp_path / 'lending.db'}", SEED) as app:
        user = app.sign_up()
        app.grant(user, "camera_photos_permission")
        refused = app.post(user, "real-name", REAL_NAME)
        assert refused.status_code == 403
        assert refused.json()["reason"] == "separate_consent_required"
        assert refused.json()["consents"] == []
        assert app.rows("wolai_real_name") == []


# ------------------------------------------------------------ registration and W04


def test_w04_registration_is_mobile_and_sms_code_only(wolai: Wolai) -> None:
    refused = wolai.client.post("/api/wolai/code", json={"phone": PHONE, "accept_policy": False})
    assert refused.status_code == 400 and wolai.rows("users") == []
    user = wolai.sign_up()
    [row] = wolai.rows("users")
    assert row["id"] == user["user_id"] and row["phone_enc"].startswith("yv1.")
    assert row["id_number_enc"] is None and row["password_hash"] is None
    assert wolai.rows("sms_codes") == []  # the code was used up
    state = wolai.yinsi.consent.state(APP, user["user_id"])
    assert state.accepted_version == load(REMEDIATED).policy.version
    again = wolai.sign_up()  # the same number signs in to the same account
    assert again["user_id"] == user["user_id"] and len(wolai.rows("users")) == 1
    wrong = wolai.client.post("/api/wolai/login", json={"phone": PHONE, "code": "000000x"})
    assert wrong.status_code == 400


def test_w04_real_name_verification_refused_until_its_separate_consents_are_given(
    wolai: Wolai,
) -> None:
    user = wolai.sign_up()
    asked = []
    for consent in REAL_NAME_CONSENTS:
        refused = wolai.post(user, "real-name", REAL_NAME)
        assert refused.status_code == 403, refused.text
        asked.append((refused.json()["reason"], refused.json()["consents"]))
        wolai.grant(user, consent)
    assert asked == [
        ("separate_consent_required", ["real_name_identity"]),
        ("no_consent", ["camera_photos_permission"]),
        ("separate_consent_required", ["real_name_bank_card"]),
    ]
    # every element allowed, but the card check by the business partner needs Art. 23's
    # separate consent: refused there, and nothing is stored
    refused = wolai.post(user, "real-name", REAL_NAME)
    assert refused.status_code == 403 and refused.json()["step"] == "provide:business_partners"
    assert wolai.rows("wolai_real_name") == []
    [account] = wolai.rows("users")
    assert not account["real_name_verified"] and account["id_number_enc"] is None
    assert wolai.provisions(user) == []

    wolai.grant(user, "business_partners_sharing")
    made = wolai.post(user, "real-name", REAL_NAME)
    assert made.status_code == 201, made.text
    [record] = wolai.rows("wolai_real_name")
    assert record["bank_card_enc"].startswith("yv1.")
    assert REAL_NAME["card_number"] not in str(record)
    assert "hold-u1" not in record["id_holding_photo_enc"]
    [account] = wolai.rows("users")
    assert account["real_name_verified"] and ADULT_ID not in str(account)
    [provision] = wolai.provisions(user)
    assert provision.id == record["provision_id"]
    assert provision.recipient == "business_partners"
    assert provision.consent_id == "business_partners_sharing"
    assert set(provision.elements) == {"name", "id_number", "bank_card", "bank_reserved_mobile"}
    assert "id_holding_photo" not in provision.elements
    granted = wolai.yinsi.consent.state(APP, user["user_id"]).granted
    assert set(REAL_NAME_CONSENTS) <= set(granted)


def test_w04_no_credit_service_before_real_name_verification(wolai: Wolai) -> None:
    user = wolai.sign_up()
    wolai.grant(user, "business_partners_sharing")
    for path, body in (
        ("credit", CREDIT),
        ("merchant-loans", {"business_licence": "91440300MA5F", "operating_data": "月流水20万"}),
        ("car-insurance", {"vehicle": "粤B12345 比亚迪汉", "policy": "平安财险 保单P001"}),
    ):
        refused = wolai.post(user, path, body)
        assert refused.status_code == 403, refused.text
        assert "实名认证" in refused.json()["detail"]
    for table in ("wolai_credit_applications", "wolai_merchant_loans", "wolai_car_insurance"):
        assert wolai.rows(table) == []
    assert wolai.provisions(user) == []
    wolai.grant(user, *REAL_NAME_CONSENTS)
    assert wolai.post(user, "real-name", REAL_NAME).status_code == 201
    made = wolai.post(user, "credit", CREDIT)
    assert made.status_code == 201, made.text
    [application] = wolai.rows("wolai_credit_applications")
    assert application["status"] == "submitted"
    assert application["monthly_income_enc"].startswith("yv1.")
    assert application["location_enc"] is None
    provisions = wolai.provisions(user)
    assert [p.purpose for p in provisions] == ["identity_verification", "credit_assessment"]
    assert {"monthly_income", "device_id", "name"} <= set(provisions[1].elements)


# ------------------------------------------------------------ W03 collection methods


def test_w03_third_party_accounts_need_their_separate_authorisation(wolai: Wolai) -> None:
    user = wolai.sign_up()
    body = {"account": "110101199005171234", "secret": "gjj-secret-pw"}
    refused = wolai.post(user, "authorisations/housing_fund", body)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "separate_consent_required"
    assert refused.json()["consents"] == ["third_party_account_authorisation"]
    assert wolai.rows("wolai_authorisations") == []

    wolai.grant(user, "third_party_account_authorisation")
    for source in ("housing_fund", "social_security", "alipay", "jd", "taobao", "credit_card"):
        made = wolai.post(user, f"authorisations/{source}", body)
        assert made.status_code == 201, made.text
    mobile = wolai.post(user, "authorisations/mobile", {"phone": PHONE, "service_code": "834511"})
    assert mobile.status_code == 201, mobile.text
    assert wolai.post(user, "authorisations/weibo", body).status_code == 400
    rows = wolai.rows("wolai_authorisations")
    assert len(rows) == 7
    assert {r["method"] for r in rows} == {"account_authorisation", "mobile_service_password"}
    # the credentials were used for the query only: never stored, not even encrypted
    everything = json.dumps([wolai.rows(t) for t in ("wolai_authorisations", "users")], default=str)
    assert "gjj-secret-pw" not in everything and "834511" not in everything
    assert all(r["data_enc"].startswith("yv1.") for r in rows)


def test_w03_partner_and_data_service_queries_need_the_query_authorisation(
    wolai: Wolai,
) -> None:
    user = wolai.sign_up()
    refused = wolai.post(user, "queries/partner")
    assert refused.status_code == 403
    assert refused.json()["consents"] == ["third_party_data_query_authorisation"]
    wolai.grant(user, "third_party_data_query_authorisation")
    assert wolai.post(user, "queries/partner").status_code == 201
    # the credit report (征信报告) is also covered by the account authorisation item
    credit_report = wolai.post(user, "queries/data_service")
    assert credit_report.status_code == 403
    assert credit_report.json()["consents"] == ["third_party_account_authorisation"]
    wolai.grant(user, "third_party_account_authorisation")
    assert wolai.post(user, "queries/data_service").status_code == 201
    methods = [(r["source"], r["method"]) for r in wolai.rows("wolai_authorisations")]
    assert methods == [("partner", "partner"), ("data_service", "data_service_query")]


def test_w03_location_from_the_device_permission_needs_its_separate_consent(
    wolai: Wolai,
) -> None:
    user = wolai.verified()
    with_location = CREDIT | {"location": "22.5431,113.9365"}
    asked = []
    for consent in ("credit_location", "location_permission"):
        refused = wolai.post(user, "credit", with_location)
        assert refused.status_code == 403
        asked.append(refused.json()["consents"])
        wolai.grant(user, consent)
    assert asked == [["credit_location"], ["location_permission"]]
    assert wolai.rows("wolai_credit_applications") == []
    made = wolai.post(user, "credit", with_location)
    assert made.status_code == 201, made.text
    [application] = wolai.rows("wolai_credit_applications")
    assert (
        application["location_enc"].startswith("yv1.")
        and "22.54" not in application["location_enc"]
    )
    assert "precise_location" in wolai.provisions(user)[-1].elements


# ------------------------------------------------------------ W06 contacts


def test_w06_contacts_are_used_only_by_the_post_loan_endpoint(wolai: Wolai) -> None:
    user = wolai.sign_up()
    two_parents = [*CONTACTS[:1], {"name": "张丽", "phone": "13900004444", "relation": "母亲"}]
    assert wolai.post(user, "contacts", {"contacts": two_parents}).status_code == 400
    saved = wolai.post(user, "contacts", {"contacts": CONTACTS})
    assert saved.status_code == 201, saved.text
    stored = wolai.rows("wolai_contacts")
    assert {r["kind"] for r in stored} == {"family", "colleague"}
    assert all(r["contact_phone_enc"].startswith("yv1.") for r in stored)
    assert "13900002222" not in str(stored)

    # a marketing use by the app (inviting the contacts): refused by yinsi, nothing read
    invite = wolai.post(user, "contacts/invite")
    assert invite.status_code == 403 and invite.json()["reason"] == "not_declared"
    assert wolai.dialer.calls == []

    # the back office: only with its key
    body = {"user_id": user["user_id"], "purpose": "post_loan_management"}
    path = "/api/wolai/post-loan/calls"
    assert wolai.client.post(path, json=body).status_code == 403
    key = {"X-Operator-Key": OPERATOR}
    # any purpose other than post-loan management or an emergency is refused
    marketing = wolai.client.post(path, json=body | {"purpose": "marketing"}, headers=key)
    assert marketing.status_code == 403 and marketing.json()["reason"] == "not_declared"
    assert wolai.dialer.calls == [] and wolai.rows("wolai_calls") == []

    made = wolai.client.post(path, json=body, headers=key)
    assert made.status_code == 201, made.text
    assert made.json()["calls"] == 2
    # decrypted for the call only: the dialer got the numbers, the table holds none
    assert sorted(wolai.dialer.calls) == [
        ("13900002222", "post_loan_management"),
        ("13900003333", "post_loan_management"),
    ]
    calls = wolai.rows("wolai_calls")
    assert len(calls) == 2 and all(c["recording_enc"].startswith("yv1.") for c in calls)
    assert "13900002222" not in str(calls)
    [provision] = wolai.provisions(user)
    assert provision.recipient == "collection_service_providers"
    assert provision.id == made.json()["provision_id"] == calls[0]["provision_id"]
    assert "emergency_contacts" in provision.elements

    emergency = wolai.client.post(path, json=body | {"purpose": "emergency_contact"}, headers=key)
    assert emergency.status_code == 201 and emergency.json()["provision_id"] is None
    assert len(wolai.rows("wolai_calls")) == 4 and len(wolai.provisions(user)) == 1


# ------------------------------------------------------------ W07-W09


def test_w07_merchant_loan_needs_licence_and_operating_data(wolai: Wolai) -> None:
    user = wolai.verified()
    body = {"business_licence": "91440300MA5FXXXX1A", "operating_data": "近6个月月均流水20万元"}
    made = wolai.post(user, "merchant-loans", body)
    assert made.status_code == 201, made.text
    [loan] = wolai.rows("wolai_merchant_loans")
    assert loan["business_licence"] == body["business_licence"]
    assert (
        loan["operating_data_enc"].startswith("yv1.") and "流水" not in loan["operating_data_enc"]
    )
    provision = wolai.provisions(user)[-1]
    assert provision.id == loan["provision_id"] and provision.purpose == "merchant_loan"
    assert set(provision.elements) == {"business_licence", "business_operating_data"}
    assert provision.consent_id == "business_partners_sharing"


def test_w08_car_insurance_instalment_needs_vehicle_and_policy_data(wolai: Wolai) -> None:
    user = wolai.verified()
    body = {"vehicle": "粤B12345 比亚迪汉 2023款", "policy": "平安财险 商业险保单P2026001"}
    made = wolai.post(user, "car-insurance", body)
    assert made.status_code == 201, made.text
    [row] = wolai.rows("wolai_car_insurance")
    assert row["vehicle_enc"].startswith("yv1.") and "粤B" not in str(row)
    provision = wolai.provisions(user)[-1]
    assert provision.id == row["provision_id"]
    assert provision.purpose == "car_insurance_instalment"
    assert set(provision.elements) == {"vehicle_info", "insurance_info"}


def test_w09_device_leasing_needs_the_delivery_address(wolai: Wolai) -> None:
    user = wolai.sign_up()
    body = {"product": "iPhone 16 租赁12期", "delivery_address": "深圳市南山区科技园路2号"}
    made = wolai.post(user, "leases", body)
    assert made.status_code == 201, made.text
    [lease] = wolai.rows("wolai_leases")
    assert lease["delivery_address_enc"].startswith("yv1.") and "科技园" not in str(lease)
    assert wolai.provisions(user) == []  # the seed names no recipient of the address
