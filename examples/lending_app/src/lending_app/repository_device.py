"""Automatically collected data (X17) and PI obtained from third parties (X18).

A device/SDK report names its scenario; yinsi decides each element, the app keeps only
what yinsi allows (encrypted) and refuses the report when nothing is allowed. Every
permission use the report names goes to yinsi's permission-event check (W10 telemetry)
and the violations come back with the answer.

A query to a data provider is made only after yinsi allows the collection
(``third_party_sources`` / ``transaction_tags``), the acquisition from that provider (a
source the platform team vetted and registered in yinsi, ``yinsi sources add``, within
the elements and scenario it was vetted for; the acquisition is in yinsi's ledger) and
the provision of the query's PI to the provider (in yinsi's ledger too); otherwise the
provider is never called. The result is kept encrypted; using it later is a new step yinsi decides, so a
use beyond the scope it was obtained for (a scenario or purpose the declaration does not
give it) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from lending_app.privacy import PermissionUse, Privacy, Refused, Step, Violations
from lending_app.repository import AccountError
from lending_app.schema import bank_cards, users
from lending_app.schema_device import (
    DEVICE_ELEMENTS,
    SOURCED_ELEMENTS,
    device_reports,
    third_party_records,
)

PURPOSES = {
    "log_info": "security_monitoring",
    "device_info": "anti_fraud",
    "search_records": "search_convenience",
    "browsing_records": "product_improvement",
    "location": "anti_fraud",
    "loan_review_logs": "credit_assessment",
    "installed_apps": "credit_assessment",
    "address_book": "anti_fraud",
    "camera_photos": "identity_verification",
}
"""The scenarios of 1.2 (自动收集) a device report may name, each with the purpose the app
collects for; the elements each may carry are the declaration's business, decided by yinsi."""


@dataclass(frozen=True, slots=True)
class Report:
    scenario: str
    stage: str
    flow_id: str
    values: Mapping[str, str]
    uses: Sequence[tuple[str, str | None]] = ()
    """The permissions used for it: (permission, SDK or None for the app itself)."""


@dataclass(frozen=True, slots=True)
class Kept:
    report_id: int | None
    """None: yinsi allowed nothing of the report, nothing was stored."""
    stored: tuple[str, ...]
    refused: dict[str, Refused]
    violations: Violations = field(default_factory=list)


class DeviceData:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def report(self, user_id: str, report: Report) -> Kept:
        """X17: the elements of ``report`` yinsi allows for its scenario, stored encrypted;
        the others dropped and named; permission uses checked by yinsi (W10)."""
        unknown = sorted(set(report.values) - set(DEVICE_ELEMENTS))
        if report.scenario not in PURPOSES or unknown or not report.values:
            raise AccountError(f"不支持的上报内容：{report.scenario} {'、'.join(unknown)}".strip())
        now = datetime.now(UTC)
        uses = [
            PermissionUse(permission, report.scenario, report.stage, report.flow_id, now, sdk)
            for permission, sdk in report.uses
        ]
        violations = self.privacy.check_permission_uses(user_id, uses)
        asked = Step(report.scenario, PURPOSES[report.scenario], tuple(report.values))
        kept, refused = self.privacy.split(user_id, asked)
        if not kept.elements:
            return Kept(None, (), refused, violations)
        enc = self.privacy.fields.encrypt
        columns = {
            f"{e}_enc": enc(report.values[e], f"device_reports.{e}_enc") for e in kept.elements
        }
        with self._db.begin() as conn:
            result = conn.execute(
                insert(device_reports)
                .values(
                    user_id=user_id,
                    scenario=report.scenario,
                    stage=report.stage,
                    flow_id=report.flow_id,
                    collected_at=now,
                    **columns,
                )
                .returning(device_reports.c.id)
            )
            report_id = int(result.scalar_one())
        return Kept(report_id, kept.elements, refused, violations)


# ---------------------------------------------------------------- third parties (X18)


@dataclass(frozen=True, slots=True)
class ProviderQuery:
    """What the app sends to a data provider: the element asked for and the query's PI."""

    element: str
    sent: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Fetched:
    source: str
    """The provider's name, kept with the record."""
    result: str


DataProvider = Callable[[ProviderQuery], Fetched]
"""A data provider (征信、三方数据查询、转接清算机构): injected, so tests count the calls."""


