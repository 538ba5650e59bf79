"""The app's HTTP API for automatically collected data (X17), permission telemetry (W10)
and PI from third parties (X18); mounted by :func:`lending_app.create_app`.

The data provider of X18 is ``app.state.data_provider`` when set (tests set a counting
one), else :func:`lending_app.repository_device.sample_provider`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from lending_app.privacy import PermissionUse, Refused
from lending_app.repository_device import (
    DataProvider,
    DeviceData,
    Kept,
    Report,
    ThirdPartyData,
    sample_provider,
)
from lending_app.routes import State, User

router = APIRouter(prefix="/api")


def device(app: State) -> DeviceData:
    return DeviceData(app.db, app.privacy)


def third_parties(app: State) -> ThirdPartyData:
    return ThirdPartyData(app.db, app.privacy)


def provider(request: Request) -> DataProvider:
    found: DataProvider = getattr(request.app.state, "data_provider", sample_provider)
    return found


Device = Annotated[DeviceData, Depends(device)]
ThirdParties = Annotated[ThirdPartyData, Depends(third_parties)]
Provider = Annotated[DataProvider, Depends(provider)]
Sourced = Literal["credit_report", "third_party_query_results", "transaction_behaviour_tags"]


class UseBody(BaseModel):
    permission: str = Field(min_length=1, max_length=40)
    sdk: str | None = Field(None, max_length=60)


class ReportBody(BaseModel):
    scenario: str = Field(min_length=1, max_length=40)
    stage: str = Field("App", min_length=1, max_length=40)
    flow_id: str = Field(min_length=1, max_length=64)
    values: dict[str, str] = Field(min_length=1, max_length=20)
    permissions: list[UseBody] = Field(default_factory=list, max_length=20)


class TelemetryEvent(BaseModel):
    """What yinsi-consent.js sends; the subject is the signed-in user, never the page's."""

    permission: str = Field(min_length=1, max_length=40)
    scenario: str = Field(min_length=1, max_length=40)
    stage: str = Field(min_length=1, max_length=40)
    flow_id: str = Field(min_length=1, max_length=64)
    at: AwareDatetime
    sdk: str | None = None
    subject_id: str | None = None


class UseOfBody(BaseModel):
    scenario: str = Field(min_length=1, max_length=40)
    purpose: str = Field(min_length=1, max_length=40)


def _refusal(refused: Refused) -> dict[str, object]:
    return {"reason": refused.reason, "consents": list(refused.consents)}


def _answer(kept: Kept) -> dict[str, object]:
    return {
        "report_id": kept.report_id,
        "stored": list(kept.stored),
        "refused": {e: _refusal(r) for e, r in kept.refused.items()},
        "violations": kept.violations,
    }


@router.post("/device/reports", status_code=201, response_model=None)
def report(body: ReportBody, user: User, data: Device) -> dict[str, object] | JSONResponse:
    """X17: the device/SDK report; 201 with what was kept and what was not, 403 (nothing
    stored) when yinsi allows none of it. Both carry the permission-use violations (W10)."""
    uses = [(u.permission, u.sdk) for u in body.permissions]
    kept = data.report(user, Report(body.scenario, body.stage, body.flow_id, body.values, uses))
    if kept.report_id is None:
        first = next(iter(kept.refused.values()))
        detail = "根据您的授权状态，上报的信息均未保存。"
        body_403 = {"detail": detail, "step": body.scenario, **_refusal(first), **_answer(kept)}
        return JSONResponse(body_403, status_code=403)
    return _answer(kept)


@router.post("/yinsi/permission-events")
def permission_events(
    events: Annotated[list[TelemetryEvent], Field(max_length=200)],
    user: User,
    app: State,
) -> list[dict[str, object]]:
    """W10: yinsi-consent.js's telemetry, proxied to yinsi's permission-event check for the
    signed-in user (a subject id sent by the page is ignored); answers the violations."""
    uses = [
        PermissionUse(e.permission, e.scenario, e.stage, e.flow_id, e.at, e.sdk) for e in events
    ]
    return app.privacy.check_permission_uses(user, uses)


@router.post("/third-party/{element}", status_code=201)
def fetch(element: Sourced, user: User, data: ThirdParties, ask: Provider) -> dict[str, int]:
    """X18: query the data provider for the user (only if yinsi allows it)."""
    return {"record_id": data.fetch(user, element, ask)}


@router.post("/third-party/{element}/use")
def use(element: Sourced, body: UseOfBody, user: User, data: ThirdParties) -> dict[str, object]:
    """X18: use the fetched data in a scenario for a purpose; yinsi decides the use."""
    value = data.use(user, element, body.scenario, body.purpose)
    if value is None:
        raise HTTPException(404, "尚未获取该信息。")
    return {"element": element, "value": value, "at": datetime.now(UTC).isoformat()}
