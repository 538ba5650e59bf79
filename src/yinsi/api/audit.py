"""``GET /v1/audit/verify``: check the whole hash chain of the audit log (X41, PIPL Art. 54)."""

from __future__ import annotations

from fastapi import APIRouter

from yinsi.api.auth import Auditor
from yinsi.api.deps import Audit
from yinsi.api.models import AuditVerifyOut

__all__ = ["audit_verify", "router"]

router = APIRouter(tags=["audit"])


@router.get("/v1/audit/verify")
def audit_verify(_: Auditor, audit: Audit) -> AuditVerifyOut:
    """Intact or not, how many entries, the registered head and every break found."""
    checked = audit.verify()
    return AuditVerifyOut(
        intact=checked.intact,
        entries=checked.entries,
        head=checked.head.hash,
        breaks=[str(b) for b in checked.breaks],
    )
