"""The violation drill (issue 15, X29, W15): withdraw each consent in yinsi's privacy center
and watch the reference lending app refuse exactly the steps that depend on it, at once,
while every other step still works.

    python examples/lending_app/drill.py [--app URL] [--yinsi URL] [--key KEY]

against a running app and the yinsi it asks (defaults: ``make demo``'s, the app on
http://127.0.0.1:8100, its yinsi on http://127.0.0.1:8001). It registers a borrower
through the app's API, grants every consent the steps need, opens the privacy center as
that borrower (the app's 隐私中心 button, ``POST /api/privacy-center``, which asks yinsi for
an entry link; for an app without one, yinsi's ``POST /v1/apps/{app}/subjects/{s}/
privacy-link`` with the backend key from ``--key``, ``$YINSI_API_KEY`` or
``.yinsi/lending/api-key``), then for each such consent:

1. submits the consent's switch form of the privacy center with its CSRF token, switched
   off — the user's own withdrawal, recorded in yinsi's ledger;
2. calls every step of :data:`STEPS` in the app: the ones that need the consent must be
   refused (403, ``consent_withdrawn``, the consent named), all others must still work;
3. switches the consent back on in the privacy center.

It prints a table, withdrawn consent × step, and exits 1 if a step was not refused or
anything else broke. The steps are a table, not code: a new flow of the app is one more
:class:`Gated` row; rows whose route the app does not serve (its OpenAPI) are skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

APP_ID = "xiaoying_kadai"
APP_URL = "http://127.0.0.1:8100"
YINSI_URL = "http://127.0.0.1:8001"
"""``make demo``'s app and its yinsi (``DEMO_APP_PORT``, ``DEMO_LENDING_PORT``)."""
PASSWORD = "drill-borrower-1"
KEY_FILE = Path(".yinsi/lending/api-key")
"""Where ``make demo`` leaves the backend key of the app's yinsi (mode 0600)."""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Borrower:
    """The drill's made-up borrower, and the values earlier steps answered (``loan_id``…)."""

    phone: str
    id_number: str
    user_id: str = ""
    token: str = ""
    values: dict[str, Any] = field(default_factory=dict)


Body = Callable[[Borrower], dict[str, Any] | None]


def _none(_: Borrower) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Gated:
    """One step of the app: its route, its request body, and the consents it depends on
    (withdrawing any of them must refuse it; withdrawing any other must not).

    ``path`` may name values (``/api/loans/{loan_id}/repay``): from ``params``, else from
    what an earlier step answered. ``after``: the step that makes what this one works on
    (a loan to repay); when that step was refused in the same round, this one is called
    only if it needs the withdrawn consent itself (yinsi refuses it before any lookup)."""

    id: str
    label: str
    promise: str
    method: str
    path: str
    body: Body = _none
    needs: tuple[str, ...] = ()
    signed_in: bool = True
    params: tuple[tuple[str, str], ...] = ()
    after: str | None = None


def _application(b: Borrower) -> dict[str, Any]:
    return {
        "name": "演练用户",
        "id_number": b.id_number,
        "id_photo_ref": "oss://idcards/drill-front.jpg",
        "face_ref": "oss://faces/drill-live.bin",
        "monthly_income": "12000",
        "residence_city": "北京市",
        "address": "北京市东城区东华门街道1号",
        "card_number": "6222020200112233445",
        "bank_name": "工商银行",
        "reserved_mobile": b.phone,
        "contacts": [{"name": "演练联系人", "phone": "13900001111", "relation": "父亲"}],
    }


def _order(b: Borrower) -> dict[str, Any]:
    return {
        "item": "蓝牙耳机",
        "quantity": 1,
        "recipient_name": "演练用户",
        "delivery_address": "北京市东城区东华门街道1号",
        "mobile": b.phone,
    }


CREDIT = ("id_number", "id_images", "face_recognition", "financial_info", "address_info")
SOURCED = ("third_party_data", "credit_verification_sharing")

