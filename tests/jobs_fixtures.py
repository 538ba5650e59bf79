"""Shared by the job tests: a rights desk on the sample back-end with yinsi on PostgreSQL.

``desk_on(stores, url, home)`` opens :class:`~yinsi.services.root.Services` on yinsi's
database ``url`` (migrated, 小赢卡贷 published) and the sample's stores; ``approved()`` files
a deletion request and takes it to ``approved`` (identity checked by ID-number suffix).
``erased_once()`` checks the stores cell by cell against the seeded truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.rights.plan import StepStatus
from yinsi.rights.requests import Status
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine
from yinsi_demo import Cell, Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
HASH_KEY = b"jobs-erasure-key-0123456789abcdef"


def data_map_file(folder: Path, prefix: str) -> Path:
    """The sample's data map file with the test's Redis prefix (for a worker process)."""
    text = DATA_MAP.read_text(encoding="utf-8")
    path = folder / "datamap.yaml"
    path.write_text(text.replace('key: "', f'key: "{prefix}'), encoding="utf-8")
    return path


@dataclass
class Desk:
    services: Services
    stores: LendingStores

    def user(self, profile: Profile = Profile.NO_LOAN, n: int = 0) -> str:
        return self.stores.seeded.of(profile)[n].user_id

    def approved(self, uid: str, kind: str = "deletion", **more: Any) -> str:
        rights = self.services.rights
        if kind == "deletion":
            more.setdefault("trigger", "consent_withdrawn")
        request = rights.submit(uid, kind, **more)
        id_number = self.stores.seeded.subject(uid).id_number
        rights.verify(request.id, id_number[-6:], method="id_suffix")
        assert rights.approve(request.id, actor="operator").status is Status.APPROVED
        return request.id


def desk_on(stores: LendingStores, url: str, home: Path, settings: Settings | None = None) -> Desk:
    environ = {**stores.environ, "YINSI_HOME": str(home)}
    services = Services(
        create_engine(url),
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map, environ=environ),
        environ=environ,
        hash_key=HASH_KEY,
        export_dir=home / "exports",
        sms=CapturedSms(),
        actor="test",
        settings=settings or Settings(),
    )
    services.consent.publish(DECLARATION)
    return Desk(services, stores)


def erased_once(stores: LendingStores, before: Mapping[Cell, object], uid: str) -> None:
    """Every erasable cell of ``uid`` changed; every other cell as it was."""
    after = stores.snapshot()
    erasable = stores.seeded.erasable_cells(uid)
    assert erasable
    kept = [c for c, v in erasable.items() if after.get(c) == v]
    assert not kept, f"not erased: {kept[:5]}"
    changed = [c for c, v in before.items() if c not in erasable and after.get(c) != v]
    assert not changed, f"changed but not the subject's to erase: {changed[:5]}"


def each_step_once(services: Services, request_id: str) -> None:
    """The journal: every step done, each started exactly once; one run in the history."""
    steps = services.rights.steps(request_id)
    assert steps and all(s.status is StepStatus.DONE for s in steps), steps
    assert [s.attempts for s in steps] == [1] * len(steps)
    transitions = services.rights.get(request_id).history
    history = [t.status for t in transitions]
    assert history.count(Status.EXECUTING) == 1, transitions
    assert history[-1] is Status.COMPLETED, transitions
