"""Rules on the policy's modality: how consent is obtained, what a separate consent
covers, written consent and prior notice for credit reporting, and what a rights
deadline promises.

What a separate consent covers (:func:`yinsi.declaration.view.covers_separately`): only
the elements it names. One that names none still gates whatever names it (it must be
granted first) but covers no sensitive element (PIPL Art. 29) and no provision (Arts.
23, 25, 39): ``separate-consent-elements`` says so. Deemed consent (视为同意), a
permission prompt (系统权限授权) and an opt-out setting (默认开启、可关闭) never count
as separate consent: ``consent-mechanism`` reports each place one stands where the law
asks for a separate consent, next to the ``separate-consent`` error.
"""

from __future__ import annotations

from collections.abc import Iterator

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Path
from yinsi.declaration.lint.consent import needs_separate_consent
from yinsi.declaration.lint.registry import NDSR, PIPL, Citation, Example, rule
from yinsi.declaration.schema import ConsentItem, Recipient
from yinsi.declaration.view import consents_by_id, covers_separately, sdk_gates
from yinsi.taxonomy import ConsentKind, LegalBasis, RecipientKind

__all__ = ["CREDIT_QUERY_ELEMENTS", "CREDIT_REPORTING_PURPOSE", "RULES"]

CREDIT_QUERY_ELEMENTS = frozenset({"credit_report"})
"""Elements obtained by querying a credit-reporting agency (征信业管理条例 Art. 18)."""
CREDIT_REPORTING_PURPOSE = "credit_reporting"
"""The purpose of providing credit information to a credit database (Arts. 15, 29)."""

_WEAK = {
    ConsentKind.DEEMED: "a deemed consent (视为同意)",
    ConsentKind.PERMISSION_PROMPT: "an operating-system permission prompt (系统权限授权)",
    ConsentKind.OPT_OUT: "an opt-out setting (默认开启、可关闭)",
}
_ARTICLE = {RecipientKind.PUBLIC_DISCLOSURE: 25, RecipientKind.CROSS_BORDER: 39}
_SEPARATE_DEFINED = NDSR(62, item=7)


def _credit(article: int, para: int | None = None) -> Citation:
    return Citation("征信业管理条例", article, para)


@rule(
    "separate-consent-elements",
    "warning",
    title="A separate consent names no PI, so it covers none",
    cites=(PIPL(29), PIPL(23), _SEPARATE_DEFINED),
    explanation="A separate consent is given specifically to particular processing "
    "(网络数据安全管理条例 Art. 62 (7): “专门作出具体、明确的同意”). yinsi counts a separate "
    "or written consent only for the elements it names: one that names none still gates "
    "what names it, but satisfies PIPL Arts. 23, 25, 29 and 39 for nothing — a single "
    "consent cannot stand for ID numbers, card codes and biometrics alike.",
    fix="List under the consent's `elements` the PI it asks the person to agree to.",
    failing=Example(
        "consents: [{id: identity, label: 身份信息单独同意, kind: separate}]\n"
        "scenarios: [{id: signup, consents: [policy, identity]}]"
    ),
    passing=Example(
        "consents: [{id: identity, label: 身份信息单独同意, kind: separate, "
        "elements: [mobile_number]}]\n"
        "scenarios: [{id: signup, consents: [policy, identity]}]"
    ),
)
def separate_consent_elements(ctx: CheckContext) -> Iterator[Issue]:
    for i, c in enumerate(ctx.d.consents):
        if c.kind.is_separate and not c.elements:
            yield Issue(
                ("consents", i, "elements"),
                f"{c.kind.value} consent {c.id!r} names no elements, so it covers no PI: it "
                "gates what names it but satisfies PIPL Arts. 23, 25, 29 and 39 for nothing "
                "(网络数据安全管理条例 Art. 62 (7)); list the elements it asks for",
                subject=c.id,
            )


_FACE_SCENARIO = "scenarios: [{id: signup, elements: [mobile_number, face], consents: "


