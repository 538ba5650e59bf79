"""The acquisition gate over HTTP (X18), a part of :class:`yinsi.client.YinsiClient`.

``acquire`` is asked BEFORE the app queries a data provider
(``POST /v1/apps/{app}/subjects/{s}/acquisitions``): yinsi's decision and, when allowed,
the acquisition in its ledger; ``acquisitions`` lists the subject's. Like the client, it
imports httpx and domain values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from yinsi.lifecycle.sourcing import Acquisition, AcquisitionDecision

__all__ = ["SourcingCalls"]

PAGE = 1000


def _subject(app_id: str, subject_id: str) -> str:
    return f"/v1/apps/{app_id}/subjects/{subject_id}/acquisitions"


def _decision(data: dict[str, Any]) -> AcquisitionDecision:
    return AcquisitionDecision(**data | {"consent_ids": tuple(data["consent_ids"])})


def _acquisition(app_id: str, subject_id: str, data: dict[str, Any]) -> Acquisition:
    return Acquisition(
        app_id=app_id,
        subject_id=subject_id,
        source_id=data["source"],
        elements=tuple(data["elements"]),
        scenario=data["scenario"],
        purpose=data["purpose"],
        consent_ids=tuple(data["consent_ids"]),
        policy_version=data["policy_version"],
        at=datetime.fromisoformat(data["at"]),
        actor="",  # not sent back
        id=data["id"],
    )


class SourcingCalls:
    """The acquisition calls; the client supplies ``_request`` and ``_send``."""

    def _request(self, call: tuple[str, str, Any]) -> httpx.Response:
        raise NotImplementedError

    def _send(self, call: tuple[str, str, Any]) -> Any:
        raise NotImplementedError

    def acquire(
        self,
        app_id: str,
        subject_id: str,
        source: str,
        elements: Sequence[str],
        purpose: str,
        scenario: str,
    ) -> tuple[AcquisitionDecision, Acquisition | None]:
        """X18, before querying a data provider: the decision and, when allowed, the
        acquisition in yinsi's ledger (``SourcingService.acquire``)."""
        body = {"source": source, "elements": list(elements), "purpose": purpose}
        response = self._request(
            ("POST", _subject(app_id, subject_id), body | {"scenario": scenario})
        )
        if response.status_code == 403:
            detail = response.json().get("detail")
            if isinstance(detail, dict) and "reason" in detail:
                return _decision(detail), None
        response.raise_for_status()
        data = response.json()
        return _decision(data["decision"]), _acquisition(app_id, subject_id, data["acquisition"])

    def acquisitions(self, app_id: str, subject_id: str) -> list[Acquisition]:
        """The subject's acquisitions from third-party sources, oldest first."""
        path = f"{_subject(app_id, subject_id)}?limit={PAGE}"
        return [_acquisition(app_id, subject_id, a) for a in self._send(("GET", path, None))]
