"""Chapter 7, minors: what ``policy.minors`` says, sentence by sentence (PIPL Arts. 28, 31).

Each sentence is written only from a field the declaration states; without
``policy.minors`` the chapter keeps what ``policy.minimum_age`` says and the law.
"""

from __future__ import annotations

from yinsi.declaration.schema import Declaration, Minors
from yinsi.policy.lookup import Lookup
from yinsi.policy.provenance import Statement, fixed, merged, said
from yinsi.policy.text import clause, link, quoted, sentence
from yinsi.taxonomy import RetentionAction

__all__ = ["minors_statements"]

PATH = "policy.minors"
ADULT = 18

_FOUND: dict[RetentionAction, str] = {
    RetentionAction.DELETE: "删除相关个人信息",
    RetentionAction.ANONYMISE: "对相关个人信息进行匿名化处理",
    RetentionAction.DELETE_OR_ANONYMISE: "删除相关个人信息或对其进行匿名化处理",
}


def _under_14(m: Minors, look: Lookup) -> Statement:
    source = f"{PATH}.under_14"
    if m.under_14 == "not_served":
        return fixed(
            "本平台的产品和服务不面向不满十四周岁的未成年人。",
            "minors.under_14.not_served",
            source,
            kind="commitment",
        )
    if m.under_14 != "guardian_consent":
        return Statement("")
    lead = fixed(
        "如您是不满十四周岁的未成年人，我们将在取得您的父母或者其他监护人的同意后处理您的个人信息",
        "minors.under_14.guardian_consent",
        source,
        kind="commitment",
    )
    item = look.consents.get(m.guardian_consent or "")
    via = Statement("")
    if item is not None:
        path = look.path("consents", item.id, "label")
        label = said(quoted(item.label), path, f"{PATH}.guardian_consent")
        via = merged(["，监护人的同意通过", label, "取得"])
    return merged([lead, via, "。"])


def _rules(m: Minors) -> Statement:
    doc = m.children_rules
    if doc is None:
        return Statement("")
    source = f"{PATH}.children_rules"
    title = said(f"《{clause(doc.title).strip('《》')}》", f"{source}.title")
    where = (
        merged(["，您可以通过", Statement(link(str(doc.url)), [f"{source}.url"]), "查阅"])
        if doc.url is not None
        else Statement("")
    )
    return merged(
        [
            fixed("我们制定了专门的", "minors.children_rules", source, kind="fact"),
            title,
            "，说明我们如何处理不满十四周岁未成年人的个人信息",
            where,
            "。",
        ]
    )


def _closed(m: Minors, look: Lookup) -> Statement:
    names = [
        said(s.name, look.path("scenarios", s.id, "name"))
        for s in look.declaration.scenarios
        if s.id in m.closed_features
    ]
    if not names:
        return Statement("")
    lead = fixed(
        "以下业务功能不向未成年人开放：",
        "minors.closed_features",
        f"{PATH}.closed_features",
        kind="commitment",
    )
    return merged([lead, merged(names, "、"), "。"])


def _found(m: Minors, adults_only: bool) -> Statement:
    if m.found_later is None:
        return Statement("")
    if adults_only:
        lead = "如我们发现收集了未成年人的个人信息，我们将"
    else:
        lead = "如我们发现在未事先取得父母或者其他监护人同意的情况下收集了不满十四周岁未成年人的个人信息，我们将"
    return fixed(
        f"{lead}{_FOUND[m.found_later]}。",
        f"minors.found_later.{m.found_later.value}",
        f"{PATH}.found_later",
        *(["policy.minimum_age"] if adults_only else []),
        kind="commitment",
    )


def minors_statements(d: Declaration, look: Lookup) -> list[Statement]:
    """The sentences of chapter 7 that ``policy.minors`` states, in order."""
    m = d.policy.minors
    if m is None:
        return []
    adults_only = "minimum_age" in d.policy.model_fields_set and d.policy.minimum_age >= ADULT
    parts = [
        _under_14(m, look),
        _rules(m),
        _closed(m, look),
        _found(m, adults_only),
        said(sentence(m.note), f"{PATH}.note"),
    ]
    return [p for p in parts if p]
