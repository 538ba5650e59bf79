"""The numbers of the policy's subsections: each one that has something to say, in order.

A subsection with nothing to say (no SDKs and no ``sdks: []``, no indirect sources …) is
left out and the others are numbered 1.1, 1.2, …; references such as 详见本政策1.3节
follow these numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yinsi.policy.provenance import Statement, fixed

if TYPE_CHECKING:
    from yinsi.policy.context import PolicyContext

__all__ = ["sections"]


def _numbered(prefix: str, present: list[tuple[str, bool]]) -> dict[str, Statement]:
    """``prefix`` + 1, 2, … for each subsection that is shown, by name."""
    names = [name for name, shown in present if shown]
    return {n: fixed(f"{prefix}{i}", "numbering") for i, n in enumerate(names, 1)}


def sections(c: PolicyContext) -> dict[str, Statement]:
    s = c.sharing
    none = bool(s.no_recipients)
    chapter2 = _numbered(
        "2.",
        [
            ("entrusted", bool(s.entrusted) or none),
            ("joint", bool(c.joint.items or c.joint.none)),
            ("provided", True),
            (
                "sdks",
                bool(
                    s.sdks or s.no_sdks or s.sdk_lead or s.sdk_after or c.inventory.published.sdks
                ),
            ),
            ("h5_links", bool(s.h5_links or s.no_h5_links)),
            ("disclosed", True),
            ("transfer", True),
        ],
    )
    return {
        **_numbered(
            "1.",
            [
                ("basic", bool(c.basic)),
                ("extended", bool(c.extended)),
                ("inventory", bool(c.inventory.rows or c.inventory.published.collected)),
                ("sensitive", bool(c.sensitive_rows or c.separate_consents)),
                ("other_consents", bool(c.other_consents)),
                (
                    "permissions",
                    bool(
                        c.permissions
                        or c.inventory.permissions
                        or c.inventory.published.permissions
                    ),
                ),
                ("sources", bool(c.sources)),
                ("exceptions", True),
            ],
        ),
        **chapter2,
        **{
            f"provided.{k}": v
            for k, v in _numbered(
                f"{chapter2['provided']}.",
                [
                    ("affiliates", bool(s.affiliates) or none),
                    ("consented", bool(s.consented) or none),
                    ("statutory", bool(s.statutory)),
                ],
            ).items()
        },
        **_numbered(
            "5.",
            [
                (
                    "storage",
                    bool(
                        c.storage.location
                        or c.storage.cross_border
                        or c.storage.no_cross_border
                        or c.storage.cross_border_conditions
                    ),
                ),
                ("retention", True),
                ("service_end", True),
            ],
        ),
    }
