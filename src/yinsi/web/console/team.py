"""``/console/staff``: console accounts (admins only) — list, add, disable.

The same as ``yinsi staff add|list|disable``: the password is checked
(:func:`~yinsi.security.passwords.check_strength`) and stored as an Argon2id hash;
creating and disabling are audited under the admin's id. An admin cannot disable their
own account (someone must be left to manage the others).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from yinsi.security.passwords import MIN_LENGTH, WeakPassword, check_strength, hash_password
from yinsi.security.staff import Role
from yinsi.storage import StaffExists
from yinsi.web.console.auth import Admin
from yinsi.web.console.pages import done, page
from yinsi.web.site import site_of


def add_routes(routes: APIRouter) -> None:
    """Add this page's routes to the console's router."""

    @routes.get("/console/staff", response_class=HTMLResponse)
    def team(request: Request, staff: Admin) -> HTMLResponse:
        with site_of(request).units() as uow:
            users = uow.staff.list()
        context = {"users": users, "roles": list(Role), "min_length": MIN_LENGTH}
        return page(request, staff, "staff.html", context, active="staff")

    @routes.post("/console/staff")
    async def add(
        request: Request,
        staff: Admin,
        username: Annotated[str, Form(max_length=64)] = "",
        role: Annotated[str, Form()] = "",
        display_name: Annotated[str, Form(max_length=255)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
    ) -> RedirectResponse:
        if role not in {r.value for r in Role}:
            raise HTTPException(422, "请选择角色：管理员、运营专员或审计员。")
        try:
            check_strength(password)
        except WeakPassword as exc:
            raise HTTPException(422, str(exc)) from None
        hashed = await run_in_threadpool(hash_password, password)

        def store() -> None:
            with site_of(request).units() as uow:
                uow.staff.add(
                    username, role, hashed, display_name=display_name, actor=staff.user.id
                )
                uow.commit()

        try:
            await run_in_threadpool(store)
        except StaffExists:
            raise HTTPException(409, f"用户名「{username}」已被使用，请换一个。") from None
        except ValueError:
            raise HTTPException(422, "用户名须为 1 至 64 个字符，且不含空格。") from None
        return done("/console/staff", "staff_added")

    @routes.post("/console/staff/{user_id}/disable")
    def disable(request: Request, user_id: str, staff: Admin) -> RedirectResponse:
        if user_id == staff.user.id:
            raise HTTPException(409, "不能停用自己的账号，请由另一位管理员操作。")
        with site_of(request).units() as uow:
            uow.staff.disable(user_id, actor=staff.user.id)
            uow.commit()
        return done("/console/staff", "staff_disabled")
