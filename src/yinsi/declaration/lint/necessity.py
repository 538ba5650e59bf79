"""Rules on collecting only what is necessary: the basic function of a lending app needs
only its necessary PI, storage and network access are not made mandatory, and the
passwords of the user's accounts at other services are not collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import PIPL, Citation, Example, rule
from yinsi.taxonomy import CollectionMethod, FinancialGrade, FunctionKind, LegalBasis

__all__ = [
    "APP_TYPES",
    "LENDING",
    "MANDATORY_PERMISSIONS_FLAGGED",
    "NETWORK_LOGS",
    "OWN_CREDENTIALS",
    "PART_OF",
    "RULES",
    "SERVICE_RECORDS",
    "SHOPPING",
    "NecessaryPi",
]


@dataclass(frozen=True, slots=True)
class NecessaryPi:
    """One app type of 必要个人信息范围规定 Art. 5: its basic function and necessary PI."""

    app_type: str
    item: int
    basic_function: str
    elements: frozenset[str]
    purposes: frozenset[str]
    """Purposes whose presence in a scenario shows the app offers this basic function."""

    @property
    def cite(self) -> str:
        return f"{self.app_type}, 必要个人信息范围规定 Art. 5 ({self.item})"


LENDING = NecessaryPi(
    app_type="网络借贷类",
    item=12,
    basic_function="通过互联网平台实现的用于消费、日常生产经营周转等的个人申贷服务",
    elements=frozenset(
        {"mobile_number", "name", "id_type", "id_number", "id_validity", "bank_card"}
    ),
    purposes=frozenset({"loan_service"}),
)
"""必要个人信息范围规定 Art. 5 (12): the registered user's mobile number; the borrower's
name, ID type and number, ID validity period and bank card number."""

SHOPPING = NecessaryPi(
    app_type="网上购物类",
    item=6,
    basic_function="购买商品",
    elements=frozenset({"mobile_number", "recipient_name", "delivery_address", "payment_info"}),
    purposes=frozenset({"order_fulfilment"}),
)
"""必要个人信息范围规定 Art. 5 (6): the registered user's mobile number; the consignee's
name, address and phone; payment time, amount and channel. A lending app's shop is
checked against this list, not the lending one."""

APP_TYPES: tuple[NecessaryPi, ...] = (LENDING, SHOPPING)
"""The app types this rule knows; an app offers each whose purposes a scenario serves."""

OWN_CREDENTIALS = frozenset({"password", "transaction_password", "sms_code", "login_token"})
"""What the user gives to prove who they are to this app (a password, a one-time code, a
session token): access control (PIPL Art. 51), not PI the service is built on."""

NETWORK_LOGS = frozenset({"operation_logs", "ip_address", "crash_logs"})
"""Network logs, which a network operator keeps by law (网络安全法 Art. 21 (3))."""

SERVICE_RECORDS = frozenset(
    {
        "account_id",
        "loan_records",
        "bill_info",
        "payment_info",
        "transaction_records",
        "overdue_info",
        "order_info",
    }
)
"""Records the service creates while performing the contract (the account, loans, bills,
payments, orders): not PI asked of the user."""

PART_OF: dict[str, str] = {"id_number_suffix": "id_number"}
"""Elements that are a part of another (the last digits of the ID number): necessary
when the whole is."""

MANDATORY_PERMISSIONS_FLAGGED = frozenset({"storage", "network"})
"""Permissions no basic function of a lending app needs the user to grant."""

_EXEMPT_BASES = (LegalBasis.LEGAL_DUTY, LegalBasis.OTHER_LAW)
_EXEMPT = OWN_CREDENTIALS | NETWORK_LOGS | SERVICE_RECORDS

_LOAN = (
    "scenarios: [{id: apply, name: 借款申请, function: basic, purposes: [loan_service], "
    "methods: [user_input, camera], consents: [policy, identity], retention: account, "
    "elements: [name, id_number, bank_card, {id: face, required: {face}}]}]\n"
    "consents: [{id: identity, label: 身份与人脸信息单独同意, kind: separate, "
    "elements: [id_number, bank_card, face]}]"
)


def _allowed(scenario_purposes: set[str], offered: list[NecessaryPi]) -> tuple[set[str], str]:
    """The necessary PI of the types a scenario serves (all the app's types if none)."""
    types = [t for t in offered if t.purposes & scenario_purposes] or offered
    allowed = set(_EXEMPT).union(*(t.elements for t in types))
    allowed |= {part for part, whole in PART_OF.items() if whole in allowed}
    return allowed, "; ".join(t.cite for t in types)


@rule(
    "necessary-pi",
    "warning",
    title="A basic function requires PI beyond the necessary PI of its app type",
    cites=(
        Citation("必要个人信息范围规定", 5, item=12),
        Citation("必要个人信息范围规定", 4),
        PIPL(16),
        Citation("必要个人信息范围规定", 5, item=6),
        Citation("网络安全法", 21, item=3),
    ),
    explanation="For a lending app (网络借贷类) the basic function is the personal loan "
    "application, and its necessary PI is the registered mobile number and the borrower's "
    "name, ID type, number and validity and bank card number (必要个人信息范围规定 Art. 5 "
    "(12)); a shop in the app is held to the list of 网上购物类 (Art. 5 (6)). The app may "
    "not refuse a basic function because the user declines anything else (Art. 4; PIPL "
    "Art. 16). A declaration is a lending app's when a scenario serves `loan_service`. "
    "Each basic-function scenario that requires other PI is reported, except the user's "
    "own login credentials, network logs kept by law (网络安全法 Art. 21 (3)), records "
    "the service itself creates (loans, bills, payments, orders) and what a law requires "
    "(legal_duty, other_law).",
    fix="Mark the other elements `required: false` (and say what works without them), or "
    "move them to an extended-function scenario.",
    failing=Example(_LOAN.replace("{face}", "true")),
    passing=Example(_LOAN.replace("{face}", "false")),
)
def necessary_pi(ctx: CheckContext) -> Iterator[Issue]:
    scenarios = ctx.d.scenarios
    offered = [t for t in APP_TYPES if any(t.purposes & set(s.purposes) for s in scenarios)]
    if LENDING not in offered:
        return
    for i, s in enumerate(scenarios):
        if s.function is not FunctionKind.BASIC or s.legal_basis in _EXEMPT_BASES:
            continue
        allowed, cite = _allowed(set(s.purposes), offered)
        beyond = [e.id for e in s.elements if e.required and e.id not in allowed]
        if beyond:
            labels = "、".join(
                ctx.tax.elements[e].label if e in ctx.tax.elements else e for e in beyond
            )
            yield Issue(
                ("scenarios", i, "elements"),
                f"basic-function scenario {s.id!r} requires {labels}, beyond the necessary PI "
                f"({cite}): refusing them must not deny the basic function "
                "(必要个人信息范围规定 Art. 4; PIPL Art. 16) — mark them `required: false` or "
                "move them to an extended function",
            )


_STORAGE = (
    "scenarios: [{id: signup, permissions: [{permission: storage, when: on_use, "
    "required: {required}}]}]"
)


@rule(
    "permission-mandatory",
    "warning",
    title="Storage or network access made mandatory",
    cites=(Citation("GB/T 41391-2022", section="§6.5"), PIPL(16)),
    explanation="System permissions are asked only for the functions that need them, and "
    "refusing one a function does not need must not block it (GB/T 41391-2022 §6.5; "
    "PIPL Art. 16). Reading and writing storage or using the network data connection is "
    "not what a basic function needs the user to grant; a policy that makes it required "
    "(“关闭后我们将无法为您提供服务”) forces the permission for the whole service.",
    fix="Set the permission's `required: false` and say what still works without it.",
    failing=Example(_STORAGE.replace("{required}", "true")),
    passing=Example(_STORAGE.replace("{required}", "false")),
)
def permission_mandatory(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        for j, use in enumerate(s.permissions):
            if use.required and use.permission in MANDATORY_PERMISSIONS_FLAGGED:
                permission = ctx.tax.permissions.get(use.permission)
                label = permission.label if permission else use.permission
                yield Issue(
                    ("scenarios", i, "permissions", j, "required"),
                    f"scenario {s.id!r} makes the {label} permission required: refusing it "
                    "would block the service (GB/T 41391-2022 §6.5; PIPL Art. 16) — set "
                    "`required: false`",
                )


_VIA_OTHER_ACCOUNTS = frozenset(
    {CollectionMethod.ACCOUNT_AUTHORISATION, CollectionMethod.MOBILE_SERVICE_PASSWORD}
)
_CREDENTIALS = (
    "taxonomy: {elements: [{id: third_party_credentials, label: 第三方账户账号及密码, "
    "category: network_identity, sensitive: true, grade: C3}]}\n"
    "consents: [{id: authorisation, label: 第三方账户授权, kind: separate, "
    "elements: [{elements}]}]\n"
    "scenarios: [{id: data, name: 第三方账户数据, function: extended, purposes: "
    "[credit_assessment], methods: [account_authorisation], elements: [{elements}], "
    "consents: [policy, authorisation], retention: account, automated_decision: false}]"
)


@rule(
    "third-party-credentials",
    "warning",
    title="Passwords of the user's accounts at other services are collected",
    cites=(
        Citation("JR/T 0171-2020", section="C3"),
        PIPL(6, para=2),
        Citation("征信业管理条例", 18, paragraph=1),
    ),
    explanation="Passwords are authentication information, the C3 grade of JR/T "
    "0171-2020 that gets the strictest protection. Asking users for the passwords of their "
    "accounts at other services (housing fund, e-commerce, carrier service password, the "
    "credit-report account) so the app can log in as them goes beyond the minimum needed "
    "(PIPL Art. 6 para. 2); for the credit report it also bypasses the written consent "
    "and agreed purpose a credit query needs (征信业管理条例 Art. 18).",
    fix="Obtain the data through the other service's authorised interface or the user's "
    "own upload, and stop collecting the passwords.",
    failing=Example(_CREDENTIALS.replace("{elements}", "third_party_credentials")),
    passing=Example(_CREDENTIALS.replace("{elements}", "third_party_platform_data")),
)
def third_party_credentials(ctx: CheckContext) -> Iterator[Issue]:
    for i, s in enumerate(ctx.d.scenarios):
        if not _VIA_OTHER_ACCOUNTS & set(s.methods):
            continue
        for j, use in enumerate(s.elements):
            element = ctx.tax.elements.get(use.id)
            if (
                element is None
                or element.grade is not FinancialGrade.C3
                or element.category == "biometric"
                or use.id in OWN_CREDENTIALS
            ):
                continue
            credit = "credit_report" in s.element_ids
            also = "; 征信业管理条例 Art. 18 for the credit report" if credit else ""
            yield Issue(
                ("scenarios", i, "elements", j),
                f"scenario {s.id!r} collects {element.label} to log in to the user's accounts "
                f"at other services: C3 authentication information (JR/T 0171-2020) beyond "
                f"the minimum needed (PIPL Art. 6 para. 2{also})",
            )


RULES = (necessary_pi, permission_mandatory, third_party_credentials)
