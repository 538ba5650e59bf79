"""Materiality judged by effect, as a property over kinds of mutation (PIPL Art. 14; 认定方法 二.2).

Start from a declaration (the diff base, the test base, both reference declarations, each
possibly narrowed a little first) and apply one random mutation of a known kind:

* a *widening* — more collected (an element or permission added, optional made required,
  a scenario or collection method added), for more purposes, kept longer (period, start,
  end action, minimum, a maximum made fixed), received by more (a recipient, SDK, H5 page
  or tracking item added, more PI to one, abroad), or less choice for the user (a weaker
  consent, a consent no longer asked, a harsher effect of refusing, a right narrowed) —
  makes the diff material, with a reason that names the effect;
* *narrowings* and *rewordings*, any number of them, never make it material.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from yinsi.declaration import Declaration, load
from yinsi.declaration.diff import diff
from yinsi.declaration.diff_rules import UNKNOWN
from yinsi.declaration.schema import Duration
from yinsi.taxonomy import ConsentKind

ROOT = Path(__file__).resolve().parent.parent
STARTS: list[dict[str, Any]] = [
    load(path).model_dump(mode="json")
    for path in (
        ROOT / "tests" / "data" / "diff" / "base.yaml",
        ROOT / "tests" / "data" / "base.yaml",
        ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml",
        ROOT / "examples" / "declarations" / "wolai-shuke.yaml",
    )
]

Data = dict[str, Any]
Mutation = Callable[[Data, st.DrawFn], bool]
"""Changes ``d`` in place and returns True, or leaves it alone and returns False."""

ELEMENTS = ["email", "occupation", "face", "address_book", "precise_location", "name"]
PURPOSES = ["marketing", "anti_fraud", "product_improvement", "credit_assessment"]
PERMISSIONS = ["contacts", "camera", "location", "photos", "sms"]
PERIODS = ["1d", "7d", "1m", "6m", "1y", "3y", "5y", "10y"]


def _pick(draw: st.DrawFn, items: list[Any]) -> Any:
    return items[draw(st.integers(0, len(items) - 1))]


def _fresh(items: list[Data], prefix: str) -> str:
    taken = {item["id"] for item in items}
    return next(f"{prefix}_{i}" for i in range(100) if f"{prefix}_{i}" not in taken)


def _days(period: str) -> int:
    return Duration.model_validate(period).approx_days


def _strength(kind: str) -> int | None:
    k = next(k for k in ConsentKind if k.value == kind)
    return None if k is ConsentKind.GUARDIAN else k.strength


def _choose(draw: st.DrawFn, candidates: list[Any]) -> Any | None:
    return _pick(draw, candidates) if candidates else None


def _uses(d: Data, list_name: str) -> list[tuple[Data, Data]]:
    """(scenario, element use or permission use) pairs."""
    return [(s, u) for s in d["scenarios"] for u in s[list_name]]


# ---------------------------------------------------------------- narrowing and rewording


def remove_scenario(d: Data, draw: st.DrawFn) -> bool:
    if len(d["scenarios"]) < 2:
        return False
    d["scenarios"].remove(_pick(draw, d["scenarios"]))
    return True


def remove_element(d: Data, draw: st.DrawFn) -> bool:
    if not (s := _choose(draw, [s for s in d["scenarios"] if len(s["elements"]) > 1])):
        return False
    s["elements"].remove(_pick(draw, s["elements"]))
    return True


def drop_purpose(d: Data, draw: st.DrawFn) -> bool:
    if not (s := _choose(draw, [s for s in d["scenarios"] if len(s["purposes"]) > 1])):
        return False
    s["purposes"].remove(_pick(draw, s["purposes"]))
    return True


def remove_recipient(d: Data, draw: st.DrawFn) -> bool:
    if not d["recipients"]:
        return False
    gone = _pick(draw, d["recipients"])
    d["recipients"].remove(gone)
    for s in d["scenarios"]:
        s["recipients"] = [r for r in s["recipients"] if r != gone["id"]]
    return True


def remove_third_party(d: Data, draw: st.DrawFn) -> bool:
    section = draw(st.sampled_from(["sdks", "h5_links", "tracking"]))
    if not d[section]:
        return False
    d[section].remove(_pick(draw, d[section]))
    return True


def remove_permission(d: Data, draw: st.DrawFn) -> bool:
    if not (pair := _choose(draw, _uses(d, "permissions"))):
        return False
    pair[0]["permissions"].remove(pair[1])
    return True


def make_optional(d: Data, draw: st.DrawFn) -> bool:
    uses = [u for _, u in _uses(d, draw(st.sampled_from(["elements", "permissions"])))]
    if not (use := _choose(draw, [u for u in uses if u["required"]])):
        return False
    use["required"] = False
    return True


def shorten_retention(d: Data, draw: st.DrawFn) -> bool:
    if not (rule := _choose(draw, d["retention"])):
        return False
    if rule["period"] is None:
        rule.update(period=draw(st.sampled_from(PERIODS)), bound=rule["bound"] or "at_most")
        return True
    shorter = [p for p in PERIODS if _days(p) < _days(rule["period"])]
    if not shorter:
        return False
    rule["period"] = draw(st.sampled_from(shorter))
    return True


def tighten_retention(d: Data, draw: st.DrawFn) -> bool:
    """A fixed period made a maximum, counted from collection, deleted at the end, no minimum."""
    if not (rule := _choose(draw, d["retention"])):
        return False
    tighter = {
        "bound": "at_most" if rule["bound"] else None,
        "starts": "collection",
        "then": "delete",
        "minimum": None,
    }
    field = draw(st.sampled_from(sorted(tighter)))
    if rule[field] == tighter[field]:
        return False
    rule[field] = tighter[field]
    return True


def strengthen_consent(d: Data, draw: st.DrawFn) -> bool:
    c = _pick(draw, d["consents"])
    now = _strength(c["kind"])
    stronger = [
        k.value for k in ConsentKind if now is not None and (_strength(k.value) or -1) > now
    ]
    if not stronger:
        return False
    c["kind"] = draw(st.sampled_from(stronger))
    return True


def consent_asked_more(d: Data, draw: st.DrawFn) -> bool:
    c = _pick(draw, d["consents"])
    if draw(st.booleans()):
        c["withdraw_via"] = [*c["withdraw_via"], "设置-隐私-撤回授权"]
        return True
    if c["asked"] == "each_time":
        return False
    c["asked"] = "each_time"
    return True


def widen_rights(d: Data, draw: st.DrawFn) -> bool:
    """A right added, a deadline shortened, a self-service path, a channel, a fee dropped."""
    r = _pick(draw, d["rights"]["items"])
    channels = [c["id"] for c in d["contacts"]["channels"] if c["id"] not in r["channels"]]
    deadline = r["deadline"]
    match draw(st.integers(0, 4)):
        case 0:
            d["rights"]["items"].append(
                {
                    "id": _fresh(d["rights"]["items"], "extra_right"),
                    "kind": "restrict",
                    "channels": [d["contacts"]["channels"][0]["id"]],
                }
            )
        case 1 if deadline and deadline["working_days"] > (deadline["target_working_days"] or 1):
            deadline["working_days"] -= 1
        case 2 if not r["self_service"]:
            r["self_service"] = "我的-设置-隐私"
        case 3 if channels:
            r["channels"] = [*r["channels"], channels[0]]
        case 4 if not r["free"]:
            r["free"] = True
        case _:
            return False
    return True


def remove_refusal_ground(d: Data, draw: st.DrawFn) -> bool:
    if not d["rights"]["refusal_grounds"]:
        return False
    d["rights"]["refusal_grounds"].remove(_pick(draw, d["rights"]["refusal_grounds"]))
    return True


def share_less(d: Data, draw: st.DrawFn) -> bool:
    """A recipient or SDK gets fewer elements or purposes, or protects PI more."""
    if draw(st.booleans()) and (s := _choose(draw, [s for s in d["sdks"] if s["elements"]])):
        s["elements"].remove(_pick(draw, s["elements"]))
        return True
    if not (r := _choose(draw, d["recipients"])):
        return False
    field = draw(st.sampled_from(["elements", "purposes", "delete_on_end", "de_identified"]))
    if field in ("elements", "purposes") and len(r[field]) > 1:
        r[field].remove(_pick(draw, r[field]))
    elif field == "delete_on_end" and not r["delete_on_end"]:
        r["delete_on_end"] = True
    elif field == "de_identified" and r["de_identified"] != "always":
        r["de_identified"] = "always"
    else:
        return False
    return True


def scenario_shares_less(d: Data, draw: st.DrawFn) -> bool:
    if not (s := _choose(draw, [s for s in d["scenarios"] if s["recipients"]])):
        return False
    s["recipients"].remove(_pick(draw, s["recipients"]))
    return True


def promise_more(d: Data, draw: st.DrawFn) -> bool:
    """Faster replies, a security measure, older users only, more notice, data kept at home."""
    match draw(st.integers(0, 5)):
        case 0:
            days = d["contacts"]["reply_within_working_days"]
            if days == 1:
                return False
            d["contacts"]["reply_within_working_days"] = (days - 1) if days else 15
        case 1:
            d["security"]["measures"] = [*d["security"]["measures"], "定期开展安全审计"]
        case 2:
            d["policy"]["minimum_age"] += 1
        case 3:
            d["policy"]["notice_methods"] = [*d["policy"]["notice_methods"], "站内信"]
        case 4 if d["storage"]["cross_border"]:
            d["storage"]["cross_border"] = False
        case 5 if s := _choose(draw, [s for s in d["scenarios"] if s["function"] == "basic"]):
            s["function"] = "extended"
        case _:
            return False
    return True


def reword(d: Data, draw: st.DrawFn) -> bool:
    """Names, labels, notes, version and dates."""
    match draw(st.integers(0, 6)):
        case 0:
            _pick(draw, d["scenarios"])["name"] += "（修订）"
        case 1:
            _pick(draw, d["consents"])["label"] += "（修订）"
        case 2:
            _pick(draw, d["contacts"]["channels"])["label"] += "（修订）"
        case 3:
            d["policy"].update(
                version=d["policy"]["version"] + ".1", updated="2030-01-01", effective="2030-01-08"
            )
        case 4:
            d["app"]["about"] += "（修订）"
        case 5 if d["recipients"]:
            _pick(draw, d["recipients"])["name"] += "（修订）"
        case 6 if listed := [s for s in d["scenarios"] if s["elements"]]:
            _pick(draw, _pick(draw, listed)["elements"])["note"] = "用于核验"
        case _:
            return False
    return True


NARROWING: list[Mutation] = [
    remove_scenario,
    remove_element,
    drop_purpose,
    remove_recipient,
    remove_third_party,
    remove_permission,
    make_optional,
    shorten_retention,
    tighten_retention,
    strengthen_consent,
    consent_asked_more,
    widen_rights,
    remove_refusal_ground,
    share_less,
    scenario_shares_less,
    promise_more,
    reword,
]


# ---------------------------------------------------------------- widening, by what it widens


def add_scenario(d: Data, draw: st.DrawFn) -> bool:
    d["scenarios"].append(
        {**copy.deepcopy(_pick(draw, d["scenarios"])), "id": _fresh(d["scenarios"], "extra")}
    )
    return True


def add_element(d: Data, draw: st.DrawFn) -> bool:
    s = _pick(draw, d["scenarios"])
    if not (
        new := _choose(draw, [e for e in ELEMENTS if e not in {u["id"] for u in s["elements"]}])
    ):
        return False
    s["elements"].append({"id": new, "required": draw(st.booleans())})
    return True


def add_permission(d: Data, draw: st.DrawFn) -> bool:
    s = _pick(draw, d["scenarios"])
    if not (
        new := _choose(
            draw, [p for p in PERMISSIONS if p not in {u["permission"] for u in s["permissions"]}]
        )
    ):
        return False
    s["permissions"].append({"permission": new})
    return True


def make_required(d: Data, draw: st.DrawFn) -> bool:
    uses = [u for _, u in _uses(d, draw(st.sampled_from(["elements", "permissions"])))]
    if not (use := _choose(draw, [u for u in uses if not u["required"]])):
        return False
    use["required"] = True
    return True


def collect_differently(d: Data, draw: st.DrawFn) -> bool:
    """A collection method added, a permission asked at launch, an extended function made basic."""
    s = _pick(draw, d["scenarios"])
    match draw(st.integers(0, 2)):
        case 0 if "partner" not in s["methods"]:
            s["methods"].append("partner")
        case 1 if use := _choose(draw, [u for u in s["permissions"] if u["when"] != "at_launch"]):
            use["when"] = "at_launch"
        case 2 if s["function"] == "extended":
            s["function"] = "basic"
        case _:
            return False
    return True


def add_purpose(d: Data, draw: st.DrawFn) -> bool:
    holder = _pick(draw, [*d["scenarios"], *d["recipients"], *d["sdks"], *d["tracking"]])
    if not (new := _choose(draw, [p for p in PURPOSES if p not in holder["purposes"]])):
        return False
    holder["purposes"].append(new)
    return True


def keep_longer(d: Data, draw: st.DrawFn) -> bool:
    """A longer or unbounded period, a later start, a weaker end, a minimum, a fixed period."""
    if not (rule := _choose(draw, d["retention"])):
        return False
    match draw(st.integers(0, 4)):
        case 0 if rule["period"]:
            longer = [p for p in PERIODS if _days(p) > _days(rule["period"])]
            rule["period"] = draw(st.sampled_from([None, *longer]))
        case 1 if rule["starts"] not in (None, "account_cancellation"):
            rule["starts"] = "account_cancellation"
        case 2 if rule["then"] not in (None, "anonymise"):
            rule["then"] = "anonymise"
        case 3 if rule["minimum"] is None:
            rule["minimum"] = draw(st.sampled_from(PERIODS))
        case 4 if rule["bound"] == "at_most":
            rule["bound"] = "exactly"
        case _:
            return False
    return True


def add_receiver(d: Data, draw: st.DrawFn) -> bool:
    """A new recipient, SDK, H5 page, or tracking item that collects PI."""
    elements = draw(st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=3, unique=True))
    purposes = [draw(st.sampled_from(PURPOSES))]
    match draw(st.sampled_from(["recipients", "sdks", "h5_links", "tracking"])):
        case "recipients":
            d["recipients"].append(
                {
                    "id": _fresh(d["recipients"], "partner"),
                    "kind": "other_handler",
                    "name": "合作机构",
                    "purposes": purposes,
                    "elements": elements,
                }
            )
        case "sdks":
            d["sdks"].append(
                {
                    "id": _fresh(d["sdks"], "sdk"),
                    "name": "统计SDK",
                    "function": "统计分析",
                    "provider": "某科技有限公司",
                    "elements": elements,
                    "purposes": purposes,
                }
            )
        case "h5_links":
            d["h5_links"].append(
                {
                    "id": _fresh(d["h5_links"], "h5"),
                    "name": "合作页面",
                    "domain": "h5.example.com",
                    "elements": elements,
                }
            )
        case "tracking":
            d["tracking"].append(
                {
                    "id": _fresh(d["tracking"], "cookie"),
                    "kind": "cookie",
                    "name": "uid",
                    "elements": elements,
                    "purposes": purposes,
                }
            )
    return True


def share_more(d: Data, draw: st.DrawFn) -> bool:
    """More PI to a recipient or SDK, a scenario sharing with one more, PI sent abroad."""
    holder = _choose(draw, [*d["recipients"], *d["sdks"]])
    s = _pick(draw, d["scenarios"])
    match draw(st.integers(0, 3)):
        case 0 if holder and (
            new := _choose(draw, [e for e in ELEMENTS if e not in holder["elements"]])
        ):
            holder["elements"].append(new)
        case 1 if new := _choose(
            draw, [r["id"] for r in d["recipients"] if r["id"] not in s["recipients"]]
        ):
            s["recipients"].append(new)
        case 2 if not d["storage"]["cross_border"]:
            d["storage"]["cross_border"] = True
        case 3 if r := _choose(draw, [r for r in d["recipients"] if r["location"] != "abroad"]):
            r["location"] = "abroad"
        case _:
            return False
    return True


def weaken_consent(d: Data, draw: st.DrawFn) -> bool:
    """Any kind that is not strictly stronger: weaker, sideways, or guardian."""
    c = _pick(draw, d["consents"])
    now = _strength(c["kind"])
    weaker = [
        k.value
        for k in ConsentKind
        if k.value != c["kind"] and (now is None or (_strength(k.value) or -1) <= now)
    ]
    c["kind"] = draw(st.sampled_from(weaker))
    return True


def stop_asking(d: Data, draw: st.DrawFn) -> bool:
    """A scenario drops a consent that none of its other consents matches in strength."""
    kinds = {c["id"]: _strength(c["kind"]) for c in d["consents"]}
    candidates = []
    for s in d["scenarios"]:
        for ident in s["consents"]:
            others = [kinds.get(o) for o in s["consents"] if o != ident]
            mine = kinds.get(ident)
            if (
                ident in kinds
                and mine is not None
                and all(o is not None and o < mine for o in others)
            ):
                candidates.append((s, ident))
    if not (pair := _choose(draw, candidates)):
        return False
    pair[0]["consents"].remove(pair[1])
    return True


def ask_less(d: Data, draw: st.DrawFn) -> bool:
    """Consent asked less often (at registration only), or when no longer said."""
    if not (c := _choose(draw, [c for c in d["consents"] if c["asked"] is not None])):
        return False
    c["asked"] = (
        None
        if c["asked"] == "at_registration"
        else draw(st.sampled_from([None, "at_registration"]))
    )
    return True


def less_choice(d: Data, draw: st.DrawFn) -> bool:
    """Fewer ways to withdraw, a harsher effect of refusing, another legal basis."""
    c = _pick(draw, d["consents"])
    s = _pick(draw, d["scenarios"])
    match draw(st.integers(1, 3)):
        case 1 if c["withdraw_via"]:
            c["withdraw_via"] = c["withdraw_via"][1:]
        case 2:
            s["on_refusal"] += "拒绝后将无法使用本平台全部服务。"
        case 3:
            s["legal_basis"] = "contract" if s["legal_basis"] != "contract" else "consent"
        case _:
            return False
    return True


def narrow_rights(d: Data, draw: st.DrawFn) -> bool:
    """A right removed, a slower deadline, a precondition, a fee, a channel gone, a refusal ground."""
    items = d["rights"]["items"]
    r = _pick(draw, items)
    match draw(st.integers(0, 5)):
        case 0 if len(items) > 1:
            items.remove(r)
        case 1 if r["deadline"]:
            r["deadline"]["working_days"] += 10
        case 2:
            r["preconditions"] = [*r["preconditions"], "结清全部借款"]
        case 3 if r["free"]:
            r["free"] = False
        case 4 if r["channels"]:
            r["channels"] = r["channels"][1:]
        case 5:
            grounds = d["rights"]["refusal_grounds"]
            grounds.append({"id": _fresh(grounds, "ground"), "text": "涉及商业秘密的"})
        case _:
            return False
    return True


def change_who(d: Data, draw: st.DrawFn) -> bool:
    """The handler, the service model, a contact channel (X03 A, B, D)."""
    match draw(st.integers(0, 2)):
        case 0:
            d["app"]["handler"]["name"] += "（新）"
        case 1:
            d["app"]["service_model"] += "及自营放贷"
        case 2:
            _pick(draw, d["contacts"]["channels"])["value"] += "0"
    return True


WIDENING: dict[str, list[Mutation]] = {
    "what is collected": [
        add_scenario,
        add_element,
        add_permission,
        make_required,
        collect_differently,
    ],
    "why": [add_purpose],
    "how long": [keep_longer],
    "who receives it": [add_receiver, share_more],
    "the user's choice": [weaken_consent, stop_asking, ask_less, less_choice, narrow_rights],
    "who and how (X03)": [change_who],
}
ALL_WIDENING = [m for kind in WIDENING.values() for m in kind]


# ---------------------------------------------------------------- properties

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # no explain phase: it varies parts of a failing example independently, which the
    # mutations' dependent draws (an element of the scenario drawn before) do not allow
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


def _apply(d: Data, draw: st.DrawFn, mutations: list[Mutation], count: int) -> list[str]:
    """Up to ``count`` of ``mutations`` that apply, drawn at random; their names.

    After each, ``d`` is validated and dumped again, so that entities a mutation added
    carry every field the next mutation may read.
    """
    applied = []
    for _ in range(count):
        mutation = draw(st.sampled_from(mutations))
        if mutation(d, draw):
            applied.append(mutation.__name__)
            _normalise(d)
    return applied


def _normalise(d: Data) -> None:
    dumped = Declaration.model_validate(d).model_dump(mode="json")
    d.clear()
    d.update(dumped)


@st.composite
def starts(draw: st.DrawFn) -> Data:
    """A reference declaration, possibly narrowed a little first."""
    d = copy.deepcopy(draw(st.sampled_from(STARTS)))
    _apply(d, draw, NARROWING, draw(st.integers(0, 2)))
    return d


def _name(mutation: Mutation) -> str:
    return mutation.__name__


@pytest.mark.parametrize("first", NARROWING, ids=_name)
@SETTINGS
@given(starts(), st.data())
def test_narrowing_and_rewording_are_never_material(
    first: Mutation, start: Data, data: st.DataObject
) -> None:
    after = copy.deepcopy(start)
    assume(first(after, data.draw))
    _normalise(after)
    more = _apply(after, data.draw, NARROWING, data.draw(st.integers(0, 3)))
    old, new = Declaration.model_validate(start), Declaration.model_validate(after)
    material = [c for c in diff(old, new) if c.material]
    assert not material, ([first.__name__, *more], material)


@pytest.mark.parametrize("widening", ALL_WIDENING, ids=_name)
@SETTINGS
@given(starts(), st.data())
def test_any_widening_is_material_with_a_named_reason(
    widening: Mutation, start: Data, data: st.DataObject
) -> None:
    after = copy.deepcopy(start)
    assume(widening(after, data.draw))
    reworded = _apply(after, data.draw, [reword], data.draw(st.integers(0, 2)))
    old, new = Declaration.model_validate(start), Declaration.model_validate(after)
    material = [c for c in diff(old, new) if c.material]
    assert material, (widening.__name__, reworded)
    assert any(not c.reason.startswith(UNKNOWN.reason) for c in material), material


def test_every_kind_of_widening_is_generated() -> None:
    assert set(WIDENING) >= {
        "what is collected",
        "why",
        "how long",
        "who receives it",
        "the user's choice",
    }
    assert all(WIDENING.values())
