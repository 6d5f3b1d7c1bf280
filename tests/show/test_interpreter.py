"""The interpreter hold: while any show plays the heap is frozen and the switch interval short; the last to let go gives both back, and nothing is kept for good."""

from __future__ import annotations

from collections.abc import Iterator
import gc
import sys
import weakref

import pytest

from custom_components.propnet.show.interpreter import SWITCH_INTERVAL, InterpreterHold


class Node:
    """An object that keeps itself alive: only the cycle collector frees it."""

    def __init__(self) -> None:
        """Refer to itself."""
        self.self = self


@pytest.fixture
def heap() -> Iterator[InterpreterHold]:
    """Give the test a hold of its own, on a heap nobody else has frozen."""
    # Home Assistant's test plugin (2026.2) freezes the heap for each module.
    gc.unfreeze()
    yield InterpreterHold()
    gc.unfreeze()


def test_what_was_alive_is_left_out_of_collections_until_the_last_show_lets_go(
    heap: InterpreterHold,
) -> None:
    """Two shows hold it; it stays frozen until both let go, and a stranger's release changes nothing."""
    kept = [[] for _ in range(1000)]
    heap.hold("room")
    frozen = gc.get_freeze_count()
    assert frozen >= len(kept)
    heap.hold("idle loop")
    assert gc.get_freeze_count() == frozen, "the second hold freezes nothing more"
    heap.release("room")
    heap.release("a show that never held it")
    assert heap.held
    assert gc.get_freeze_count() == frozen
    heap.release("idle loop")
    assert not heap.held
    assert gc.get_freeze_count() == 0


def test_garbage_made_while_frozen_is_freed_once_given_back(
    heap: InterpreterHold,
) -> None:
    """A reference cycle dropped while the heap is held is not lost for good: it goes once the show ends."""

    before = Node()
    alive = weakref.ref(before)
    heap.hold("room")
    del before
    gc.collect()
    assert alive() is not None, "frozen: no collection walks it"
    heap.release("room")
    gc.collect()
    assert alive() is None


def test_the_switch_interval_is_short_while_a_show_plays_and_given_back_after(
    heap: InterpreterHold,
) -> None:
    """The event loop waits at most half a millisecond for another thread's turn while a show plays; the old interval comes back."""
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.004)
        heap.hold("room")
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL, rel=0.01)
        heap.hold("idle loop")
        heap.release("room")
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL, rel=0.01)
        heap.release("idle loop")
        assert sys.getswitchinterval() == pytest.approx(0.004, rel=0.01)
    finally:
        sys.setswitchinterval(before)


def test_young_garbage_is_freed_as_a_show_starts_not_frozen_with_the_heap(
    heap: InterpreterHold,
) -> None:
    """A reference cycle dropped just before a show starts is freed by the hold itself, not kept frozen (and then in the old generation) for the whole show."""

    dropped = Node()
    gone = weakref.ref(dropped)
    # No automatic collection may free it first: only the hold's own.
    gc.disable()
    try:
        del dropped
        assert gone() is not None
        heap.hold("room")
        assert gone() is None
        assert heap.held
    finally:
        gc.enable()
        heap.release("room")
