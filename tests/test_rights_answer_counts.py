"""The count of erased records an answer states (X28): exact after one run of each erase
step, a lower bound once a step ran again after an interruption (its store may have
committed before the journal did), and no figure when that bound is 0."""

from __future__ import annotations

from datetime import UTC, datetime

from yinsi.rights.answers import erased_count
from yinsi.rights.plan import Action, Step, StepStatus

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _erased(n: int, affected: int, attempts: int = 1) -> Step:
    return Step(
        "r1",
        n,
        Action.ERASE,
        "logins",
        status=StepStatus.DONE,
        attempts=attempts,
        outcome={"affected": affected},
        started_at=AT,
        finished_at=AT,
    )


def test_x28_steps_run_once_give_the_exact_count() -> None:
    assert erased_count([_erased(1, 3), _erased(2, 4)]) == "（7条记录）"
    assert erased_count([_erased(1, 0)]) == "（0条记录）"  # nothing held: exactly none


def test_x28_a_step_run_again_makes_the_count_a_lower_bound() -> None:
    assert erased_count([_erased(1, 3), _erased(2, 4, attempts=2)]) == "（至少7条记录）"


def test_x28_a_rerun_that_found_nothing_left_states_no_figure() -> None:
    # the first run erased the rows and was killed before the journal said so: the
    # re-run's predicates match nothing, and "0 records" would be untrue
    assert erased_count([_erased(1, 0, attempts=2), _erased(2, 0, attempts=2)]) == ""


def test_x28_steps_other_than_erasures_are_not_counted() -> None:
    notify = Step("r1", 3, Action.NOTIFY, status=StepStatus.DONE, attempts=3, outcome={})
    assert erased_count([_erased(1, 2), notify]) == "（2条记录）"
