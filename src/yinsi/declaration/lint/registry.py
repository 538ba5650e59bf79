"""What a lint rule is: one check function with its id, severity, citations and examples.

A rule is written once, in the module of its family (:mod:`.structure`, :mod:`.consent`,
…), as a plain function of the shared
:class:`~yinsi.declaration.check_context.CheckContext` decorated with :func:`rule`::

    @rule(
        "pi-officer",
        "warning",
        title="No PI protection officer is published",
        cites=(PIPL(52, para=2),),
        explanation="…",
        fix="…",
        failing=Example("contacts: {pi_protection_officer: null}"),
        passing=Example(""),
    )
    def pi_officer(ctx: CheckContext) -> Iterator[Issue]: ...

The decorator returns a :class:`Rule`; the family lists its rules in ``RULES`` and
:mod:`.catalogue` joins the families. The runner stamps each finding with its rule's id,
``docs/rules.md`` is generated from the metadata (:mod:`.docs`), and the tests run every
rule on its failing and passing example (:mod:`.examples` merges them into a base
declaration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue, Severity

__all__ = [
    "LAWS",
    "NDSR",
    "PIPL",
    "Check",
    "Citation",
    "Example",
    "Rule",
    "Stage",
    "chinese_number",
    "reported_elsewhere",
    "rule",
]

Check = Callable[[CheckContext], Iterator[Issue]]
Stage = Literal["load", "lint"]

LAWS: dict[str, str] = {
    "PIPL": "《中华人民共和国个人信息保护法》",
    "网络数据安全管理条例": "《网络数据安全管理条例》",
    "征信业管理条例": "《征信业管理条例》",
    "必要个人信息范围规定": "《常见类型移动互联网应用程序必要个人信息范围规定》",
    "认定方法": "《App违法违规收集使用个人信息行为认定方法》",
    "网络安全法": "《中华人民共和国网络安全法》",
    "GB/T 35273-2020": "GB/T 35273-2020《信息安全技术 个人信息安全规范》",
    "GB/T 41391-2022": "GB/T 41391-2022《信息安全技术 移动互联网应用程序（App）收集个人信息基本要求》",
    "JR/T 0171-2020": "JR/T 0171-2020《个人金融信息保护技术规范》",
}
"""The short name a citation uses for each law or standard, and its full title."""

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 21 -> 二十一, 52 -> 五十二 (article and item numbers < 100)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from: a law's article, paragraph (款) and item (项), or a section.

    ``str()`` is the short form used in messages ("PIPL Art. 17 para. 2",
    "网络数据安全管理条例 Art. 21 (3)", "GB/T 41391-2022 §6.5"); :attr:`chinese` the form a
    lawyer reads ("《中华人民共和国个人信息保护法》第十七条第二款").
    """

    law: str
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    section: str = ""

    def __post_init__(self) -> None:
        if self.law not in LAWS:
            raise ValueError(f"unknown law {self.law!r}; add it to LAWS")

    def __str__(self) -> str:
        parts = [self.law]
        if self.article is not None:
            parts.append(f"Art. {self.article}")
        if self.paragraph is not None and self.paragraph > 1:
            parts.append(f"para. {self.paragraph}")
        if self.item is not None:
            parts.append(f"({self.item})")
        if self.section:
            parts.append(self.section)
        return " ".join(parts)

    @property
    def chinese(self) -> str:
        text = LAWS[self.law]
        if self.article is not None:
            text += f"第{chinese_number(self.article)}条"
        if self.paragraph is not None:
            text += f"第{chinese_number(self.paragraph)}款"
        if self.item is not None:
            text += f"第（{chinese_number(self.item)}）项"
        return f"{text} {self.section}" if self.section else text


def PIPL(article: int, *, para: int | None = None, item: int | None = None) -> Citation:
    """A citation of the Personal Information Protection Law."""
    return Citation("PIPL", article, para, item)


def NDSR(article: int, *, para: int | None = None, item: int | None = None) -> Citation:
    """A citation of the 网络数据安全管理条例 (Network Data Security Regulation)."""
    return Citation("网络数据安全管理条例", article, para, item)


@dataclass(frozen=True, slots=True)
class Example:
    """A YAML fragment merged into the base declaration of :mod:`.examples`.

    Mappings merge key by key and lists of items with ids merge item by item (same id:
    merged; new id: appended); ``replaces`` names dotted paths (``rights.items``) the
    fragment replaces instead. An empty fragment is the base declaration itself.
    """

    yaml: str
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One lint rule: its check and what ``docs/rules.md`` says about it."""

    id: str
    severity: Severity
    title: str
    citations: tuple[Citation, ...]
    explanation: str
    fix: str
    failing: Example
    passing: Example
    check: Check | None
    """None for findings another part reports (the loader's schema errors, waivers)."""
    family: str
    stage: Stage = "lint"
    """``load``: run on every load (errors make a declaration unusable); ``lint``: run
    by ``yinsi lint`` and ``yinsi validate`` only."""
    waivable: bool = False
    merges_into: str | None = None
    """The id of a rule this one refines: a finding of this rule at the same place as one
    of that rule is folded into it (reported once, with both messages)."""

    @property
    def cites(self) -> str:
        """The citations joined for a message or a table cell."""
        return "; ".join(str(c) for c in self.citations)


def rule(
    id: str,
    severity: Severity,
    *,
    title: str,
    cites: tuple[Citation, ...],
    explanation: str,
    fix: str,
    failing: Example,
    passing: Example,
    stage: Stage = "lint",
    waivable: bool = False,
    merges_into: str | None = None,
) -> Callable[[Check], Rule]:
    """Decorate a check function into a :class:`Rule` of its module's family."""

    def decorate(check: Check) -> Rule:
        return Rule(
            id=id,
            severity=severity,
            title=title,
            citations=cites,
            explanation=explanation,
            fix=fix,
            failing=failing,
            passing=passing,
            check=check,
            family=check.__module__.rsplit(".", 1)[-1],
            stage=stage,
            waivable=waivable,
            merges_into=merges_into,
        )

    return decorate


def reported_elsewhere(
    id: str,
    severity: Severity,
    family: str,
    *,
    title: str,
    cites: tuple[Citation, ...],
    explanation: str,
    fix: str,
    failing: Example,
    passing: Example,
    stage: Stage = "load",
) -> Rule:
    """A rule whose findings another part produces (the loader, the waivers)."""
    return Rule(id, severity, title, cites, explanation, fix, failing, passing, None, family, stage)