STEPS: tuple[Gated, ...] = (
    Gated("login", "登录", "X07", "POST", "/api/login",
          lambda b: {"phone": b.phone, "password": PASSWORD}, signed_in=False),
    Gated("products", "游客浏览", "X06", "GET", "/api/products", signed_in=False),
    Gated("credit_line", "申请额度", "X10", "POST", "/api/credit-line", _application,
          needs=(*CREDIT, "funder_sharing")),
    Gated("increase", "提额：工作单位", "X11", "POST", "/api/credit-line/increase",
          lambda b: {"employer": "某某科技有限公司"}, needs=("funder_sharing",)),
    Gated("increase_income", "提额：收入", "X11", "POST", "/api/credit-line/increase",
          lambda b: {"income_range": "1-2万"}, needs=("financial_info", "funder_sharing")),
    Gated("borrow", "借款", "X05", "POST", "/api/loans",
          lambda b: {"amount": 1000, "term_months": 3}, needs=("loan_info", "funder_sharing")),
    Gated("repay", "还款", "X05", "POST", "/api/loans/{loan_id}/repay",
          needs=("loan_info",), after="borrow"),
    Gated("loans", "借款记录", "X05", "GET", "/api/loans", needs=("loan_info",)),
    Gated("order", "商城下单", "X12", "POST", "/api/shop/orders", _order,
          needs=("delivery_address", "shopping_sharing")),
    Gated("credit_report", "第三方：征信报告", "X18", "POST", "/api/third-party/{element}",
          needs=SOURCED, params=(("element", "credit_report"),)),
    Gated("tags", "第三方：交易标签", "X18", "POST", "/api/third-party/{element}",
          needs=("clearing_tags",), params=(("element", "transaction_behaviour_tags"),)),
)  # fmt: skip
"""Every step the drill calls, in order. A new flow of the app is one more row: its route,
a body made from the borrower, the consents it needs (rows whose route the app does not
serve are skipped)."""


class DrillError(Exception):
    """The drill could not go on (a server unreachable, a page not as expected)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    step: Gated
    withdrawn: str | None
    status: int
    ok: bool
    note: str


# ------------------------------------------------------------------ the privacy center


class PrivacyCenter:
    """yinsi's privacy center (``/privacy``) as the borrower uses it, over HTTP: a browser
    session opened by an entry link."""

    def __init__(self, link: str) -> None:
        origin = httpx.URL(link).copy_with(path="/", query=None, fragment=None)
        self._browser = httpx.Client(base_url=origin, timeout=30)
        entered = self._browser.get(link, follow_redirects=True)
        if entered.status_code != 200 or "/privacy" not in str(entered.url):
            self._browser.close()
            raise DrillError(f"打开隐私中心入口链接失败（HTTP {entered.status_code}）")

    def switch(self, consent: str, on: bool) -> None:
        """Submits the consent's switch form as the page holds it (with its CSRF token)."""
        page = self._browser.get("/privacy/consents")
        found = _CSRF.search(page.text)
        if page.status_code != 200 or found is None:
            raise DrillError(f"隐私中心授权页打不开（HTTP {page.status_code}）")
        if f'id="c-{consent}"' not in page.text:
            raise DrillError(f"隐私中心授权页上没有“{consent}”的开关")
        form = {"csrf_token": found.group(1)} | ({"granted": "1"} if on else {})
        sent = self._browser.post(f"/privacy/consents/{consent}", data=form)
        if sent.status_code != 303 or f"saved={consent}" not in sent.headers.get("location", ""):
            action = "开启" if on else "撤回"
            raise DrillError(f"在隐私中心{action}“{consent}”失败（HTTP {sent.status_code}）")

    def close(self) -> None:
        self._browser.close()


