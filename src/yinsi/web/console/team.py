"""``/console/staff``: console accounts (admins only) — list, add, disable.

The same as ``yinsi staff add|list|disable`` (both call
:class:`~yinsi.services.staff.StaffService`): the password is checked
(:func:`~yinsi.security.passwords.check_strength`) and stored as an Argon2id hash;
creating and disabling are audited under the admin's id. An admin cannot disable their
own account (someone must be left to manage the others).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yinsi.security.passwords import MIN_LENGTH, WeakPassword
from yinsi.security.staff import Role
from yinsi.services.errors import StaffExists
from yinsi.services.staff import SelfDisable
from yinsi.web.console.auth import Admin
from yinsi.web.console.pages import done, page
from yinsi.web.console.routing import ConsoleRoute
from yinsi.web.site import site_of

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


@router.get("/console/staff", response_class=HTMLResponse)
def team(request: Request, staff: Admin) -> HTMLResponse:
    users = site_of(request).services.staff.list()
    context = {"users": users, "roles": list(Role), "min_length": MIN_LENGTH}
    return page(request, staff, "staff.html", context, active="staff")


@router.post("/console/staff")
def add(
    request: Request,
    staff: Admin,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> RedirectResponse:
    if role not in {r.value for r in Role}:
        raise HTTPException(422, "请选择角色：管理员、运营专员或审计员。")
    accounts = site_of(request).services.staff
    try:
        accounts.add(username, role, password, display_name=display_name, actor=staff.user.id)
    except WeakPassword as exc:
        raise HTTPException(422, str(exc)) from None
    except StaffExists:
        raise HTTPException(409, f"用户名「{username}」已被使用，请换一个。") from None
    except ValueError:
        raise HTTPException(422, "用户名须为 1 至 64 个字符，且不含空格。") from None
    return done("/console/staff", "staff_added")


@router.post("/console/staff/{user_id}/disable")
def disable(request: Request, user_id: str, staff: Admin) -> RedirectResponse:
    try:
        site_of(request).services.staff.disable(user_id, actor=staff.user.id)
    except SelfDisable as exc:
        raise HTTPException(409, str(exc)) from None
    return done("/console/staff", "staff_disabled")
