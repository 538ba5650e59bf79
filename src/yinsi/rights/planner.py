"""From a verified, approved request and the records found, the plan of steps to run.

Access, copy and transfer export every dataset; deletion and cancellation erase every
erasable record, children before parents, tell processors to erase theirs, restrict
what legal retention keeps and defer what a running contract keeps (X28, X30);
withdrawal and opting out of personalisation record the withdrawal and erase what was
collected under that consent only (X29, X33); a correction sets the element wherever it
is held (X27). Complaints, contests of automated decisions
and requests for explanation are answered by a person (X32, X36).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from yinsi.declaration.datamap import DataMap, Dataset, walk_order
from yinsi.declaration.schema import Declaration
from yinsi.rights.corrections import columns_for
from yinsi.rights.holds import HoldKind
from yinsi.rights.plan import Action, Step
from yinsi.rights.predicates import PARENT, link_values, predicate_chain
from yinsi.rights.requests import InvalidRequest, RightsRequest
from yinsi.rights.walk import Found, HoldReason
from yinsi.taxonomy import RightKind

EXPORT_KINDS = frozenset({RightKind.ACCESS, RightKind.COPY, RightKind.TRANSFER})
ERASE_KINDS = frozenset({RightKind.DELETION, RightKind.CANCEL_ACCOUNT})
CONSENT_KINDS = frozenset({RightKind.WITHDRAW_CONSENT, RightKind.OPT_OUT_PERSONALISATION})
REVIEW_KINDS = frozenset(
    {RightKind.COMPLAINT, RightKind.CONTEST_AUTOMATED_DECISION, RightKind.EXPLANATION}
)
ALL = "*"
MATCH = "match"
"""An erase step's params key for a predicate instead of keys: ``{"user_id": [subject],
"via": [parent, …, root]}`` (the subject id is the request's own; no other value)."""


def subset(dataset: Dataset, elements: Iterable[str] | None) -> Dataset | None:
    """The dataset narrowed to fields holding ``elements`` (None: all), erased field by field.

    A row-level dataset narrowed to some of its elements keeps its rows: only those fields
    are erased (a field whose strategy is ``delete`` is nulled).
    """
    if elements is None:
        return dataset
    wanted = set(elements)
    fields = [f for f in dataset.fields if f.element in wanted]
    if not fields:
        return None
    return dataset.model_copy(update={"fields": fields, "erase": "fields"})


def plan(
    request: RightsRequest,
    data_map: DataMap,
    declaration: Declaration,
    found: Found,
) -> list[Step]:
    """The steps of ``request``, numbered from 1; raises :class:`InvalidRequest`."""
    kind = request.kind
    steps: list[tuple[Action, str | None, list[str], dict[str, object]]] = []
    order = walk_order(data_map)
    if kind in EXPORT_KINDS:
        for ds in order:
            keys = [r.key for r in found.records.get(ds.id, [])]
            if keys and ds.keyless:  # no key names its rows: read again by predicate
                steps.append((Action.EXPORT, ds.id, [], {MATCH: _match(data_map, ds, found)}))
            elif keys:
                steps.append((Action.EXPORT, ds.id, keys, {}))
        steps.append((Action.EXPORT, None, [], {"package": True}))
    elif kind in ERASE_KINDS:
        steps += _erasure(data_map, found, None)
        if kind is RightKind.CANCEL_ACCOUNT:
            steps.append((Action.RESTRICT, None, [], {"elements": [ALL], "cancelled": True}))
    elif kind in CONSENT_KINDS:
        consent_id = request.consent_id or _personalisation_item(declaration)
        item = next((c for c in declaration.consents if c.id == consent_id), None)
        if item is None:
            raise InvalidRequest(
                f"unknown consent item {consent_id!r}; items: "
                + ", ".join(c.id for c in declaration.consents)
            )
        steps.append((Action.WITHDRAW, None, [], {"consent_id": item.id}))
        steps += _erasure(data_map, found, collected_under(declaration, item.id))
    elif kind is RightKind.CORRECTION:
        for element, value in request.corrections.items():
            for ds in order:
                keys = [r.key for r in found.records.get(ds.id, [])]
                for f in columns_for(ds, element, value) if keys else []:  # X27
                    params: dict[str, object] = {"element": element, "field": f.name}
                    if ds.keyless:  # every row of the person's, by predicate
                        params[MATCH] = _match(data_map, ds, found)
                    steps.append((Action.CORRECT, ds.id, [] if ds.keyless else keys, params))
        if not steps:
            raise InvalidRequest(
                "no dataset holds "
                + ", ".join(request.corrections)
                + ": nothing to correct (check the data map)"
            )
    elif kind is RightKind.RESTRICT:
        steps.append((Action.RESTRICT, None, [], {"elements": [ALL]}))
    elif kind in REVIEW_KINDS:
        steps.append((Action.REVIEW, None, [], {}))
    else:  # pragma: no cover - validate_new refuses the rest
        raise InvalidRequest(f"no plan for {kind.value}")
    return [
        Step(request.id, n, action, dataset, tuple(keys), dict(params))
        for n, (action, dataset, keys, params) in enumerate(steps, start=1)
    ]


def _erasure(
    data_map: DataMap, found: Found, elements: set[str] | None
) -> list[tuple[Action, str | None, list[str], dict[str, object]]]:
    """Erase steps (children first), then one RESTRICT step for what holds keep.

    A dataset in :attr:`Found.predicates` (nothing can hold its rows; a table without a
    key unless a legal hold keeps it) gets one erase step with its predicate
    (``params["match"]``), no keys: the step counts what it erased. A table without a
    key below rows that may be held goes by its parent rows' link values (:func:`_below_held`).
    Rows kept under legal retention have their elements restricted (store only); rows kept
    by a running contract are not (its processing goes on) and are listed in ``deferred``,
    erased once it ends (:mod:`yinsi.services.rights_deferred`). A restriction is per
    element: one a deferred row also holds (a live loan beside a settled one kept by law)
    is ``postponed`` until no deferred row holds it (it would stop the contract's
    processing).
    """
    steps: list[tuple[Action, str | None, list[str], dict[str, object]]] = []
    kept_reasons: list[HoldReason] = []
    restricted: set[str] = set()
    contract: set[str] = set()  # elements of the rows a running contract keeps
    deferred: list[dict[str, object]] = []
    for ds in reversed(walk_order(data_map)):  # children before parents: no dangling key
        narrowed = subset(ds, elements)
        if narrowed is None and not (elements and set(ds.elements) & elements):
            continue
        params: dict[str, object] = {} if elements is None else {"elements": sorted(elements)}
        via = found.predicates.get(ds.id)
        if via is not None:  # nothing can hold its rows: erased by predicate, no keys
            match = {"user_id": list(found.identities["user_id"]), "via": list(via)}
            if not ds.erases_nothing:
                steps.append((Action.ERASE, ds.id, [], {**params, MATCH: match}))
            continue
        keys = found.erasable(ds.id)
        if ds.keyless and ds.parent is not None and found.records.get(ds.parent.dataset):
            erase, reasons, by_law, entry = _below_held(data_map, ds, found, params)
            steps, kept_reasons, deferred = steps + erase, kept_reasons + reasons, deferred + entry
            held_elements = {f.element for f in (narrowed or ds).fields}
            restricted |= held_elements if by_law else set()
            contract |= held_elements if entry else set()
            continue
        if ds.keyless and keys:  # the walk gives its predicate unless a hold keeps it all
            raise InvalidRequest(
                f"dataset {ds.id!r} has no primary_key and no predicate to erase it by: "
                "check the data map (`yinsi map check`)"
            )
        if ds.table is None and ds.key is None:  # a processor's webhook
            if found.records.get(ds.id) or ds.elements:
                steps.append((Action.NOTIFY, ds.id, keys or found.identities["user_id"], params))
            continue
        if keys and not ds.erases_nothing:
            steps.append((Action.ERASE, ds.id, keys, params))
        waiting: list[str] = []
        for key, reasons in found.held.get(ds.id, {}).items():
            kept_reasons.extend(reasons)
            if any(r.kind is HoldKind.LEGAL_RETENTION for r in reasons):
                restricted.update(f.element for f in (narrowed or ds).fields)
            else:
                waiting.append(key)
        if waiting:
            deferred.append({"dataset": ds.id, "keys": waiting, **params})
            contract.update(f.element for f in (narrowed or ds).fields)
    if kept_reasons:
        postponed = restricted & contract
        kept = {
            (r.dataset, r.reason, r.until.isoformat() if r.until else None, r.kind.value)
            for r in kept_reasons
        }
        restrict: dict[str, object] = {
            "elements": sorted(restricted - postponed),
            "kept": [
                {"dataset": d, "reason": why, "until": until, "kind": kind}
                for d, why, until, kind in sorted(kept, key=lambda t: (t[0], t[1], t[3]))
            ],
        }
        if deferred:
            restrict["deferred"] = deferred
        if postponed:
            restrict["postponed"] = sorted(postponed)
        steps.append((Action.RESTRICT, None, [], restrict))
    return steps


def _below_held(
    data_map: DataMap, ds: Dataset, found: Found, params: dict[str, object]
) -> tuple[
    list[tuple[Action, str | None, list[str], dict[str, object]]],
    list[HoldReason],
    bool,
    list[dict[str, object]],
]:
    """A table without a key below rows that may be held: the erase step of the rows
    whose parent row goes (by its link values, :data:`~yinsi.rights.predicates.PARENT`),
    why the others are kept, whether the law keeps some (their elements restricted), and
    the deferred entry (none or one) of those a running contract keeps, by value."""
    assert ds.parent is not None
    going, parked = by_parent(data_map, ds, found)
    steps: list[tuple[Action, str | None, list[str], dict[str, object]]] = []
    if going and not ds.erases_nothing:
        by_values: dict[str, object] = {PARENT: ds.parent.dataset, "values": going}
        steps.append((Action.ERASE, ds.id, [], {**params, MATCH: by_values}))
    reasons = [replace(r, dataset=ds.id) for why in parked.values() for r in why]
    by_law = any(r.kind is HoldKind.LEGAL_RETENTION for r in reasons)
    on_contract = [
        v for v, why in parked.items() if not any(r.kind is HoldKind.LEGAL_RETENTION for r in why)
    ]
    entry = [{"dataset": ds.id, "values": on_contract, **params}] if on_contract else []
    return steps, reasons, by_law, entry


def by_parent(
    data_map: DataMap, ds: Dataset, found: Found
) -> tuple[list[str], dict[str, list[HoldReason]]]:
    """A keyless dataset's rows by its parent's: the link values of the parent rows that
    go, and of those kept with why — a held parent row keeps its children, and a row of
    the dataset held itself (a legal hold naming it) keeps the value it links by. The
    deletion's plan and its deferred run (:mod:`yinsi.services.rights_deferred`) both
    decide by it."""
    assert ds.parent is not None
    parent = ds.parent.dataset
    values = link_values(data_map, ds, found.records.get(parent, []))
    kept: dict[str, list[HoldReason]] = {}
    for key, reasons in found.held.get(parent, {}).items():
        if key in values:
            kept.setdefault(values[key], []).extend(reasons)
    own = found.held.get(ds.id, {})
    for record in found.records.get(ds.id, []):
        value = record.values.get(ds.parent.column)
        if record.key in own and value is not None:
            mine = kept.setdefault(str(value), [])
            mine.extend(r for r in own[record.key] if r not in mine)
    return sorted({v for v in values.values() if v not in kept}), kept


def _match(data_map: DataMap, ds: Dataset, found: Found) -> dict[str, list[str]]:
    """A step's predicate on the subject (``params["match"]``) for a table no key names
    the rows of (:attr:`~yinsi.declaration.datamap.Dataset.keyless`)."""
    return {"user_id": list(found.identities["user_id"]), "via": predicate_chain(data_map, ds)}


def collected_under(declaration: Declaration, consent_id: str) -> set[str]:
    """The elements collected under a consent item only, which its withdrawal erases
    (PIPL Art. 47 (3)): those the item names, else those of the scenarios that need the
    item and of no scenario without it (what other functions still need is kept)."""
    item = next(c for c in declaration.consents if c.id == consent_id)
    if item.elements:
        return set(item.elements)
    own = {e for s in declaration.scenarios if consent_id in s.consents for e in s.element_ids}
    other = {
        e for s in declaration.scenarios if consent_id not in s.consents for e in s.element_ids
    }
    return own - other


def _personalisation_item(declaration: Declaration) -> str:
    for item in declaration.consents:
        if "personal" in item.id:
            return item.id
    raise InvalidRequest(
        "opting out of personalisation needs the consent item (consent_id): the declaration "
        "has none whose id mentions 'personal'"
    )
