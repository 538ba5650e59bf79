"""PI obtained from third parties (间接收集, X18): the source register and the acquisition gate.

PIPL Art. 13/14 (a legal basis and consent within its scope), Art. 29 (separate consent
for sensitive PI) and 信息安全技术 个人信息安全规范 (GB/T 35273) 5.4: before PI is obtained
indirectly, the handler asks the provider where the PI comes from, confirms it is lawful
and what processing the subject authorised; a use beyond that scope needs new consent.

A :class:`Source` is one vetting of a provider (来源审查记录): its legal ground, the
elements and scenarios it may supply, the authorisation it relies on and how long the
vetting holds. :func:`check_source` is the pure half of the gate; the consent half is the
decision engine's (``SourcingService.acquire``). An allowed acquisition is an
:class:`Acquisition` in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from yinsi.taxonomy.kinds import CollectionMethod

if TYPE_CHECKING:  # the HTTP client imports this module: no declaration schema at run time
    from yinsi.declaration import Declaration
    from yinsi.declaration.schema import Scenario

__all__ = [
    "THIRD_PARTY_METHODS",
    "Acquisition",
    "AcquisitionDecision",
    "AuthorisedBy",
    "Source",
    "SourceError",
    "SourceReason",
    "check_new_source",
    "check_source",
    "message",
    "third_party_scenarios",
]

THIRD_PARTY_METHODS = frozenset(
    {
        CollectionMethod.PARTNER,
        CollectionMethod.DATA_SERVICE_QUERY,
        CollectionMethod.ACCOUNT_AUTHORISATION,
    }
)
"""Collection methods that obtain PI from a third party; a scenario with a ``source`` text
declares third-party PI as well."""


class AuthorisedBy(StrEnum):
    """Who obtained the subject's authorisation the source relies on."""

    US = "us"
    """The app obtained it (its own consent item, e.g. ``third_party_data``)."""
    PROVIDER = "provider"
    """The provider obtained it and confirmed its scope (处理目的、方式、是否同意对外提供)."""


class SourceReason(StrEnum):
    """Why an acquisition is refused before the decision engine is asked."""

    SOURCE_NOT_REGISTERED = "source_not_registered"
    SOURCE_REVOKED = "source_revoked"
    SOURCE_EXPIRED = "source_expired"
    SOURCE_NOT_YET_VALID = "source_not_yet_valid"
    ELEMENT_OUT_OF_SOURCE_SCOPE = "element_out_of_source_scope"
    SCENARIO_OUT_OF_SOURCE_SCOPE = "scenario_out_of_source_scope"
    NOT_DECLARED_FROM_THIRD_PARTY = "not_declared_from_third_party"


_MESSAGES = {
    SourceReason.SOURCE_NOT_REGISTERED: "该数据来源未经来源审查登记，不得从其获取个人信息。",
    SourceReason.SOURCE_REVOKED: "该数据来源的审查记录已撤销，不得从其获取个人信息。",
    SourceReason.SOURCE_EXPIRED: "该数据来源的审查已过有效期，请重新审查后再获取。",
    SourceReason.SOURCE_NOT_YET_VALID: "该数据来源的审查尚未生效。",
    SourceReason.ELEMENT_OUT_OF_SOURCE_SCOPE: "所请求的个人信息超出该来源经审查可提供的范围。",
    SourceReason.SCENARIO_OUT_OF_SOURCE_SCOPE: "该业务场景不在该来源经审查的提供范围内。",
    SourceReason.NOT_DECLARED_FROM_THIRD_PARTY: "隐私政策未声明在该业务场景中从第三方获取这些个人信息。",
}
_ENGINE_MESSAGES = {
    "no_consent": "您尚未授权我们从第三方获取该等个人信息。",
    "separate_consent_required": "从第三方获取该等个人信息需要您的单独同意。",
    "consent_withdrawn": "您已撤回从第三方获取该等个人信息的授权。",
    "policy_not_accepted": "您尚未同意隐私政策。",
    "not_declared": "隐私政策未声明该处理（业务场景、目的或个人信息）。",
    "restricted": "您已要求限制处理该等个人信息。",
    "minor": "不满十四周岁的用户需监护人同意。",
}


def message(reason: str) -> str:
    """The Chinese message of a refusal reason (a :class:`SourceReason` or the engine's)."""
    try:
        return _MESSAGES[SourceReason(reason)]
    except ValueError:
        return _ENGINE_MESSAGES.get(reason, "该获取未获允许。")