@rule(
    "consent-mechanism",
    "warning",
    title="Deemed consent, a permission prompt or opt-out where separate consent is required",
    cites=(PIPL(14), PIPL(29), PIPL(23), _SEPARATE_DEFINED, Citation("认定方法", section="三.4")),
    explanation="Consent is given freely and explicitly (PIPL Art. 14); a separate consent "
    "is one given specifically to this processing (网络数据安全管理条例 Art. 62 (7)). "
    "Treating an act as consent (“视为您同意”), the operating system's permission dialog, "
    "or a setting that is on until switched off is none of these: it cannot stand for the "
    "separate consent sensitive PI (Art. 29) or a provision to another handler (Art. 23) "
    "needs. Consent by non-explicit means is itself a finding of the 认定方法 (三.4).",
    fix="Ask a consent of kind `separate` (or `written`) that names the PI, and add it to "
    "the scenario's `consents`, or make it the recipient's or SDK's `consent`.",
    failing=Example(
        "consents: [{id: camera, label: 相机权限, kind: permission_prompt, elements: [face]}]\n"
        + _FACE_SCENARIO
        + "[policy, camera]}]"
    ),
    passing=Example(
        "consents: [{id: camera, label: 相机权限, kind: permission_prompt, elements: [face]},"
        " {id: face_consent, label: 人脸信息单独同意, kind: separate, elements: [face]}]\n"
        + _FACE_SCENARIO
        + "[policy, camera, face_consent]}]"
    ),
    merges_into="separate-consent",
)
def consent_mechanism(ctx: CheckContext) -> Iterator[Issue]:
    d, by_id = ctx.d, consents_by_id(ctx.d)
    for i, s in enumerate(d.scenarios):
        if s.legal_basis is LegalBasis.CONSENT:
            items = [by_id[c] for c in s.consents if c in by_id]
            for j, use in enumerate(s.elements):
                if needs_separate_consent(ctx, use.id):
                    yield from _weak(items, use.id, ("scenarios", i, "elements", j), 29)
    for i, r in enumerate(d.recipients):
        item = by_id.get(r.consent) if r.consent else None
        if item is not None and _needs_separate(r) and item.kind in _WEAK:
            what = f"providing PI to {r.name}"
            yield _weak_issue(item, ("recipients", i, "consent"), what, _ARTICLE.get(r.kind, 23))
    for i, sdk in enumerate(d.sdks):
        if sdk.legal_basis is LegalBasis.CONSENT:
            for j, eid in enumerate(sdk.elements):
                if needs_separate_consent(ctx, eid):
                    items = [by_id[c] for c in sdk_gates(sdk, eid) if c in by_id]
                    yield from _weak(items, eid, ("sdks", i, "elements", j), 29)


def _weak(items: list[ConsentItem], element: str, path: Path, article: int) -> Iterator[Issue]:
    """A finding when no separate consent names ``element`` but a weak kind gates it."""
    if any(covers_separately(c, element) for c in items):
        return
    weak = [c for c in items if c.kind in _WEAK and (not c.elements or element in c.elements)]
    if weak:
        yield _weak_issue(weak[0], path, f"sensitive element {element!r}", article)


def _weak_issue(item: ConsentItem, path: Path, what: str, article: int) -> Issue:
    return Issue(
        path,
        f"{what} relies on consent {item.id!r}, {_WEAK[item.kind]}, where PIPL Art. {article} "
        "requires a separate consent given specifically and explicitly to this processing "
        "(PIPL Art. 14; 网络数据安全管理条例 Art. 62 (7))",
        subject=item.id,
    )


_QUERY = (
    "consents: [{{id: credit, label: 征信查询授权, kind: {kind}, elements: [credit_report]}}]\n"
    "scenarios: [{{id: credit_check, name: 信用评估, function: basic, "
    "purposes: [credit_assessment], methods: [data_service_query], "
    "elements: [credit_report], consents: [policy, credit], retention: account}}]"
)


@rule(
    "credit-written-consent",
    "warning",
    title="A credit-report query or credit reporting without written consent",
    cites=(_credit(18), _credit(29, para=2), PIPL(29)),
    explanation="Querying a person's credit information from a credit-reporting agency "
    "needs the person's written consent and an agreed use (征信业管理条例 Art. 18); an "
    "institution in the credit business provides credit information to the credit "
    "database or anyone else only with the person's prior written consent (Art. 29 "
    "para. 2). A separate consent in an app is not said to be written unless the "
    "declaration says so (`kind: written`).",
    fix="Gate the query (a scenario collecting `credit_report` from a data service, partner "
    "or authorised account) or the reporting (a recipient with purpose `credit_reporting`) "
    "with a consent of kind `written` that names the credit information.",
    failing=Example(_QUERY.format(kind="separate")),
    passing=Example(_QUERY.format(kind="written")),
)
def credit_written_consent(ctx: CheckContext) -> Iterator[Issue]:
    d, by_id = ctx.d, consents_by_id(ctx.d)
    for i, s in enumerate(d.scenarios):
        # A third-party source stated in words (`source`) is an indirect collection too.
        indirect = any(m.indirect for m in s.methods) or s.source.strip()
        if s.legal_basis is not LegalBasis.CONSENT or not indirect:
            continue
        for j, use in enumerate(s.elements):
            if use.id in CREDIT_QUERY_ELEMENTS and not _written(by_id, s.consents, use.id):
                yield Issue(
                    ("scenarios", i, "elements", j),
                    f"{s.name}: querying {ctx.tax.elements[use.id].label} needs the person's "
                    "written consent with an agreed use (征信业管理条例 Art. 18); no consent "
                    "of kind `written` names it",
                    subject=s.id,
                )
    for i, r in enumerate(d.recipients):
        if CREDIT_REPORTING_PURPOSE not in r.purposes or r.legal_basis is not LegalBasis.CONSENT:
            continue
        gate = [r.consent] if r.consent else []
        if not all(_written(by_id, gate, e) for e in r.elements):
            yield Issue(
                ("recipients", i, "consent"),
                f"providing credit information to {r.name} needs the person's prior written "
                "consent (征信业管理条例 Art. 29 para. 2); no consent of kind `written` names "
                "what it receives",
                subject=r.id,
            )


