"""The erasure batch holds the cyclic GC back while it runs and gives it back after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from yinsi.services.rights_batch_sets import GC_YOUNG, batch_runtime


@pytest.fixture
def gc_state() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("gc_state")
def test_the_batch_restores_the_threshold_and_unfreezes_what_it_froze() -> None:
    gc.set_threshold(700, 10, 10)
    with batch_runtime():
        assert gc.get_threshold()[0] == GC_YOUNG
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("gc_state")
def test_a_process_that_froze_its_start_up_stays_frozen_after_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``yinsi serve`` freezes its start-up objects; a batch run in it must not undo that.
    (Watched on ``gc.unfreeze`` itself: the freeze count also drops whenever a frozen
    object is freed, so comparing counts fails at random in a full run.)"""
    unfrozen: list[None] = []
    real_unfreeze = gc.unfreeze
    monkeypatch.setattr(gc, "unfreeze", lambda: unfrozen.append(real_unfreeze()))
    gc.freeze()
    with batch_runtime():
        pass
    assert unfrozen == []
    assert gc.get_freeze_count() > 0
