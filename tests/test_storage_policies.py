"""Published policy versions: kept forever, immutable, idempotent, diffed (X01, X03)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from conftest import DATA, EXAMPLES
from yinsi.declaration import Declaration, loads
from yinsi.declaration.diff import diff
from yinsi.declaration.versions import ChangeFlag
from yinsi.storage import PolicyAppMismatch, PolicyVersionConflict, SqlUnitOfWork

pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
V13_TEXT = (EXAMPLES / "xiaoying-kadai.yaml").read_text(encoding="utf-8")
V14_TEXT = (DATA / "xiaoying-kadai-v1.4.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def v13() -> Declaration:
    return loads(V13_TEXT)


@pytest.fixture(scope="module")
def v14() -> Declaration:
    return loads(V14_TEXT)


def fixed_clock() -> datetime:
    return datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_x01_every_policy_version_is_kept(
    engine: Engine, v13: Declaration, v14: Declaration
) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.policies.publish(APP, V13_TEXT, v13)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.policies.publish(APP, V14_TEXT, v14)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        kept = uow.policies.list(APP)
        assert [p.version for p in kept] == ["1.3", "1.4"]
        assert [p.declaration_text for p in kept] == [V13_TEXT, V14_TEXT]
        assert uow.policies.get(APP, "1.3") == kept[0]
        latest = uow.policies.latest(APP)
        assert latest is not None and latest.version == "1.4"


def test_publish_records_hash_dates_and_text(engine: Engine, v13: Declaration) -> None:
    with SqlUnitOfWork(engine, clock=fixed_clock) as uow:
        record = uow.policies.publish(APP, V13_TEXT, v13)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        stored = uow.policies.get(APP, "1.3")
    assert stored == record
    assert stored.content_sha256 == hashlib.sha256(V13_TEXT.encode()).hexdigest()
    assert stored.effective == date(2022, 2, 21)
    assert stored.published_at == fixed_clock()
    assert stored.published_at.tzinfo is not None
    assert stored.previous_version is None and stored.changes == () and not stored.material


def test_publishing_the_same_content_again_is_idempotent(engine: Engine, v13: Declaration) -> None:
    with SqlUnitOfWork(engine, clock=fixed_clock) as uow:
        first = uow.policies.publish(APP, V13_TEXT, v13)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        again = uow.policies.publish(APP, V13_TEXT, v13)
        uow.commit()
        assert again == first
        assert len(uow.policies.list(APP)) == 1


def test_a_published_version_is_immutable(engine: Engine, v13: Declaration) -> None:
    with SqlUnitOfWork(engine) as uow:
        original = uow.policies.publish(APP, V13_TEXT, v13)
        uow.commit()
    edited = V13_TEXT + "\n# a quiet edit under the same version number\n"
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(PolicyVersionConflict, match=r"immutable.*raise policy\.version"):
            uow.policies.publish(APP, edited, loads(edited))
        assert uow.policies.list(APP) == [original]


def test_material_changes_flagged_against_the_previous_version(
    engine: Engine, v13: Declaration, v14: Declaration
) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.policies.publish(APP, V13_TEXT, v13)
        record = uow.policies.publish(APP, V14_TEXT, v14)
        uow.commit()
    expected = tuple(
        ChangeFlag(c.section, c.key, c.kind, c.field, c.material, c.reason) for c in diff(v13, v14)
    )
    with SqlUnitOfWork(engine) as uow:
        stored = uow.policies.get(APP, "1.4")
    assert stored == record
    assert stored.previous_version == "1.3"
    assert stored.changes == expected
    assert stored.material
    assert any(f.material for f in stored.changes) and any(not f.material for f in stored.changes)


def test_publish_under_another_app_is_refused(engine: Engine, v13: Declaration) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(PolicyAppMismatch, match="xiaoying_kadai"):
        uow.policies.publish("wolai_shuke", V13_TEXT, v13)


def test_unknown_app_or_version_is_none(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.policies.get(APP, "9.9") is None
        assert uow.policies.latest(APP) is None
        assert uow.policies.list(APP) == []


def test_nothing_is_published_without_commit(engine: Engine, v13: Declaration) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.policies.publish(APP, V13_TEXT, v13)
    with SqlUnitOfWork(engine) as uow:
        assert uow.policies.list(APP) == []
