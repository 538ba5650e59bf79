"""``yinsi serve`` and the command line without a delivery configuration, and demo mode
(issue 14 acceptance): outside demo mode serve refuses to start without an SMS provider,
naming the setting; in demo mode a whole verification flow leaves no code in any log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.connectors import Connectors
from yinsi.rights.requests import Status
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine, upgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
runner = CliRunner()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    import os

    for name in list(os.environ):
        if name.startswith("YINSI_DELIVERY__") or name in ("YINSI_DEMO", "YINSI_SETTINGS_FILE"):
            monkeypatch.delenv(name)
    yield monkeypatch


@pytest.fixture
def served(clean_env: pytest.MonkeyPatch) -> list[Any]:
    """uvicorn.run recorded instead of run (the command returns once it would serve)."""
    import uvicorn

    calls: list[Any] = []
    clean_env.setattr(uvicorn, "run", lambda app, **kw: calls.append(app))
    return calls


def test_serve_refuses_without_an_sms_provider_naming_the_setting(
    tmp_path: Path, served: list[Any]
) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    result = runner.invoke(app, ["serve", "--url", url])
    assert result.exit_code == 1 and not served
    assert "YINSI_DELIVERY__SMS__PROVIDER" in result.stderr
    assert "delivery.sms.provider" in result.stderr and "--demo" in result.stderr
    assert "Traceback" not in result.output


def test_serve_starts_in_demo_mode_or_with_an_sms_provider(
    tmp_path: Path, served: list[Any], clean_env: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    demo = runner.invoke(app, ["serve", "--url", url, "--demo"])
    assert demo.exit_code == 0, demo.output
    settings = tmp_path / "yinsi.toml"
    settings.write_text(
        '[delivery.sms]\nprovider = "http"\nurl = "http://127.0.0.1:9/sms"\n'
        'secret = "s3cret-gateway"\n',
        encoding="utf-8",
    )
    configured = runner.invoke(app, ["serve", "--url", url, "--settings", str(settings)])
    assert configured.exit_code == 0, configured.output
    assert len(served) == 2


def test_serve_names_an_incomplete_sms_provider(tmp_path: Path, served: list[Any]) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    settings = tmp_path / "yinsi.yaml"
    settings.write_text("delivery:\n  sms:\n    provider: tencent\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--url", url, "--settings", str(settings)])
    assert result.exit_code == 1 and not served
    assert "YINSI_DELIVERY__SMS__SDK_APP_ID" in result.stderr


def test_send_code_on_the_command_line_without_sms_says_what_to_configure(
    lending_stores_factory: LendingFactory, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        for variable, value in stores.environ.items():
            clean_env.setenv(variable, value)
        clean_env.setenv("YINSI_HOME", str(tmp_path / "home"))
        common = ["--map", str(DATA_MAP), "--url", url]
        assert runner.invoke(app, ["publish", str(DECLARATION), "--url", url]).exit_code == 0
        uid = stores.seeded.of(Profile.NO_LOAN)[0].user_id
        filed = runner.invoke(app, ["rights", "submit", uid, "access", *common])
        assert filed.exit_code == 0, filed.output
        result = runner.invoke(app, ["rights", "send-code", filed.stdout.strip(), *common])
    assert result.exit_code == 1
    assert "YINSI_DELIVERY__SMS__PROVIDER" in result.stderr and "Traceback" not in result.output


def test_demo_mode_verification_leaves_no_code_in_any_log(
    lending_stores_factory: LendingFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo sender is used (nothing captured by the test); the code is made known to
    the test by fixing the random source, then looked for in every log record."""
    import yinsi.rights.verification as verification

    monkeypatch.setattr(verification.secrets, "randbelow", lambda _: 482913)
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    caplog.set_level(logging.DEBUG)
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores:
        uid = stores.seeded.of(Profile.NO_LOAN)[0].user_id
        phone = stores.seeded.subject(uid).mobile_number
        with Services(
            create_engine(url),
            data_map=stores.data_map,
            connectors=Connectors(stores.data_map, environ=stores.environ),
            environ=stores.environ,
            hash_key=b"demo-erasure-key-0123456789abcdef",
            export_dir=tmp_path / "exports",
            settings=Settings(demo=True),
        ) as services:
            services.consent.publish(DECLARATION)
            request = services.rights.submit(uid, "access")
            services.rights.send_code(request.id)
            verified = services.rights.verify(request.id, "482913")
            assert verified.status is Status.VERIFIED
            (record,) = services.delivery.records(request.id)
    assert record.outcome == "delivered" and record.provider_id == "demo"
    texts = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    assert any("demo mode, not sent" in t for t in texts)  # the demo sender did run
    everything = "\n".join(texts)
    assert "482913" not in everything and phone not in everything
