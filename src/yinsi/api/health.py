"""``GET /healthz``: the process answers (no key needed; for load balancers and probes)."""

from __future__ import annotations

from fastapi import APIRouter

from yinsi.api.models import Health

__all__ = ["healthz", "router"]

router = APIRouter(tags=["service"])


@router.get("/healthz")
def healthz() -> Health:
    return Health()
