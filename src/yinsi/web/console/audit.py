"""``/console/audit``: the hash-chained audit log (PIPL Art. 54) and its verification.

Anyone signed in reads the latest entries (paged by seq) and can verify the whole chain
with :meth:`yinsi.services.audit.AuditService.verify`, as ``GET /v1/audit/verify`` does: every edited,
deleted or reordered entry is listed and its row flagged in red. Verifying only reads, so
it is a GET: a plain link without JavaScript; with htmx the page's main part is swapped in
place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from yinsi.security import BreakKind
from yinsi.services.audit import AuditHeadMissing, AuditService
from yinsi.web.console.auth import Reader
from yinsi.web.console.pages import page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

PAGE = 50
HEAD_MISSING = (
    "审计日志缺少链头记录（audit_head 表为空），说明它在 yinsi 之外被删除。"
    "请立即保全数据库，从备份恢复 audit_head，并运行 `yinsi audit verify --anchor 锚点文件` "
    "检查其他改动。"
)
BREAK_LABELS = {
    BreakKind.EDITED: "记录被篡改：内容与其哈希值不符",
    BreakKind.MISSING: "记录缺失（被删除）",
    BreakKind.MOVED: "记录被移到其他序号",
    BreakKind.REORDERED: "记录顺序被打乱",
    BreakKind.UNLINKED: "哈希链断开：与前一条记录的哈希不符",
    BreakKind.TRUNCATED: "末尾记录被删除",
    BreakKind.HEAD: "最后一条记录与登记的链头不符",
}


def _verified(audit: AuditService) -> dict[str, Any]:
    checked = audit.verify()
    return {
        "checked": True,
        "intact": checked.intact,
        "total": checked.entries,
        "head": checked.head,
        "breaks": checked.breaks,
        "break_labels": BREAK_LABELS,
        "broken": {b.seq for b in checked.breaks},
    }


@router.get("/console/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    staff: Reader,
    before: Annotated[int | None, Query(ge=1)] = None,
    check: Annotated[bool, Query(alias="verify")] = False,
) -> HTMLResponse:
    service = site_of(request).services.audit
    try:
        shown = service.page(before=before, size=PAGE)
    except AuditHeadMissing:
        raise HTTPException(status.HTTP_409_CONFLICT, HEAD_MISSING) from None
    entries = list(reversed(shown.entries))  # newest first
    context: dict[str, Any] = {
        "entries": entries,
        "older": entries[-1].seq if entries and entries[-1].seq > 1 else None,
        "newer": before is not None and before - 1 < shown.head.seq,
        "checked": False,
        "broken": set(),
    }
    if check:
        context |= _verified(service)
    return page(request, staff, "audit.html", context, active="audit")
