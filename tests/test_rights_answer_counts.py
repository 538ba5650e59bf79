"""The count of erased records an answer states (X28): exact after one run of each erase
step, a lower bound once a step ran again after an interruption (its store may have
committed before the journal did), and no figure when that bound is 0."""

from __future__ import annotations

from datetime import UTC, datetime

from yinsi.declaration.datamap import DataMap
from yinsi.rights.answers import erased_count, summary
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.requests import RightKind, RightsRequest, Status, Transition

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


def test_x28_an_erasure_that_found_nothing_does_not_say_it_erased() -> None:
    """ "已删除…（0条记录）" states an erasure that did not happen: the answer says that
    nothing could be erased; rows kept by law are then explained by the lines after."""
    request = RightsRequest(
        id="r1",
        app_id="xiaoying_kadai",
        subject_id="u1",
        kind=RightKind.DELETION,
        status=Status.EXECUTING,
        received_at=AT,
        history=(Transition(AT, Status.RECEIVED, "subject"),),
    )
    empty = DataMap.model_construct(datasets=[])  # only its labels are read
    nothing = summary(request, [_erased(1, 0), _erased(2, 0)], [], empty)
    assert nothing == "经核查，没有可删除或匿名化处理的您的个人信息（0条记录）。"
    some = summary(request, [_erased(1, 2)], [], empty)
    assert some == "已删除或匿名化处理您的个人信息（2条记录）。"
    unsure = summary(request, [_erased(1, 0, attempts=2)], [], empty)
    assert unsure == "已删除或匿名化处理您的个人信息。"  # a re-run: the first may have erased
