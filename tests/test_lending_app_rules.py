"""The reference lending app holds no privacy rule of its own (issue 15 acceptance): only
``lending_app.privacy*`` talks to yinsi, only the repositories touch PI tables, and every
repository method asks yinsi before it reads or writes. Also: the app's data map fits the
declaration, and the app runs the same against yinsi over HTTP."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import lending_app
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from lending_app import create_app
from lending_app.schema import PI_TABLES
from lending_app.settings import EXAMPLES, AppSettings

from served import served
from test_lending_app_fixtures import ADULT_ID, APP, PASSWORD, PHONE, Lending, auth
from yinsi import Engine
from yinsi.declaration import load
from yinsi.declaration.datamap_checks import read_data_map
from yinsi.security.api_keys import Scope
from yinsi.server import create_app as create_yinsi
from yinsi.services.root import Services

pytest_plugins = ["test_lending_app_fixtures"]

PACKAGE = Path(lending_app.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
DECISIONS = {"require", "split", "check_age", "provide"}
IDENTITY_LOOKUP = "_subject_by_phone"
"""Finds whom to ask about, by the phone's blind index only: allowed before the decision."""


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
    return found


def test_only_the_privacy_modules_import_yinsi() -> None:
    assert len(MODULES) >= 10
    offenders = [
        f"{path.name}: {module}"
        for path in MODULES
        if not path.name.startswith("privacy")
        for module, _ in _imports(_tree(path))
        if module == "yinsi" or module.startswith("yinsi.")
    ]
    assert offenders == []


def test_only_repositories_reach_pi_tables_and_routes_use_no_sql() -> None:
    offenders = []
    for path in MODULES:
        if path.name.startswith(("repository", "schema")):
            continue
        for module, names in _imports(_tree(path)):
            if module.startswith("lending_app.schema") and PI_TABLES & set(names):
                offenders.append(f"{path.name}: {sorted(PI_TABLES & set(names))}")
            if path.name.startswith("routes") and module.startswith("sqlalchemy"):
                offenders.append(f"{path.name} imports {module}")
    assert offenders == []


def _calls(method: ast.FunctionDef) -> list[tuple[int, str]]:
    """(line, dotted name) of every call and ``self._db`` use in ``method``."""
    found = []
    for node in ast.walk(method):
        if isinstance(node, ast.Attribute) and ast.unparse(node) == "self._db":
            found.append((node.lineno, "self._db"))
        if isinstance(node, ast.Call):
            found.append((node.lineno, ast.unparse(node.func)))
    return sorted(found)


def _takes_privacy(cls: ast.ClassDef) -> bool:
    return any(
        isinstance(n, ast.FunctionDef)
        and n.name == "__init__"
        and any(a.arg == "privacy" for a in n.args.args)
        for n in cls.body
    )


def test_every_repository_method_asks_yinsi_before_touching_data() -> None:
    checked, offenders, gated = 0, [], set()
    for path in PACKAGE.glob("repository*.py"):
        for cls in [n for n in _tree(path).body if isinstance(n, ast.ClassDef)]:
            if not _takes_privacy(cls):
                continue  # a form (dataclass), not a repository
            gated.add(cls.name)
            for method in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
                if method.name.startswith("_"):
                    continue
                checked += 1
                for _, name in _calls(method):
                    if name.startswith("self.privacy.") and name.split(".")[2] in DECISIONS:
                        break
                    if name == "self._db" or (
                        name.startswith("self._") and name != f"self.{IDENTITY_LOOKUP}"
                    ):
                        offenders.append(f"{path.name} {cls.name}.{method.name}: {name} first")
                        break
                else:
                    offenders.append(f"{path.name} {cls.name}.{method.name}: never asks yinsi")
    assert {"Accounts", "Credit"} <= gated and checked >= 7 and offenders == []


def test_no_consent_condition_outside_the_privacy_modules() -> None:
    offenders = [
        f"{path.name}:{node.lineno}: {ast.unparse(node.test)}"
        for path in MODULES
        if not path.name.startswith("privacy")
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.If | ast.IfExp | ast.While)
        and any(w in ast.unparse(node.test).lower() for w in ("consent", "granted", "allowed"))
    ]
    assert offenders == []


