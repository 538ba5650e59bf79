"""Security incidents (X26, PIPL Art. 57): affected subjects from the data map on the
seeded lending sample (PostgreSQL + MariaDB + Redis, or SQLite + Redis), the user notice
and the regulator report, and ``yinsi incident open|notify|close|show``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer
from typer.testing import CliRunner

from yinsi.cli.incident import incident_app
from yinsi.connectors import Connectors
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.declaration.schema import Declaration
from yinsi.lifecycle.incident_notice import contacts_for, render_notice, render_report
from yinsi.lifecycle.incidents import Incident, IncidentStatus, InvalidIncident
from yinsi.rights.ports import ConnectorError
from yinsi.services.consent import Engine
from yinsi.services.incidents import IncidentService
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION_PATH = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP_PATH = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
T0 = datetime(2025, 6, 14, 22, 0, tzinfo=UTC)
DEMO = Settings(demo=True, delivery={"regulator_emails": ["report@cac.example"]})
T1 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)


def with_records_in(stores: LendingStores, dataset: str) -> set[str]:
    """Ground truth: the seeded users with a value in ``dataset``."""
    return {
        user
        for user, cells in stores.seeded.cells.items()
        if any(c.dataset == dataset for c in cells)
    }


@pytest.fixture
def service(lending_stores: LendingStores, tmp_path: Path) -> Iterator[IncidentService]:
    Engine.embedded(tmp_path / "yinsi.db").close()
    data_map = lending_stores.data_map
    services = Services(
        create_engine(f"sqlite:///{tmp_path / 'yinsi.db'}"),
        data_map=data_map,
        connectors=Connectors(data_map),
        actor="ops",
        settings=DEMO,  # nothing sent: real delivery is tests/test_delivery_flows.py
    )
    services.consent.publish(DECLARATION_PATH)
    yield services.incidents
    services.close()


def test_x26_affected_subjects_are_every_subject_with_a_record_in_the_datasets(
    lending_stores: LendingStores, service: IncidentService
) -> None:
    datasets = ["repayments", "credit_reports", "sessions", "marketing_leads"]
    incident = service.open(
        title="风控库与缓存数据泄露",
        what_happened="攻击者利用弱口令读取了风控库和缓存。",
        occurred_at=T0,
        discovered_at=T1,
        datasets=datasets,
        possible_harm="可能导致诈骗电话和短信。",
        measures="已修改口令并封禁来源地址。",
        user_advice="请警惕冒充客服的来电，不要透露验证码。",
        incident_id="inc_x26",
    )
    truth: set[str] = set().union(*(with_records_in(lending_stores, d) for d in datasets))
    assert truth  # the sample has such records
    assert set(service.subjects("inc_x26")) == truth
    assert incident.affected_count == len(truth)
    # Leads of people who never registered lead to no subject: counted apart.
    assert incident.unlinked_records > 0
    assert {"transaction_records", "credit_report", "device_id", "mobile_number"} <= set(
        incident.elements
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/lending",
        "mysql+pymysql://reader:s3cret-pw@127.0.0.1:1/lending",
    ],
)
def test_x26_an_unreachable_store_is_named_without_its_password(
    url: str, sample_declaration: Declaration, tmp_path: Path
) -> None:
    """The records are listed through the store's connector: its timeouts, its errors."""
    Engine.embedded(tmp_path / "yinsi.db").close()
    data_map = load_data_map(DATA_MAP_PATH, sample_declaration)
    environ = {"YINSI_SAMPLE_CORE_URL": url}
    with Services(
        create_engine(f"sqlite:///{tmp_path / 'yinsi.db'}"),
        data_map=data_map,
        connectors=Connectors(data_map, environ=environ),
        environ=environ,
    ) as services:
        services.consent.publish(DECLARATION_PATH)
        with pytest.raises(ConnectorError) as caught:
            services.incidents.open(
                title="借款记录泄露",
                what_happened="内部人员违规导出了借款记录。",
                occurred_at=T0,
                discovered_at=T1,
                datasets=["loans"],
            )
        assert services.incidents.list() == []  # nothing recorded
    message = str(caught.value)
    assert message.startswith("store 'core': cannot connect to ")
    assert "s3cret-pw" not in message


