"""Chapter 7, minors: what ``policy.minors`` says, sentence by sentence (PIPL Arts. 28, 31).

Each sentence is written only from a field the declaration states; without
``policy.minors`` the chapter keeps what ``policy.minimum_age`` says and the law.

Who the users are decides how a sentence reads, never whether a promise is added:

- an adults-only app (``minimum_age`` 18 or more written) closes every function to
  minors, so it lists none as closed (that would say the others are open);
- where children under 14 are not among the users (``under_14: not_served``, or a
  written ``minimum_age`` of 14 or more), PI of theirs found later was collected, not
  "collected without a guardian's consent": there is no consent to obtain;
- :attr:`MinorsChapter.children_may_be_served` tells the template whether the law on
  processing their PI (PIPL Art. 31) concerns this app at all.
"""

from __future__ import annotations

from yinsi.declaration.schema import Declaration, Minors
from yinsi.policy.lookup import Lookup
from yinsi.policy.provenance import Statement, fixed, merged, said, stated
from yinsi.policy.text import clause, link, quoted, sentence
from yinsi.taxonomy import RetentionAction

__all__ = ["MinorsChapter", "minors_statements"]

PATH = "policy.minors"
ADULT = 18  # 民法典 Art. 17
CHILD = 14  # PIPL Arts. 28, 31

_FOUND: dict[RetentionAction, str] = {
    RetentionAction.DELETE: "删除相关个人信息",
    RetentionAction.ANONYMISE: "对相关个人信息进行匿名化处理",
    RetentionAction.DELETE_OR_ANONYMISE: "删除相关个人信息或对其进行匿名化处理",
}


class MinorsChapter(list[Statement]):
    """The sentences of chapter 7 that ``policy.minors`` states, in order, and whether
    children under 14 are among the app's users as the declaration says."""

    children_may_be_served: bool
    """False when ``under_14: not_served`` or a written ``minimum_age`` of 14 or more
    refuses them; True otherwise (also when the declaration is silent on age: the law on
    their PI, PIPL Arts. 28 and 31, is then said as before)."""

    def __init__(self, statements: list[Statement], *, children_may_be_served: bool) -> None:
        super().__init__(statements)
        self.children_may_be_served = children_may_be_served


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


def _found(m: Minors, adults_only: bool, served: bool) -> Statement:
    """What the declaration says it does with a minor's PI it finds it holds.

    Adults only: any minor's PI. Children under 14 not served: any of theirs (no
    guardian's consent is ever asked, so "without one" would imply it sometimes is).
    Otherwise: a child's PI collected without the guardian's consent (PIPL Art. 31).
    """
    if m.found_later is None:
        return Statement("")
    why: list[str] = []
    if adults_only:
        lead = "如我们发现收集了未成年人的个人信息，我们将"
        why = ["policy.minimum_age"]
    elif not served:
        lead = "如我们发现收集了不满十四周岁未成年人的个人信息，我们将"
        why = [f"{PATH}.under_14" if m.under_14 == "not_served" else "policy.minimum_age"]
    else:
        lead = "如我们发现在未事先取得父母或者其他监护人同意的情况下收集了不满十四周岁未成年人的个人信息，我们将"
    return fixed(
        f"{lead}{_FOUND[m.found_later]}。",
        f"minors.found_later.{m.found_later.value}",
        f"{PATH}.found_later",
        *why,
        kind="commitment",
    )


def minors_statements(d: Declaration, look: Lookup) -> MinorsChapter:
    """The sentences of chapter 7 that ``policy.minors`` states, in order."""
    p = d.policy
    m = p.minors
    age = p.minimum_age if stated(p, "minimum_age") else None
    adults_only = age is not None and age >= ADULT
    under_14 = m.under_14 if m is not None else None
    served = under_14 == "guardian_consent" or (
        under_14 != "not_served" and (age is None or age < CHILD)
    )
    if m is None:
        return MinorsChapter([], children_may_be_served=served)
    parts = [
        _under_14(m, look),
        _rules(m),
        # Adults only: every function is closed to minors; a list would open the rest.
        Statement("") if adults_only else _closed(m, look),
        _found(m, adults_only, served),
        said(sentence(m.note), f"{PATH}.note"),
    ]
    return MinorsChapter([x for x in parts if x], children_may_be_served=served)