class SourceError(ValueError):
    """A vetting record that cannot be registered; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Source:
    """One vetting of a data provider (来源审查记录)."""

    app_id: str
    source_id: str
    name: str
    legal_ground: str
    """Why it may hold and provide the PI: licence name and number (征信业务经营许可…)."""
    elements: tuple[str, ...]
    scenarios: tuple[str, ...]
    authorised_by: AuthorisedBy
    authorisation_ref: str
    """Where the authorisation's text is: our consent item or the provider's agreement."""
    vetted_by: str
    vetted_on: date
    valid_until: date
    party: str | None = None
    """The declaration's party (a recipient id) when the provider is one."""
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def standing(self, today: date) -> SourceReason | None:
        """None while the vetting holds on ``today``; else why not."""
        if self.revoked_at is not None:
            return SourceReason.SOURCE_REVOKED
        if today > self.valid_until:
            return SourceReason.SOURCE_EXPIRED
        if today < self.vetted_on:
            return SourceReason.SOURCE_NOT_YET_VALID
        return None


@dataclass(frozen=True, slots=True)
class AcquisitionDecision:
    allowed: bool
    reason: str
    """``allowed``, a :class:`SourceReason` or the engine's refusal reason."""
    message: str
    consent_ids: tuple[str, ...] = ()
    """Allowed: the consents the acquisition relies on; refused: the ones missing."""
    policy_version: str | None = None


@dataclass(frozen=True, slots=True)
class Acquisition:
    """PI obtained from a vetted source for one subject (the acquisition ledger)."""

    app_id: str
    subject_id: str
    source_id: str
    elements: tuple[str, ...]
    scenario: str
    purpose: str
    consent_ids: tuple[str, ...]
    policy_version: str | None
    at: datetime
    actor: str
    id: int | None = None


def third_party_scenarios(declaration: Declaration) -> list[Scenario]:
    """The scenarios that declare PI obtained from a third party: those a vetted source
    may supply."""
    return [s for s in declaration.scenarios if _from_third_party(s)]


def _from_third_party(scenario: Scenario) -> bool:
    return bool(scenario.source.strip()) or bool(THIRD_PARTY_METHODS & set(scenario.methods))


def _scenario(declaration: Declaration, scenario_id: str) -> Scenario | None:
    return next((s for s in declaration.scenarios if s.id == scenario_id), None)


def check_source(
    declaration: Declaration,
    source: Source | None,
    elements: Sequence[str],
    scenario: str,
    today: date,
) -> SourceReason | None:
    """The source half of the gate: None when ``source`` is vetted, in force, may supply
    ``elements`` for ``scenario``, and the declaration declares them from a third party."""
    if source is None:
        return SourceReason.SOURCE_NOT_REGISTERED
    standing = source.standing(today)
    if standing is not None:
        return standing
    if set(elements) - set(source.elements):
        return SourceReason.ELEMENT_OUT_OF_SOURCE_SCOPE
    if scenario not in source.scenarios:
        return SourceReason.SCENARIO_OUT_OF_SOURCE_SCOPE
    declared = _scenario(declaration, scenario)
    if declared is None or not _from_third_party(declared):
        return SourceReason.NOT_DECLARED_FROM_THIRD_PARTY
    if set(elements) - set(declared.element_ids):
        return SourceReason.NOT_DECLARED_FROM_THIRD_PARTY
    return None


def check_new_source(declaration: Declaration, source: Source) -> None:
    """Raises :class:`SourceError` for a vetting record yinsi cannot rely on."""
    for label, value in (
        ("source id", source.source_id),
        ("name", source.name),
        ("legal ground (licence name and number)", source.legal_ground),
        ("authorisation reference", source.authorisation_ref),
        ("vetted_by", source.vetted_by),
    ):
        if not value.strip():
            raise SourceError(f"the {label} of a vetted source is empty")
    if not source.elements or not source.scenarios:
        raise SourceError("name the elements and the scenario(s) the source may supply")
    if source.valid_until < source.vetted_on:
        raise SourceError("valid_until is before vetted_on")
    if source.party is not None and source.party not in {r.id for r in declaration.recipients}:
        raise SourceError(
            f"{source.party!r} is not a party (recipient) of the declaration; leave the party "
            "out for a provider the policy does not name"
        )
    supplied: set[str] = set()
    for scenario_id in source.scenarios:
        scenario = _scenario(declaration, scenario_id)
        if scenario is None or not _from_third_party(scenario):
            raise SourceError(
                f"scenario {scenario_id!r} of the declaration does not declare PI obtained from "
                "a third party (its `source` or a method partner / data_service_query / "
                "account_authorisation)"
            )
        supplied |= set(scenario.element_ids)
    extra = sorted(set(source.elements) - supplied)
    if extra:
        raise SourceError(
            f"elements {', '.join(extra)} are not declared in scenario(s) "
            f"{', '.join(source.scenarios)}"
        )
