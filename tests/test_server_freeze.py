"""``yinsi serve`` freezes its heap at start-up; an app built for tests or embedding does not."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services


def _services(tmp_path: Path) -> Services:
    Engine.embedded(tmp_path / "yinsi.db").close()
    return Services.open(f"sqlite:///{tmp_path / 'yinsi.db'}", actor="api")


def test_a_serving_app_freezes_what_it_built_at_start_up(tmp_path: Path) -> None:
    gc.unfreeze()
    with _services(tmp_path) as services:
        try:
            with TestClient(create_app(services, freeze_heap=True)) as client:
                assert gc.get_freeze_count() > 0  # the modules, the app, the declarations
                assert client.get("/healthz").status_code == 200
        finally:
            gc.unfreeze()  # this test process builds many more apps


def test_an_app_built_for_tests_or_embedding_freezes_nothing(tmp_path: Path) -> None:
    gc.unfreeze()
    with _services(tmp_path) as services, TestClient(create_app(services)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