def yinsi_link(yinsi: httpx.Client, api_key: str | None, subject_id: str) -> str:
    """An entry link from yinsi itself (``POST …/privacy-link`` with the backend key): for an
    app without a 隐私中心 button (``POST /api/privacy-center``)."""
    if not api_key:
        raise DrillError(
            f"应用没有“隐私中心”入口：需要 yinsi 的 backend API 密钥（--key、YINSI_API_KEY 或 {KEY_FILE}）"
        )
    asked = yinsi.post(
        f"/v1/apps/{APP_ID}/subjects/{subject_id}/privacy-link",
        headers={"Authorization": f"Bearer {api_key}"},
        json={"base_url": str(yinsi.base_url).rstrip("/")},
    )
    if asked.status_code != 200:
        raise DrillError(f"yinsi 未签发隐私中心入口链接（HTTP {asked.status_code}）：{asked.text}")
    return str(asked.json()["url"])


# ------------------------------------------------------------------ the app


class LendingApp:
    """The reference app's own HTTP API, as its H5 pages and mobile app call it."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def routes(self) -> set[tuple[str, str]]:
        answer = self._http.get("/openapi.json")
        if answer.status_code != 200:
            raise DrillError(f"读取应用接口清单失败（HTTP {answer.status_code}）")
        paths: dict[str, dict[str, Any]] = answer.json()["paths"]
        return {(m.upper(), p) for p, ops in paths.items() for m in ops}

    def register(self, borrower: Borrower) -> None:
        body: dict[str, Any] = {
            "phone": borrower.phone,
            "id_number": borrower.id_number,
            "password": PASSWORD,
        }
        body |= {"accept_policy": True, "consents": ["id_number"]}
        answer = self._http.post("/api/register", json=body)
        if answer.status_code != 201:
            raise DrillError(f"注册演练用户失败（HTTP {answer.status_code}）：{answer.text}")
        borrower.user_id = answer.json()["user_id"]
        borrower.token = answer.json()["token"]

    def grant(self, borrower: Borrower, consent: str) -> None:
        answer = self._http.post(f"/api/consents/{consent}", headers=_auth(borrower))
        if answer.status_code != 204:
            raise DrillError(f"授权“{consent}”失败（HTTP {answer.status_code}）：{answer.text}")

    def privacy_center_link(self, borrower: Borrower) -> str:
        """The 隐私中心 button: the app asks yinsi for an entry link for its signed-in user."""
        answer = self._http.post("/api/privacy-center", headers=_auth(borrower))
        if answer.status_code != 200:
            raise DrillError(f"应用未给出隐私中心入口（HTTP {answer.status_code}）：{answer.text}")
        return str(answer.json()["url"])

    def call(self, step: Gated, borrower: Borrower) -> httpx.Response:
        self._http.cookies.clear()  # each step as a fresh request: no session cookie
        headers = _auth(borrower) if step.signed_in else {}
        path = step.path.format_map(borrower.values | dict(step.params))
        answer = self._http.request(step.method, path, json=step.body(borrower), headers=headers)
        found = answer.json() if answer.is_success and _is_json(answer) else None
        if isinstance(found, dict):
            borrower.values |= found
        return answer


def _is_json(answer: httpx.Response) -> bool:
    return str(answer.headers.get("content-type", "")).startswith("application/json")


def _auth(borrower: Borrower) -> dict[str, str]:
    return {"Authorization": f"Bearer {borrower.token}"}


def judge(step: Gated, withdrawn: str | None, answer: httpx.Response) -> Outcome:
    """Refused (403, consent_withdrawn, the consent named) if it needs the withdrawn
    consent; a success otherwise."""
    code = answer.status_code
    try:
        body = answer.json()
    except ValueError:
        body = {}
    detail = body if isinstance(body, dict) else {}
    named = [str(c) for c in detail.get("consents") or ()]
    if withdrawn is not None and withdrawn in step.needs:
        stopped = code == 403 and detail.get("reason") == "consent_withdrawn"
        if stopped and withdrawn in named:
            return Outcome(step, withdrawn, code, True, f"已拒绝（{withdrawn}）")
        why = f"{detail.get('reason')} {named}" if code == 403 else "未拒绝"
        return Outcome(step, withdrawn, code, False, f"应拒绝：HTTP {code} {why}")
    if answer.is_success:
        return Outcome(step, withdrawn, code, True, f"可用（{code}）")
    return Outcome(step, withdrawn, code, False, f"应可用：HTTP {code} {detail.get('reason', '')}")


# ------------------------------------------------------------------ the drill


@dataclass
class Report:
    subject: str
    steps: list[Gated]
    skipped: list[Gated]
    rows: list[tuple[str, list[Outcome]]]

    @property
    def ok(self) -> bool:
        return all(o.ok for _, outcomes in self.rows for o in outcomes)


def run(app: httpx.Client, yinsi: httpx.Client, api_key: str | None) -> Report:
    """The drill (raises :class:`DrillError` when it cannot go on)."""
    lending = LendingApp(app)
    served = lending.routes()
    steps = [s for s in STEPS if (s.method, s.path) in served]
    skipped = [s for s in STEPS if (s.method, s.path) not in served]
    consents = list(dict.fromkeys(c for s in steps for c in s.needs))
    borrower = _new_borrower()
    lending.register(borrower)
    for consent in consents:
        if consent != "id_number":  # given at registration
            lending.grant(borrower, consent)
    report = Report(borrower.user_id, steps, skipped, [])

    def round_(label: str, withdrawn: str | None) -> None:
        outcomes: dict[str, Outcome] = {}
        for step in steps:
            before = outcomes.get(step.after or "")
            if before is not None and before.status >= 300 and withdrawn not in step.needs:
                note = f"—（{before.step.label}未完成，未调用）"
                outcomes[step.id] = Outcome(step, withdrawn, 0, before.ok, note)
                continue
            outcomes[step.id] = judge(step, withdrawn, lending.call(step, borrower))
        report.rows.append((label, list(outcomes.values())))

    round_("全部授权", None)
    if ("POST", "/api/privacy-center") in served:
        link = lending.privacy_center_link(borrower)
    else:
        link = yinsi_link(yinsi, api_key, borrower.user_id)
    center = PrivacyCenter(link)
    try:
        for consent in consents:
            center.switch(consent, on=False)
            round_(f"撤回 {consent}", consent)
            center.switch(consent, on=True)
    finally:
        center.close()
    round_("全部重新开启", None)
    return report


def _new_borrower() -> Borrower:
    phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    birth = date(1970, 1, 1) + timedelta(days=secrets.randbelow(365 * 30))
    first = f"110101{birth:%Y%m%d}{secrets.randbelow(1000):03d}"
    total = sum(int(d) * w for d, w in zip(first, _WEIGHTS, strict=True))
    return Borrower(phone, first + "10X98765432"[total % 11])


def summary(report: Report) -> Table:
    """Step × result: refused when each consent it needs was withdrawn, working when any
    other was, working with every consent given (before and after); failures spelled out."""
    grid = Table(title="违规演练：在隐私中心撤回授权后，应用的各步骤", show_lines=True)
    for name in ("步骤", "依赖的授权", "撤回依赖的授权", "撤回其他授权", "全部授权"):
        grid.add_column(name)
    for n, step in enumerate(report.steps):
        column = [(label, outcomes[n]) for label, outcomes in report.rows]
        mine = [(label, o) for label, o in column if o.withdrawn in step.needs]
        others = [(label, o) for label, o in column if o.withdrawn not in (None, *step.needs)]
        given = [(label, o) for label, o in column if o.withdrawn is None]
        grid.add_row(
            f"{step.label}（{step.promise}）\n{_route(step)}",
            "\n".join(step.needs) or "—",
            _cell(mine, "已拒绝"),
            _cell(others, "可用"),
            _cell(given, "可用"),
        )
    return grid


def _route(step: Gated) -> str:
    path = step.path
    for name, value in step.params:
        path = path.replace(f"{{{name}}}", value)
    return f"{step.method} {path}"


def _cell(outcomes: Sequence[tuple[str, Outcome]], good: str) -> str:
    if not outcomes:
        return "—"
    failed = [f"[red]✗ {label}：{o.note}[/]" for label, o in outcomes if not o.ok]
    skipped = sum(1 for _, o in outcomes if o.ok and o.status == 0)
    passed = len(outcomes) - len(failed) - skipped
    note = f"（{skipped} 次因前一步未完成而未调用）" if skipped else ""
    return "\n".join([f"[green]✓ {good} {passed}/{len(outcomes)}{note}[/]", *failed])


def table(report: Report) -> Table:
    """Withdrawn consent × step: what each step answered (``--matrix``)."""
    grid = Table(title="违规演练：在隐私中心撤回授权后，应用的各步骤", show_lines=True)
    grid.add_column("撤回的授权")
    for step in report.steps:
        grid.add_column(f"{step.label}\n{step.promise} {_route(step)}")
    for label, outcomes in report.rows:
        cells = [f"[green]✓ {o.note}[/]" if o.ok else f"[red]✗ {o.note}[/]" for o in outcomes]
        grid.add_row(label, *cells)
    return grid


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lending-drill", description="违规演练（X29、W15）")
    parser.add_argument("--app", default=APP_URL, help="参考借贷应用的地址")
    parser.add_argument("--yinsi", default=YINSI_URL, help="应用所用 yinsi 的地址")
    parser.add_argument(
        "--key", default=None, help="yinsi 的 backend API 密钥（仅当应用没有隐私中心入口时需要）"
    )
    parser.add_argument(
        "--ready",
        type=float,
        metavar="SECONDS",
        help="只等待应用和 yinsi 就绪（最多 SECONDS 秒），不演练",
    )
    parser.add_argument("--matrix", action="store_true", help="逐项列出：撤回的授权 × 步骤")
    args = parser.parse_args(argv)
    out = console or _console()
    if args.ready is not None:
        return 0 if ready((f"{args.app}/openapi.json", f"{args.yinsi}/healthz"), args.ready) else 1
    key = args.key or os.environ.get("YINSI_API_KEY") or _key_from_file()
    try:
        with (
            httpx.Client(base_url=args.app, timeout=30) as app,
            httpx.Client(base_url=args.yinsi, timeout=30) as yinsi,
        ):
            report = run(app, yinsi, key)
    except (DrillError, httpx.HTTPError) as exc:
        out.print(f"[red]演练中止：{exc}[/]", highlight=False)
        return 1
    out.print(f"演练用户（yinsi 中的 subject）：{report.subject}", highlight=False)
    out.print(table(report) if args.matrix else summary(report))
    for step in report.skipped:
        out.print(f"未演练（应用未提供该接口）：{step.label} {step.method} {step.path}")
    if report.ok:
        out.print("[green]通过：每项授权撤回后，只有依赖它的步骤立即被拒绝，其余照常。[/]")
        return 0
    out.print("[red]未通过：见表中标 ✗ 的步骤。[/]")
    return 1


def ready(urls: Sequence[str], seconds: float) -> bool:
    """True once every URL answers 2xx, False if one still does not after ``seconds``."""
    deadline = time.monotonic() + seconds
    waiting = list(urls)
    while waiting and time.monotonic() < deadline:
        try:
            httpx.get(waiting[0], timeout=5).raise_for_status()
            waiting.pop(0)
        except httpx.HTTPError:
            time.sleep(0.2)
    return not waiting


def _console() -> Console:
    """The terminal; wide when the output goes to a file or a log (``make demo``, CI)."""
    found = Console()
    return found if found.is_terminal else Console(width=160)


def _key_from_file() -> str | None:
    return KEY_FILE.read_text(encoding="utf-8").strip() if KEY_FILE.is_file() else None


if __name__ == "__main__":
    sys.exit(main())
