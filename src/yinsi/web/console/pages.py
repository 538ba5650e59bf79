"""What every console page shares: the layout's context (who, CSRF, navigation), the app
the console looks after, and the messages shown after an action.

Actions answer with a redirect (POST, then GET) to a page with ``?ok=<key>``; the page
shows :data:`DONE` ``[key]``, so a reload never repeats the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.security.masking import mask
from yinsi.services.rights import RightsService
from yinsi.taxonomy.timezone import CHINA
from yinsi.web.console.auth import Action, Staff
from yinsi.web.site import Site
from yinsi.web.templating import render


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str
    href: str
    action: Action = Action.READ


NAV = (
    NavItem("queue", "请求队列", "/console/queue"),
    NavItem("dashboard", "数据看板", "/console/dashboard"),
    NavItem("holds", "法律保全", "/console/holds"),
    NavItem("sources", "第三方来源", "/console/sources"),
    NavItem("policies", "政策版本", "/console/policies"),
    NavItem("incidents", "安全事件", "/console/incidents"),
    NavItem("audit", "审计日志", "/console/audit"),
    NavItem("staff", "账号管理", "/console/staff", Action.STAFF),
)

DONE = {
    "approved": "已批准该请求。下一步：执行。",
    "refused": "已按声明的拒绝理由拒绝该请求，用户将收到答复及救济途径。",
    "ran": "已执行该请求，执行记录见下方。",
    "answered": "已答复并关闭该请求。",
    "hold_added": "已添加法律保全：被保全的数据在删除时将被保留并限制处理。",
    "hold_released": "已解除法律保全。",
    "source_added": "已登记来源审查记录：此后从该来源获取个人信息须在审查范围和有效期内。",
    "source_revoked": "已撤销该来源：此后从该来源获取个人信息的请求将被拒绝。",
    "published": "已发布新的政策版本。",
    "campaign": "已发起重新同意活动，可下载待通知用户名单（CSV）。",
    "incident_opened": "已登记安全事件并计算受影响用户。",
    "incident_notified": "已生成用户告知书和监管报告，并记录告知情况。",
    "incident_closed": "已结束该安全事件。",
    "staff_added": "已创建账号。",
    "staff_disabled": "已停用账号，其登录会话已全部失效。",
}


def beijing(value: datetime | None) -> str:
    """``2026-11-23 14:05`` in Beijing time (stored times are UTC); empty for None."""
    return "" if value is None else f"{value.astimezone(CHINA):%Y-%m-%d %H:%M}"


def page(
    request: Request,
    staff: Staff | None,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    active: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``console/<name>`` in the console layout."""
    ok = request.query_params.get("ok", "")
    base: dict[str, Any] = {
        "staff": staff,
        "csrf": staff.csrf if staff else None,
        "nav": [n for n in NAV if staff is not None and staff.can(n.action)],
        "active": active,
        "flash": DONE.get(ok),
        "flash_kind": "ok",
        "bj": beijing,
        "mask": mask,
    }
    return render(request, f"console/{name}", base | (context or {}), status_code=status_code)


def done(path: str, key: str) -> RedirectResponse:
    """After an action: see ``path`` with the message ``DONE[key]``."""
    return RedirectResponse(f"{path}?ok={key}", status_code=status.HTTP_303_SEE_OTHER)


def app_id(site: Site) -> str | None:
    """The app the console looks after: the data map's, else the first one published."""
    if site.rights is not None:
        return site.rights.data_map.app
    apps = site.services.reports.apps()
    return apps[0] if apps else None


def rights_of(site: Site) -> RightsService:
    """The rights service, or a 503 page saying how to start the service with one."""
    if site.rights is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "未配置数据地图，无法处理权利请求：请使用 `yinsi serve --map 数据地图.yaml` 启动服务。",
        )
    return site.rights


def today() -> date:
    """Today's date in China (deadlines count Chinese working days)."""
    return datetime.now(UTC).astimezone(CHINA).date()