def sample_provider(query: ProviderQuery) -> Fetched:
    """The reference app's stand-in provider: made-up answers, nothing leaves the process."""
    answers = {
        "credit_report": "人行征信报告（样例）：近24个月无逾期记录",
        "third_party_query_results": "三方数据查询结果（样例）：多头借贷风险低",
        "transaction_behaviour_tags": "交易行为标签（样例）：线上消费活跃",
    }
    return Fetched("样例数据服务商", answers[query.element])


@dataclass(frozen=True, slots=True)
class Source:
    scenario: str
    purpose: str
    recipient: str
    """Who receives the query's PI (a provision in yinsi's ledger)."""
    sent: str
    """The element the query carries."""
    provider: str
    """The provider's id in yinsi's source register (来源审查记录, X18)."""


SOURCES = {
    "credit_report": Source(
        "third_party_sources",
        "credit_assessment",
        "credit_verification",
        "id_number",
        "pbc_credit_reference",
    ),
    "third_party_query_results": Source(
        "third_party_sources",
        "credit_assessment",
        "credit_verification",
        "id_number",
        "baihang_credit",
    ),
    "transaction_behaviour_tags": Source(
        "transaction_tags",
        "user_profiling",
        "clearing_institution",
        "clearing_query_info",
        "clearing_institution",
    ),
}
assert set(SOURCES) == set(SOURCED_ELEMENTS)


class ThirdPartyData:
    def __init__(self, db: Engine, privacy: Privacy) -> None:
        self._db = db
        self.privacy = privacy

    def fetch(self, user_id: str, element: str, provider: DataProvider) -> int:
        """X18: the collection, the acquisition from the vetted source and the query's
        provision decided by yinsi first; only then is ``provider`` called; its answer kept
        encrypted. The record's id."""
        source = SOURCES[element]
        step = Step(source.scenario, source.purpose, (element,))
        self.privacy.require(user_id, step)
        self.privacy.acquire(user_id, source.provider, step)
        query = ProviderQuery(element, {source.sent: self._query_value(user_id, source)})
        provision = self.privacy.provide(
            user_id, source.recipient, Step(source.scenario, source.purpose, (source.sent,))
        )
        fetched = provider(query)
        context = f"third_party_records.{element}_enc"
        with self._db.begin() as conn:
            result = conn.execute(
                insert(third_party_records)
                .values(
                    user_id=user_id,
                    element=element,
                    scenario=source.scenario,
                    purpose=source.purpose,
                    source=fetched.source,
                    provision_id=provision,
                    fetched_at=datetime.now(UTC),
                    **{f"{element}_enc": self.privacy.fields.encrypt(fetched.result, context)},
                )
                .returning(third_party_records.c.id)
            )
            return int(result.scalar_one())

    def use(self, user_id: str, element: str, scenario: str, purpose: str) -> str | None:
        """X18: the latest fetched value, for a use yinsi allows now (within the scope the
        declaration gives it, on the consent in force); None if none was fetched."""
        self.privacy.require(user_id, Step(scenario, purpose, (element,)))
        column = third_party_records.c[f"{element}_enc"]
        with self._db.connect() as conn:
            token = conn.execute(
                select(column)
                .where(
                    third_party_records.c.user_id == user_id,
                    third_party_records.c.element == element,
                )
                .order_by(third_party_records.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return self.privacy.fields.decrypt(token, f"third_party_records.{element}_enc")

    def _query_value(self, user_id: str, source: Source) -> str:
        """The query's PI: the ID number (征信、核验), or the bound card (转接清算)."""
        fields = self.privacy.fields
        with self._db.connect() as conn:
            if source.sent == "id_number":
                token = conn.execute(
                    select(users.c.id_number_enc).where(users.c.id == user_id)
                ).scalar_one_or_none()
                value = fields.decrypt(token, "users.id_number_enc")
            else:
                token = conn.execute(
                    select(bank_cards.c.card_number_enc)
                    .where(bank_cards.c.user_id == user_id)
                    .order_by(bank_cards.c.id.desc())
                    .limit(1)
                ).scalar_one_or_none()
                value = fields.decrypt(token, "bank_cards.card_number_enc")
        if value is None:
            raise AccountError("请先完成实名认证并绑定储蓄卡后再查询。")
        return value