def test_the_data_map_fits_the_declaration_without_errors() -> None:
    declaration = load(EXAMPLES / "declarations" / "xiaoying-kadai.yaml")
    data_map, problems = read_data_map(EXAMPLES / "lending_app" / "datamap.yaml", declaration)
    assert data_map is not None
    assert [p for p in problems if p.severity == "error"] == []
    encrypted = {f.column for d in data_map.datasets for f in d.fields if f.encrypted}
    assert {"phone_enc", "id_number_enc", "face_ref", "card_number_enc"} <= encrypted


@pytest.fixture
def yinsi_over_http(tmp_path: Path) -> Iterator[tuple[str, str, Services]]:
    """``yinsi serve`` in a thread on a free port: its URL, a backend key, its services."""
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    Engine.embedded(tmp_path / "yinsi.db").close()
    services = Services.open(url, actor="api")
    services.consent.publish(EXAMPLES / "declarations" / "xiaoying-kadai.yaml")
    _, key = services.api_keys.create("lending", [Scope.BACKEND])
    try:
        with served(create_yinsi(services)) as base:
            yield base, key, services
    finally:
        services.close()


def test_x10_the_same_flows_run_against_yinsi_over_http(
    tmp_path: Path, yinsi_over_http: tuple[str, str, Services]
) -> None:
    base, key, services = yinsi_over_http
    settings = AppSettings.from_env(
        {
            "LENDING_HOME": str(tmp_path / "app"),
            "LENDING_DATABASE_URL": f"sqlite:///{tmp_path / 'lending.db'}",
            "YINSI_URL": base,
            "YINSI_API_KEY": key,
        }
    )
    (tmp_path / "app").mkdir()
    with TestClient(create_app(settings)) as client:
        body = {"phone": PHONE, "id_number": ADULT_ID, "password": PASSWORD}
        body |= {"accept_policy": True, "consents": ["id_number"]}
        user = client.post("/api/register", json=body).json()
        headers = auth(user["token"])
        refused = client.post(
            "/api/credit-line/increase", json={"employer": "某某公司"}, headers=headers
        )
        assert refused.status_code == 403 and refused.json()["step"] == "provide:funders"
        assert client.post("/api/consents/funder_sharing", headers=headers).status_code == 204
        made = client.post(
            "/api/credit-line/increase", json={"employer": "某某公司"}, headers=headers
        )
        assert made.status_code == 201, made.text
        manifest = {e["id"]: e for e in client.get("/api/yinsi/sdk-manifest").json()}
        assert manifest["tencent_cloud_face"]["may_initialise"] is False
    [provision] = services.sharing.provisions(APP, user["user_id"])
    assert provision.elements == ("employer",) and provision.actor != "lending_app"
    assert "funder_sharing" in services.consent.state(APP, user["user_id"]).granted


def test_yinsi_retention_sweeps_the_apps_own_tables_by_its_data_map(
    lending: Lending, tmp_path: Path
) -> None:
    """The data map is live: yinsi's sweeper deletes guest browsing records older than the
    declared month (browse_only) from the app's table and keeps the recent ones."""
    lending.client.get("/api/products")
    with lending.db.begin() as conn:
        conn.execute(
            sa.text("UPDATE guest_visits SET at = :at"),
            {"at": datetime.now(UTC) - timedelta(days=60)},
        )
    lending.client.cookies.clear()
    recent = lending.client.get("/api/products").cookies["guest"]
    env = {"LENDING_DATABASE_URL": lending.db.url.render_as_string(False)}
    env |= {"YINSI_HOME": str(tmp_path / "yinsi-home")}
    with Services.open(
        lending.yinsi.database.url.render_as_string(False),
        data_map=EXAMPLES / "lending_app" / "datamap.yaml",
        environ=env,
        hash_key=b"k" * 32,
    ) as services:
        services.retention.run(date.today())
    assert [row["cookie_id"] for row in lending.rows("guest_visits")] == [recent]
