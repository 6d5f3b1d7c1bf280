"""The heap hold: frozen while any show holds it, given back by the last, and nothing kept for good."""

from __future__ import annotations

from collections.abc import Iterator
import gc
import weakref

import pytest

from custom_components.propnet.show.heap import HeapHold


@pytest.fixture
def heap() -> Iterator[HeapHold]:
    """Give the test a hold of its own, on a heap nobody else has frozen."""
    # Home Assistant's test plugin (2026.2) freezes the heap for each module.
    gc.unfreeze()
    yield HeapHold()
    gc.unfreeze()


def test_what_was_alive_is_left_out_of_collections_until_the_last_show_lets_go(
    heap: HeapHold,
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


def test_garbage_made_while_frozen_is_freed_once_given_back(heap: HeapHold) -> None:
    """A reference cycle dropped while the heap is held is not lost for good: it goes once the show ends."""

    class Node:
        pass

    before = Node()
    before.self = before  # type: ignore[attr-defined]
    alive = weakref.ref(before)
    heap.hold("room")
    del before
    gc.collect()
    assert alive() is not None, "frozen: no collection walks it"
    heap.release("room")
    gc.collect()
    assert alive() is None
