"""Verification codes through ``RightsService`` with the seeded sample (issue 14): 20
resends send at most the cap — counted at the SMS sender, not in a table — and the
per-phone cap holds over requests; yinsi's database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import EXAMPLES
from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.rights.verification import CodeLimited
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.limits import LimitSettings
from yinsi.storage import create_engine, upgrade

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["sample_fixtures", "storage_fixtures"]

CHINA = timezone(timedelta(hours=8))


@dataclass
class Desk:
    services: Services
    sms: CapturedSms
    clock: list[datetime]
    stores: LendingStores

    def subject(self, n: int = 0) -> str:
        from yinsi_demo import Profile

        return self.stores.seeded.of(Profile("no_loan"))[n].user_id


@pytest.fixture
def desk(
    request: pytest.FixtureRequest, lending_stores: LendingStores, tmp_path: Path
) -> Iterator[Desk]:
    from storage_fixtures import postgres_database

    with ExitStack() as stack:
        if request.node.callspec.params["lending_stores"] == "sqlite":
            url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        else:
            url = stack.enter_context(postgres_database())
        upgrade(url)
        start = datetime.combine(lending_stores.seeded.today, datetime.min.time(), CHINA)
        clock = [start + timedelta(hours=9)]
        sms = CapturedSms()
        limits = LimitSettings(codes_per_phone_per_day=7)
        services = Services(
            create_engine(url),
            data_map=lending_stores.data_map,
            connectors=Connectors(lending_stores.data_map),
            hash_key=b"abuse-limits-key-0123456789abcdef",
            export_dir=tmp_path / "exports",
            sms=sms,
            clock=lambda: clock[0],
            settings=Settings(limits=limits),
        )
        stack.callback(services.close)
        services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
        yield Desk(services, sms, clock, lending_stores)


def test_x35_twenty_resends_send_at_most_the_cap(desk: Desk) -> None:
    rights = desk.services.rights
    request = rights.submit(desk.subject(), "access")
    refused: list[CodeLimited] = []
    for _ in range(20):  # as fast as a script can post
        try:
            rights.send_code(request.id)
        except CodeLimited as exc:
            refused.append(exc)
    assert len(desk.sms.sent) == 1 and len(refused) == 19
    assert all(e.retry_after == 60 and "请 1 分钟后再试" in str(e) for e in refused)
    for _ in range(20):  # each after the cooldown
        desk.clock[0] += timedelta(seconds=61)
        try:
            rights.send_code(request.id)
        except CodeLimited as exc:
            refused.append(exc)
    assert len(desk.sms.sent) == 5  # codes_per_request
    assert refused[-1].retry_after is None and "重新提交申请" in str(refused[-1])


def test_x35_per_phone_cap_over_requests(desk: Desk) -> None:
    rights = desk.services.rights
    subject = desk.subject()
    for _ in range(3):
        for _ in range(3):
            desk.clock[0] += timedelta(seconds=61)
            request = rights.submit(subject, "access")
            try:
                rights.send_code(request.id)
            except CodeLimited as exc:
                assert "今日" in str(exc) and exc.retry_after is not None
    assert len(desk.sms.sent) == 7  # codes_per_phone_per_day, whatever the requests
