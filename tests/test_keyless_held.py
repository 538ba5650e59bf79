"""A table without a key below rows that may be held (X28): the lender's repayment plan
mapped with no ``primary_key`` (a plan keyed ``(loan_no, period)`` has no single-column
key) under loans a contract or the law keeps. It used to be refused by ``map check``.

Its rows go by their parent rows' link values (``repay_plan.loan_no IN (…)``): those of
a loan that goes are erased with it, those of a held loan stay — deferred with the loan
while its contract runs, restricted when the law keeps it, erased by the deferred run
once it may go. Cell by cell, nobody else's rows are touched. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

import lender_schema
from test_hold_semantics import APP, ENV, Bench, _deleted, _keys_of, _rows, bench  # noqa: F401
from yinsi.declaration.datamap_checks import check_data_map
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action
from yinsi.rights.planner import MATCH
from yinsi.rights.predicates import PARENT
from yinsi.rights.requests import Status
from yinsi.services.rights_batch import run_many
from yinsi.taxonomy.timezone import CHINA


def _keyless(bench: Bench) -> None:  # noqa: F811 - the fixture imported above
    """The bench's map with the repayment plan's key left out."""
    text = lender_schema.data_map_text(ENV)
    keyed = "    table: repay_plan\n    primary_key: plan_id\n"
    assert text.count(keyed) == 1
    bench.open(text.replace(keyed, "    table: repay_plan\n"))


def _loan_no(snapshot: dict[str, list[tuple[object, ...]]], uid: int) -> object:
    """The number of the one loan of borrower ``uid``."""
    (loan,) = _keys_of(snapshot, uid)["loan"]
    return _rows(snapshot, "loan")[loan][1]


def _plan_rows(url: str, loan_no: object) -> list[tuple[object, ...]]:
    return [r for r in _rows(lender_schema.snapshot(url), "repay_plan").values() if r[1] == loan_no]


def test_x28_the_map_with_a_keyless_plan_below_held_loans_checks_clean(
    bench: Bench,  # noqa: F811
) -> None:
    _keyless(bench)
    assert bench.rights.data_map.dataset("repayments").keyless
    issues = check_data_map(bench.rights.data_map)
    assert not [i for i in issues if i.severity == "error"], issues


def test_x28_a_live_loans_plan_is_deferred_then_erased_by_the_loans_number(
    bench: Bench,  # noqa: F811
) -> None:
    _keyless(bench)
    person = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    loan_no = _loan_no(before, person.uid)
    assert len(_plan_rows(bench.lender.url, loan_no)) == 3

    rid = _deleted(bench, person)
    assert bench.rights.get(rid).status is Status.PARTIALLY_COMPLETED
    after = lender_schema.snapshot(bench.lender.url)
    assert after["repay_plan"] == before["repay_plan"]  # the live loan keeps its plan
    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    deferred = {d["dataset"]: d for d in restrict.params["deferred"]}
    assert deferred["repayments"]["values"] == [str(loan_no)]
    assert "keys" not in deferred["repayments"]

    (waiting,) = bench.rights.run_deferred()  # the loan runs: nothing changes
    assert waiting.waiting == {"repayments": 1, "loans": 1}
    assert lender_schema.snapshot(bench.lender.url) == after

    bench.settle(str(loan_no), date(2026, 7, 1))
    bench.now[0] = datetime(2031, 7, 2, 10, 0, tzinfo=CHINA)  # the 5 years have run out
    (done,) = bench.rights.run_deferred()
    assert done.finished and done.erased == {"repayments": 3, "loans": 1}
    gone = lender_schema.snapshot(bench.lender.url)
    assert _plan_rows(bench.lender.url, loan_no) == []
    assert len(gone["repay_plan"]) == len(before["repay_plan"]) - 3  # nobody else's
    assert bench.rights.run_deferred() == []


def test_x28_a_plan_goes_with_its_loan_and_stays_with_a_loan_the_law_keeps(
    bench: Bench,  # noqa: F811
) -> None:
    _keyless(bench)
    person = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    loan_no = _loan_no(before, person.uid)
    bench.settle(str(loan_no), date(2019, 1, 1))  # settled over 5 years ago: nothing holds it
    rid = _deleted(bench, person)
    assert bench.rights.get(rid).status is Status.COMPLETED
    erase = next(s for s in bench.rights.steps(rid) if s.dataset == "repayments")
    assert erase.params[MATCH] == {PARENT: "loans", "values": [str(loan_no)]}
    assert erase.outcome["affected"] == 3
    after = lender_schema.snapshot(bench.lender.url)
    assert _plan_rows(bench.lender.url, loan_no) == []
    assert len(after["repay_plan"]) == len(before["repay_plan"]) - 3

    other = next(
        p for p in bench.lender.people if p.loan_status == "settled" and p.uid != person.uid
    )
    kept_no = _loan_no(after, other.uid)
    bench.settle(str(kept_no), date(2026, 5, 1))  # settled a month ago: the law keeps it
    rid = _deleted(bench, other)
    assert len(_plan_rows(bench.lender.url, kept_no)) == 3  # kept with its loan
    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    assert "transaction_records" in restrict.params["elements"]  # store only
    assert not restrict.params.get("deferred")
    assert not [s for s in bench.rights.steps(rid) if s.dataset == "repayments"]


def test_x28_a_batch_erases_the_plans_of_loans_that_go_in_one_statement(
    bench: Bench,  # noqa: F811
) -> None:
    _keyless(bench)
    before = lender_schema.snapshot(bench.lender.url)
    people = [p for p in bench.lender.people if p.loan_status == "settled"][:2]
    numbers = []
    requests = []
    for person in people:
        numbers.append(_loan_no(before, person.uid))
        bench.settle(str(numbers[-1]), date(2019, 1, 1))  # nothing holds them any more
        request = bench.rights.submit(str(person.uid), "deletion", trigger="purpose_done")
        bench.rights.verify(request.id, person.id_number[-6:], method="id_suffix")
        bench.rights.approve(request.id, actor="operator")
        requests.append(request.id)
    report = run_many(bench.rights, requests, actor="operator")
    assert set(report.status.values()) == {Status.COMPLETED}, report
    assert report.set_based >= 2 * 3  # the plans, the loans, the rest: set-based
    for request_id in requests:
        step = next(s for s in bench.rights.steps(request_id) if s.dataset == "repayments")
        assert step.outcome["affected"] == 3  # each request its own loan's plan
    after = lender_schema.snapshot(bench.lender.url)
    assert not [r for r in after["repay_plan"] if r[1] in numbers]
    assert len(after["repay_plan"]) == len(before["repay_plan"]) - 6


def test_x28_the_deferred_run_keeps_the_plan_a_legal_hold_names_though_its_loan_goes(
    bench: Bench,  # noqa: F811
) -> None:
    """A legal hold on the repayment plans, placed after the deletion, with loans erased
    field by field (the loan row stays, so the hold does not keep it): when the loan may
    go, the deferred run erases its fields but keeps its plan, as the deletion would."""
    text = lender_schema.data_map_text(ENV)
    keyed = "    table: repay_plan\n    primary_key: plan_id\n"
    loans = "    parent: {dataset: applications, column: apply_id}\n    erase: row\n"
    assert text.count(keyed) == 1 and text.count(loans) == 1
    fields = loans.replace("erase: row", "erase: fields")
    bench.open(text.replace(keyed, "    table: repay_plan\n").replace(loans, fields))
    person = bench.lender.person("outstanding")
    loan_no = _loan_no(lender_schema.snapshot(bench.lender.url), person.uid)
    rid = _deleted(bench, person)
    assert bench.services is not None
    with bench.services.units() as uow:
        since = datetime(2026, 6, 2, tzinfo=CHINA)
        hold = LegalHold("lh1", APP, str(person.uid), "诉讼保全", since, "t", "repayments")
        uow.holds.add(hold, actor="t")
        uow.commit()
    bench.settle(str(loan_no), date(2026, 7, 1))
    bench.now[0] = datetime(2031, 7, 2, 10, 0, tzinfo=CHINA)
    (done,) = bench.rights.run_deferred()
    assert done.erased == {"loans": 1}  # the loan's fields go, its plan stays
    assert len(_plan_rows(bench.lender.url, loan_no)) == 3
    assert "transaction_records" in done.restricted
    assert bench.rights.get(rid).status is Status.PARTIALLY_COMPLETED
