"""``GET /v1/audit/verify``: check the whole hash chain of the audit log (X41, PIPL Art. 54)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from yinsi.api.auth import Auditor
from yinsi.api.deps import Audit
from yinsi.api.models import AuditVerifyOut
from yinsi.services.audit import AuditHeadMissing

__all__ = ["audit_verify", "router"]

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit/verify",
    responses={409: {"description": "The audit log's head row is missing: restore it."}},
)
def audit_verify(_: Auditor, audit: Audit) -> AuditVerifyOut:
    """Intact or not, how many entries, the registered head and every break found.

    An empty log answers intact with 0 entries (only anchors can tell a new database from
    an emptied one: ``yinsi audit verify --anchor FILE``).
    """
    try:
        checked = audit.verify()
    except AuditHeadMissing as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AuditVerifyOut(
        intact=checked.intact,
        entries=checked.entries,
        head=checked.head.hash,
        breaks=[str(b) for b in checked.breaks],
    )
