"""Rules on what a policy lists outside its scenarios: the PI inventory, the app's device
permissions, lists published elsewhere, and topics the source leaves unsaid.

A declaration may state exactly what a large policy says (issue 13, Build 4): PI listed
by category, a permission table, a link to an SDK list, ``elements: not_stated``. The
renderer then invents nothing; these rules report what the law still asks to be told.
:func:`references` and :func:`duplicates` are the structure rules' part for these
sections (run by ``unknown-reference`` and ``duplicate-id``).
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext, unique, unknown
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.registry import NDSR, PIPL, Citation, Example, rule

__all__ = ["RULES", "duplicates", "references"]


def references(ctx: CheckContext) -> Iterator[Issue]:
    """Unknown ids in ``pi_inventory``, ``retention[].elements`` and ``app_permissions``."""
    d = ctx.d
    for i, g in enumerate(d.pi_inventory):
        yield from ctx.elements(g.elements, ("pi_inventory", i, "elements"))
        yield from ctx.purposes(g.purposes, ("pi_inventory", i, "purposes"))
    for i, r in enumerate(d.retention):
        yield from ctx.elements(r.elements, ("retention", i, "elements"))
    for i, p in enumerate(d.app_permissions):
        if p.permission not in ctx.tax.permissions:
            hint = "declare it under taxonomy.permissions"
            yield Issue(
                ("app_permissions", i, "permission"),
                unknown("permission", p.permission, ctx.tax.permissions, hint),
            )


def duplicates(ctx: CheckContext) -> Iterator[Issue]:
    """A PI inventory id, or an app permission, listed twice."""
    yield from unique(ctx.d.pi_inventory, ("pi_inventory",), "PI inventory group")
    seen: set[str] = set()
    for i, p in enumerate(ctx.d.app_permissions):
        if p.permission in seen:
            yield Issue(
                ("app_permissions", i, "permission"),
                f"permission {p.permission!r} is listed twice in app_permissions",
            )
        seen.add(p.permission)


_LENDER = (
    "recipients: [{id: processor, kind: entrusted_processor, name: 示例云计算有限公司, "
    "purposes: [account_registration], delete_on_end: true, "
)


@rule(
    "not-stated",
    "warning",
    title="The source policy does not state what the law asks to be told",
    cites=(PIPL(17, para=1, item=2), PIPL(23), NDSR(21, para=2)),
    explanation="`not_stated` records that the source policy leaves a topic unsaid — for "
    "instance the kinds of PI a recipient receives (“为实现上述目的所必需的个人信息”, "
    "“您的某些个人信息”), or the PI a scenario processes (“您的个人信息”: "
    "`scenarios[].elements: not_stated`). The renderer then writes nothing in its place, and "
    "this rule keeps "
    "the gap visible: the kinds of PI and the purposes are told before processing (PIPL "
    "Art. 17 para. 1 (2)), for a recipient with its name and contact (Art. 23), and set "
    "out as a list (网络数据安全管理条例 Art. 21 para. 2).",
    fix="Where the facts are known, list the elements (or purposes) instead of `not_stated`; "
    "otherwise the warning records the source's gap.",
    failing=Example(_LENDER + "elements: not_stated}]"),
    passing=Example(_LENDER + "elements: [mobile_number]}]"),
)
def not_stated(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        if "elements" in r.not_stated:
            yield Issue(
                ("recipients", i, "elements"),
                f"the kinds of PI provided to {r.name} are not stated by the policy: they must "
                "be told (PIPL Arts. 17 (2), 23; 网络数据安全管理条例 Art. 21 para. 2)",
            )
        if "purposes" in r.not_stated:
            yield Issue(
                ("recipients", i, "purposes"),
                f"the purposes for which PI is provided to {r.name} are not stated by the "
                "policy: they must be told (PIPL Arts. 17 (2), 23)",
            )
    for i, s in enumerate(ctx.d.scenarios):
        # `methods: not_stated` is not reported: a scenario that only uses PI collected
        # elsewhere (model training) tells its processing method in its description.
        if "elements" in s.not_stated:
            yield Issue(
                ("scenarios", i, "elements"),
                f"scenario {s.id!r}: the kinds of PI it processes are not stated by the policy: "
                "they must be told (PIPL Art. 17 (2); 网络数据安全管理条例 Art. 21 para. 2)",
            )
    for i, sdk in enumerate(ctx.d.sdks):
        if "elements" in sdk.not_stated:
            yield Issue(
                ("sdks", i, "elements"),
                f"the PI the SDK {sdk.name!r} collects is not stated by the policy: the kinds of "
                "PI must be told (PIPL Art. 17 (2); 网络数据安全管理条例 Art. 21 para. 2)",
            )


_INVENTORY = "pi_inventory: [{id: device, label: 设备信息, elements: [device_id, ip_address]"


@rule(
    "inventory-purpose",
    "warning",
    title="PI is listed without any purpose",
    cites=(PIPL(17, para=1, item=2), NDSR(21, item=2)),
    explanation="A PI inventory (`pi_inventory`) may list PI without tying it to a "
    "scenario, but the user is still told why each kind is processed (PIPL Art. 17 "
    "para. 1 (2); 网络数据安全管理条例 Art. 21 (2)). An element collected in a scenario has "
    "the scenario's purposes; any other element needs the group's `purposes`.",
    fix="Give the group the `purposes` the policy states for it; if the policy states none, "
    "the warning records that gap.",
    failing=Example(_INVENTORY + "}]"),
    passing=Example(_INVENTORY + ", purposes: [account_registration]}]"),
)
def inventory_purpose(ctx: CheckContext) -> Iterator[Issue]:
    in_scenarios = {e for s in ctx.d.scenarios for e in s.element_ids}
    for i, g in enumerate(ctx.d.pi_inventory):
        orphans = [e for e in g.elements if e not in in_scenarios]
        if not g.purposes and orphans:
            yield Issue(
                ("pi_inventory", i, "purposes"),
                f"{g.label}: no purpose is stated for {', '.join(orphans)} (PIPL Art. 17 (2); "
                "网络数据安全管理条例 Art. 21 (2))",
            )


_PERMISSION = "app_permissions: [{permission: camera, when: on_use"


@rule(
    "permission-purpose",
    "warning",
    title="A device permission is listed without its purpose",
    cites=(Citation("认定方法", section="二.3"), PIPL(17, para=1, item=2)),
    explanation="When an app asks for a permission that can collect PI, the user is told "
    "its purpose at the same time, clearly (认定方法 二.3; PIPL Art. 17 para. 1 (2)). A "
    "permission in a scenario has the scenario's purposes; one in `app_permissions` that "
    "no scenario uses needs its `purpose`.",
    fix="Write the permission's `purpose` in the policy's words.",
    failing=Example(_PERMISSION + "}]"),
    passing=Example(_PERMISSION + ", purpose: 拍摄并上传身份证照片}]"),
)
def permission_purpose(ctx: CheckContext) -> Iterator[Issue]:
    in_scenarios = {p.permission for s in ctx.d.scenarios for p in s.permissions}
    for i, p in enumerate(ctx.d.app_permissions):
        if not p.purpose.strip() and p.permission not in in_scenarios:
            yield Issue(
                ("app_permissions", i, "purpose"),
                f"permission {p.permission!r} is listed without its purpose (认定方法 二.3; "
                "PIPL Art. 17 (2))",
            )


_SDK_LIST = "published_elsewhere: {sdks: {title: 第三方SDK目录, url: 'https://example.com/sdk'}}"


@rule(
    "published-list-conflict",
    "warning",
    title="An empty list says “none” while a list is published elsewhere",
    cites=(PIPL(17, para=1),),
    explanation="`sdks: []` (or `recipients: []`) written in the declaration renders a "
    "negative (“本平台App未接入会收集您个人信息的第三方SDK”); `published_elsewhere` says "
    "such a list exists. Both cannot be true, and the policy must tell truly and "
    "accurately (PIPL Art. 17 para. 1).",
    fix="Leave the empty list out (the published list is then the only statement), or "
    "remove the published list.",
    failing=Example(_SDK_LIST + "\nsdks: []"),
    passing=Example(_SDK_LIST),
)
def published_list_conflict(ctx: CheckContext) -> Iterator[Issue]:
    d = ctx.d
    for name in ("sdks", "recipients"):
        published = getattr(d.published_elsewhere, name)
        if published is not None and name in d.model_fields_set and not getattr(d, name):
            yield Issue(
                (name,),
                f"`{name}: []` says there are none, but published_elsewhere.{name} points to "
                f"《{published.title}》 (PIPL Art. 17)",
            )


_SENSITIVE = "pi_inventory: [{id: identity, label: 身份信息, elements: [id_number]}]"


@rule(
    "inventory-separate-consent",
    "warning",
    title="Sensitive PI in the inventory that no separate consent names",
    cites=(PIPL(29),),
    explanation="Sensitive PI is processed only with the subject's separate consent (PIPL "
    "Art. 29), unless a law or administrative regulation allows otherwise. PI listed in "
    "`pi_inventory` is held without a scenario, so no scenario rule checks it: a sensitive "
    "element there that no separate (or written) consent of the declaration names has no "
    "declared basis for being held.",
    fix="Name the element in the separate consent it is collected under (or the scenario "
    "that collects it); where the source policy names none, the warning records that gap.",
    failing=Example(_SENSITIVE),
    passing=Example(
        _SENSITIVE + "\nconsents: [{id: identity_check, label: 身份核验的单独同意, "
        "kind: separate, elements: [id_number]}]"
    ),
)
def inventory_separate_consent(ctx: CheckContext) -> Iterator[Issue]:
    named = {e for c in ctx.d.consents if c.kind.is_separate for e in c.elements}
    for i, g in enumerate(ctx.d.pi_inventory):
        for j, eid in enumerate(g.elements):
            if ctx.tax.needs_separate_consent(eid) and eid not in named:
                label = ctx.tax.elements[eid].label
                yield Issue(
                    ("pi_inventory", i, "elements", j),
                    f"sensitive element {eid!r} ({label}) is listed as held but no separate "
                    "consent names it (PIPL Art. 29)",
                )


_BOTH = (
    "scenarios: [{id: signup, permissions: [{permission: camera, required: true}]}]\n"
    "app_permissions: [{permission: camera, purpose: 拍摄身份证照片, required: "
)


@rule(
    "permission-required-conflict",
    "warning",
    title="A permission is said to be both required and optional",
    cites=(PIPL(7), PIPL(17, para=1)),
    explanation="The rules are told truly, accurately and completely, in clear language "
    "(PIPL Arts. 7, 17 para. 1). A permission that the app's permission table calls "
    "optional while a scenario requires it (or the reverse) tells the user two different "
    "things about whether the service works without it.",
    fix="Make `required` agree, or say in the scenario which function needs it.",
    failing=Example(_BOTH + "false}]"),
    passing=Example(_BOTH + "true}]"),
)
def permission_required_conflict(ctx: CheckContext) -> Iterator[Issue]:
    for i, p in enumerate(ctx.d.app_permissions):
        if p.required is None:
            continue
        for s in ctx.d.scenarios:
            use = next((u for u in s.permissions if u.permission == p.permission), None)
            if use is not None and use.required != p.required:
                said = "required" if p.required else "optional"
                yield Issue(
                    ("app_permissions", i, "required"),
                    f"permission {p.permission!r} is {said} here but "
                    f"{'required' if use.required else 'optional'} in scenario {s.id!r}: "
                    "tell one story (PIPL Arts. 7, 17 para. 1)",
                )
                break


RULES = (
    not_stated,
    inventory_purpose,
    inventory_separate_consent,
    permission_purpose,
    permission_required_conflict,
    published_list_conflict,
)
