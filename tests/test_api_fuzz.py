"""Issue 14 acceptance: schemathesis over the OpenAPI document, every operation, with an
API key holding every scope, on SQLite and PostgreSQL — 0 5xx, 0 conformance failures
(status codes, content types, response schemas, headers).

Bounded for CI: a few examples per operation, derandomized (the same cases every run).
The service runs with a data map over the sample lending back-end, so that the routes of
rights requests and incidents answer rather than 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Ok

from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

if TYPE_CHECKING:
    from schemathesis import Case

    from sample_fixtures import LendingFactory

pytest_plugins = ["storage_fixtures", "sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
EXAMPLES_PER_OPERATION = 8
APP = "xiaoying_kadai"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
"""No 5xx, and every answer as documented (status, content type, body schema, headers)."""


@dataclass
class Fuzzed:
    app: FastAPI
    auth: dict[str, str]


def _all_scopes_key(url: str) -> str:
    database = create_engine(url)
    try:
        with SqlUnitOfWork(database) as uow:
            secret = uow.api_keys.create("fuzz", list(Scope))[1]
            uow.commit()
    finally:
        database.dispose()
    return secret


@pytest.fixture
def fuzzed(
    empty_url: str, lending_stores_factory: LendingFactory, tmp_path: Path
) -> Iterator[Fuzzed]:
    with lending_stores_factory("sqlite", tmp_path / "lending", subjects=5) as stores:
        upgrade(empty_url)
        with Engine(empty_url, actor="test") as engine:
            engine.publish(DECLARATION)
        secret = _all_scopes_key(empty_url)
        text = DATA_MAP.read_text(encoding="utf-8")
        data_map = tmp_path / "datamap.yaml"
        data_map.write_text(text.replace('key: "', f'key: "{stores.redis_prefix}'), "utf-8")
        environ = {**stores.environ, "YINSI_HOME": str(tmp_path / "home")}
        with Services.open(empty_url, data_map=data_map, environ=environ, actor="api") as services:
            yield Fuzzed(create_app(services), {"Authorization": f"Bearer {secret}"})


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    auth: dict[str, str],
    answered: set[str],
    path: dict[str, str] | None = None,
) -> str | None:
    """Run ``operation``'s generated cases; the first failure, described, or None.
    ``answered`` gets the operation's label when one of its cases was accepted (2xx)."""

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    def run(case: Case[Any]) -> None:
        response = case.call_and_validate(headers=auth, checks=CHECKS)
        if response.status_code < 300:
            answered.add(operation.label)

    try:
        run()
    except Unsatisfiable:
        return None  # no input to make invalid: a route without parameters or body
    except (Exception, BaseExceptionGroup) as exc:  # every failure is reported, all at once
        where = f"{operation.label} [{mode.value}{' ' + str(path) if path else ''}]"
        return f"{where}: {type(exc).__name__}: {str(exc)[:1500]}"
    return None


def test_every_operation_conforms_with_every_scope(fuzzed: Fuzzed) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)  # the document itself is valid
    assert len(operations) >= 35
    answered: set[str] = set()
    failures = [
        failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := _fuzz(operation, mode, fuzzed.auth, answered)) is not None
    ]
    known_app = {"app_id": APP}  # past "unknown app": into the routes' own checks
    failures += [
        failure
        for operation in operations
        if "{app_id}" in operation.path
        if (failure := _fuzz(operation, GenerationMode.POSITIVE, fuzzed.auth, answered, known_app))
        is not None
    ]
    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)
    assert len(answered) >= 16, sorted(answered)  # the key got past auth and validation
