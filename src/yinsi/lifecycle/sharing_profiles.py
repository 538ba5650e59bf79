"""What an allowed provision may carry out: a recipient's default de-identification
profile, and a record as it may leave under a decision (PIPL Arts. 23, 73 (3)).
"""

from __future__ import annotations

from collections.abc import Mapping

from yinsi.declaration.datamap import Strategy
from yinsi.declaration.schema import Declaration, Recipient
from yinsi.declaration.view import taxonomy_of
from yinsi.lifecycle.deidentify import DeidentificationProfile, apply_profile
from yinsi.lifecycle.provisions import ProvisionDecision
from yinsi.taxonomy.formats import Format, format_of

_BY_FORMAT: Mapping[Format, Strategy] = {
    Format.PHONE_CN: Strategy.MASK,
    Format.ID_NUMBER: Strategy.MASK,
    Format.BANK_CARD: Strategy.MASK,
    Format.EMAIL: Strategy.MASK,
    Format.NAME_CN: Strategy.MASK,
    Format.DATE: Strategy.GENERALISE,
    Format.ADDRESS: Strategy.GENERALISE,
}


def default_profile(declaration: Declaration, recipient: Recipient) -> DeidentificationProfile:
    """The profile of a recipient declared ``de_identified: always``.

    Identifiers (phone, ID number, bank card, e-mail, name) are masked, dates and
    addresses generalised (year, province), every other element is dropped unless it is
    a plain record (text, number) that identifies nobody alone: those are kept. Sensitive
    elements without a format (face, ID photo, …) are always dropped.
    """
    taxonomy = taxonomy_of(declaration)
    strategies: dict[str, Strategy] = {}
    keep: set[str] = set()
    for element in recipient.elements:
        fmt = format_of(element)
        if fmt in _BY_FORMAT:
            strategies[element] = _BY_FORMAT[fmt]
        elif taxonomy.is_sensitive(element):
            strategies[element] = Strategy.DELETE
        else:
            keep.add(element)
    return DeidentificationProfile(recipient.id, strategies, frozenset(keep))


def deidentify_record(
    decision: ProvisionDecision, record: Mapping[str, object], *, key: bytes | None = None
) -> dict[str, object]:
    """``record`` (element id → value) as it may leave under an allowed ``decision``.

    Fields outside the decision's elements are refused (they were not decided on); with a
    profile, :func:`~yinsi.lifecycle.deidentify.apply_profile` transforms the rest.
    """
    if not decision.allowed:
        raise ValueError(
            f"the provision to {decision.recipient!r} was refused ({decision.reason}); "
            "nothing may leave"
        )
    extra = sorted(set(record) - set(decision.elements))
    if extra:
        raise ValueError(
            f"the record holds {', '.join(extra)}, which the decision for "
            f"{decision.recipient!r} did not cover; decide on every element it carries"
        )
    if decision.profile is None:
        return dict(record)
    return apply_profile(decision.profile, record, key=key)