_REPORTING = (
    "consents: [{id: reporting, label: 征信报送书面授权, kind: written, "
    "elements: [overdue_info]}]\n"
    "recipients: [{id: pboc, kind: other_handler, name: 中国人民银行征信中心, "
    "contact: 400-810-8866, purposes: [credit_reporting], elements: [overdue_info], "
    "consent: reporting"
)


@rule(
    "credit-negative-notice",
    "warning",
    title="Negative credit information reported without telling the person first",
    cites=(_credit(15),),
    explanation="An information provider tells the person before it provides negative "
    "information (不良信息) to a credit-reporting agency (征信业管理条例 Art. 15). A "
    "declaration that reports credit information says how the person is told.",
    fix="State how and when the person is told in the recipient's `negative_info_notice`.",
    failing=Example(_REPORTING + "}]"),
    passing=Example(_REPORTING + ", negative_info_notice: 报送不良信息前，我们将以短信通知您}]"),
)
def credit_negative_notice(ctx: CheckContext) -> Iterator[Issue]:
    for i, r in enumerate(ctx.d.recipients):
        if CREDIT_REPORTING_PURPOSE in r.purposes and not r.negative_info_notice:
            yield Issue(
                ("recipients", i, "negative_info_notice"),
                f"{r.name} receives credit information but the declaration does not say how "
                "the person is told before negative information is reported "
                "(征信业管理条例 Art. 15); state it in negative_info_notice",
                subject=r.id,
            )


@rule(
    "deadline-verb",
    "warning",
    title="A rights deadline does not say what is promised within it",
    cites=(PIPL(50), NDSR(23), PIPL(17, item=3)),
    explanation="“15个工作日内答复” promises a reply, “15个工作日内处理完成” the result. A "
    "deadline without its verb lets the policy state only the time limit; the declaration "
    "says which, in the source policy's words, so the policy neither promises more nor "
    "less than it does.",
    fix="Set the deadline's `verb`: answer (答复), complete (处理完成), process (进行处理) or "
    "process_or_reply (进行处理或反馈); add `qualifier` and `counted_from` where the policy "
    "has them.",
    failing=Example("rights: {items: [{id: access, deadline: {working_days: 15}}]}"),
    passing=Example("rights: {items: [{id: access, deadline: {working_days: 15, verb: answer}}]}"),
)
def deadline_verb(ctx: CheckContext) -> Iterator[Issue]:
    for i, right in enumerate(ctx.d.rights.items):
        if right.deadline is not None and right.deadline.verb is None:
            yield Issue(
                ("rights", "items", i, "deadline"),
                f"{right.kind.label}: the deadline does not say what is promised within "
                f"{right.deadline.working_days} working days, so the policy states only the "
                "time limit (PIPL Art. 17 (3)); set verb (answer, complete, process, "
                "process_or_reply) as the policy words it",
                subject=right.id,
            )


def _needs_separate(r: Recipient) -> bool:
    return (
        r.legal_basis is LegalBasis.CONSENT
        and r.kind is not RecipientKind.ENTRUSTED_PROCESSOR
        and r.kind.needs_separate_consent
    )


def _written(by_id: dict[str, ConsentItem], consent_ids: list[str], element: str) -> bool:
    return any(
        (c := by_id.get(cid)) is not None
        and c.kind is ConsentKind.WRITTEN
        and element in c.elements
        for cid in consent_ids
    )


RULES = (
    separate_consent_elements,
    consent_mechanism,
    credit_written_consent,
    credit_negative_notice,
    deadline_verb,
)
