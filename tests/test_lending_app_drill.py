"""The violation drill (examples/lending_app/drill.py, issue 15) against yinsi and the
reference app, both served over HTTP by uvicorn: each consent withdrawn in yinsi's privacy
center stops the app's dependent steps at once and nothing else (X29, W15)."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lending_app import create_app
from lending_app.settings import EXAMPLES, AppSettings
from rich.console import Console

from served import served
from test_lending_app_fixtures import vet_sources
from yinsi import Engine
from yinsi.consent.ledger import EventKind
from yinsi.security.api_keys import Scope
from yinsi.server import create_app as create_yinsi
from yinsi.services.root import Services

APP = "xiaoying_kadai"


def _load_drill() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "lending_drill", EXAMPLES / "lending_app" / "drill.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


drill = _load_drill()


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str, str, Services]]:
    """yinsi (its privacy center and API) and the app asking it over HTTP: app URL, yinsi
    URL, a backend key, yinsi's services (to read its ledger)."""
    Engine.embedded(tmp_path / "yinsi.db").close()
    services = Services.open(f"sqlite:///{tmp_path / 'yinsi.db'}", actor="api")
    services.consent.publish(EXAMPLES / "declarations" / "xiaoying-kadai.yaml")
    vet_sources(f"sqlite:///{tmp_path / 'yinsi.db'}")  # the app's data providers (X18)
    _, key = services.api_keys.create("lending", [Scope.BACKEND])
    with (
        _app_database(request.param, tmp_path) as database,
        served(create_yinsi(services)) as yinsi,
    ):
        settings = AppSettings.from_env(
            {
                "LENDING_HOME": str(tmp_path / "app"),
                "LENDING_DATABASE_URL": database,
                "YINSI_URL": yinsi,
                "YINSI_API_KEY": key,
            }
        )
        with served(create_app(settings)) as app:
            yield app, yinsi, key, services
    services.close()


@contextmanager
def _app_database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'lending.db'}"
    else:
        from storage_fixtures import postgres_database

        with postgres_database() as url:
            yield url


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = drill.main(list(args), console=Console(file=out, width=400, color_system=None))
    return code, out.getvalue()


def test_x29_w15_each_withdrawal_in_the_privacy_center_stops_only_its_steps_at_once(
    stack: tuple[str, str, str, Services],
) -> None:
    app, yinsi, key, services = stack
    code, printed = _run("--app", app, "--yinsi", yinsi, "--key", key, "--matrix")
    assert code == 0, printed
    assert "✗" not in printed and "通过" in printed
    needed = {c for s in drill.STEPS for c in s.needs}
    assert {"funder_sharing", "face_recognition", "loan_info", "delivery_address"} <= needed
    for consent in needed:  # a row per consent, each refusal naming it
        assert f"撤回 {consent}" in printed and f"已拒绝（{consent}）" in printed
    assert "可用（200）" in printed and "可用（201）" in printed
    # withdrawn and given back in yinsi's ledger through the privacy center, not the app
    subject = re.search(r"subject）：(\S+)", printed).group(1)  # type: ignore[union-attr]
    events = services.consent.events(APP, subject)
    withdrawn = [e.consent_id for e in events if e.kind is EventKind.CONSENT_WITHDRAWN]
    assert sorted(withdrawn) == sorted(needed)
    assert needed <= services.consent.state(APP, subject).granted
    # the default table: one row per step, its consents refused, the others still working
    code, printed = _run("--app", app, "--yinsi", yinsi)
    assert code == 0 and "✗" not in printed, printed
    for step in drill.STEPS:
        assert f"{step.label}（{step.promise}）" in printed
    assert "✓ 已拒绝 6/6" in printed  # the credit-line application's six consents


def test_x29_the_drill_fails_when_a_step_is_not_refused(
    stack: tuple[str, str, str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row claiming that browsing needs the funder consent: browsing goes on, and the
    drill says so and exits 1 (it checks, it does not just print)."""
    app, yinsi, key, _ = stack
    wrong = [s for s in drill.STEPS if s.id != "products"]
    products = next(s for s in drill.STEPS if s.id == "products")
    wrong.append(drill.Gated(**{**_fields(products), "needs": ("funder_sharing",)}))
    monkeypatch.setattr(drill, "STEPS", tuple(wrong))
    code, printed = _run("--app", app, "--yinsi", yinsi, "--key", key)
    assert code == 1
    assert "✗ 撤回 funder_sharing：应拒绝：HTTP 200 未拒绝" in printed and "未通过" in printed


def test_the_drill_skips_rows_the_app_does_not_serve(
    stack: tuple[str, str, str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, yinsi, key, _ = stack
    future = drill.Gated("later", "以后的流程", "X00", "POST", "/api/not-yet", lambda b: {})
    monkeypatch.setattr(drill, "STEPS", (*drill.STEPS, future))
    code, printed = _run("--app", app, "--yinsi", yinsi, "--key", key)
    assert code == 0 and "未演练（应用未提供该接口）：以后的流程 POST /api/not-yet" in printed, (
        printed
    )


def test_x29_without_the_apps_button_the_drill_asks_yinsi_with_the_backend_key(
    stack: tuple[str, str, str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, yinsi, key, _ = stack
    served = drill.LendingApp.routes

    def no_button(self: Any) -> set[tuple[str, str]]:
        return served(self) - {("POST", "/api/privacy-center")}

    monkeypatch.setattr(drill.LendingApp, "routes", no_button)
    code, printed = _run("--app", app, "--yinsi", yinsi, "--key", "not-a-key")
    assert code == 1 and "演练中止" in printed and "入口链接" in printed
    code, printed = _run("--app", app, "--yinsi", yinsi, "--key", key)
    assert code == 0, printed


def _fields(step: Any) -> dict[str, Any]:
    return {name: getattr(step, name) for name in step.__dataclass_fields__}


def test_the_drills_defaults_are_the_ports_make_demo_serves() -> None:
    makefile = (EXAMPLES.parent / "Makefile").read_text(encoding="utf-8")
    ports = dict(re.findall(r"^(DEMO_\w+_PORT) \?= (\d+)$", makefile, flags=re.MULTILINE))
    assert f"http://127.0.0.1:{ports['DEMO_APP_PORT']}" == drill.APP_URL
    assert f"http://127.0.0.1:{ports['DEMO_LENDING_PORT']}" == drill.YINSI_URL
    assert "examples/lending_app/drill.py --app $$app --yinsi $$ly" in makefile