def test_x26_notify_writes_the_notice_and_report_and_records_who_was_told(
    service: IncidentService, tmp_path: Path
) -> None:
    service.open(
        title="借款记录泄露",
        what_happened="内部人员违规导出了借款记录。",
        occurred_at=T0,
        discovered_at=T1,
        datasets=["loans"],
        incident_id="inc_loans",
    )
    with pytest.raises(InvalidIncident, match="never notified"):
        service.close_incident("inc_loans")
    incident, files = service.notify("inc_loans", tmp_path / "out", fmt="html")
    assert incident.status is IncidentStatus.NOTIFIED
    assert {n.audience for n in incident.notifications} == {"users", "regulator"}
    users = next(n for n in incident.notifications if n.audience == "users")
    assert users.channel == "推送通知" and users.count == incident.affected_count
    notice, report = (p.read_text(encoding="utf-8") for p in files)
    assert notice.startswith("<!DOCTYPE html>") and "借款记录" in notice
    assert "yskf@xiaoying.com" in notice  # the PI protection officer's channel
    assert "个人信息安全事件报告" in report and "受影响的个人" in report
    closed = service.close_incident("inc_loans", "已处置完毕")
    assert closed.status is IncidentStatus.CLOSED
    assert [i.id for i in service.list()] == ["inc_loans"]


def test_x26_notice_and_report_carry_the_art_57_contents() -> None:
    from yinsi.declaration.loader import load

    declaration = load(DECLARATION_PATH)
    incident = Incident(
        id="inc_1",
        app_id="xiaoying_kadai",
        title="数据泄露",
        what_happened="测试服务器数据库端口对外开放。",
        occurred_at=T0,
        discovered_at=T1,
        datasets=("users",),
        elements=("name", "id_number"),
        possible_harm="可能被冒用身份。",
        measures="已关闭端口。",
        user_advice="请留意异常借款。",
        affected_count=12,
    )
    notice = render_notice(incident, declaration)
    for heading in (
        "发生了什么",
        "涉及的个人信息种类",
        "可能造成的危害",
        "补救措施",
        "您可以采取的措施",
        "联系我们",
    ):
        assert heading in notice
    assert "姓名" in notice and "身份证" in notice  # element labels, not ids
    assert "2025年06月15日 06:00（北京时间）" in notice
    report = render_report(incident, declaration)
    assert "12 人" in report and "inc_1" in report
    # No channel is declared for incidents: the officer's and the complaint channels.
    assert [c.id for c in contacts_for(declaration)] == [
        "hotline",
        "privacy_email",
        "online_service",
        "feedback",
    ]
    with pytest.raises(InvalidIncident, match="datasets"):
        Incident(
            id="i",
            app_id="a",
            title="t",
            what_happened="w",
            occurred_at=T0,
            discovered_at=T1,
            datasets=(),
            elements=(),
            possible_harm="",
            measures="",
            user_advice="",
        )


def test_x26_cli_opens_notifies_shows_and_closes(
    lending_stores: LendingStores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINSI_DEMO", "true")  # nothing sent (see tests/test_delivery_flows.py)
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    with Engine.embedded(tmp_path / "yinsi.db") as engine:
        engine.publish(DECLARATION_PATH)
    app = typer.Typer()
    app.add_typer(incident_app, name="incident")
    runner = CliRunner()
    common = ["--map", str(DATA_MAP_PATH), "--url", url]
    opened = runner.invoke(
        app,
        [
            "incident",
            "open",
            "--title",
            "借款记录泄露",
            "--what",
            "违规导出。",
            "--occurred",
            "2025-06-14T22:00+08:00",
            "--discovered",
            "2025-06-15T09:00+08:00",
            "--dataset",
            "loans",
            "--id",
            "inc_cli",
            *common,
        ],
    )
    assert opened.exit_code == 0, opened.output
    assert "inc_cli" in opened.output and "受影响用户" in opened.output
    notified = runner.invoke(
        app, ["incident", "notify", "inc_cli", "--out", str(tmp_path / "out"), *common]
    )
    assert notified.exit_code == 0, notified.output
    assert (tmp_path / "out" / "inc_cli-notice.md").exists()
    assert (tmp_path / "out" / "inc_cli-report.md").exists()
    shown = runner.invoke(app, ["incident", "show", *common])
    assert shown.exit_code == 0 and "已告知" in shown.output
    closed = runner.invoke(app, ["incident", "close", "inc_cli", *common])
    assert closed.exit_code == 0 and "已结束" in closed.output
    missing = runner.invoke(app, ["incident", "show", "inc_nope", *common])
    assert missing.exit_code == 1 and "inc_nope" in missing.output
