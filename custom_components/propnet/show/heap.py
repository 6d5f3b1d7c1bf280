"""Keeps Python's cycle collector off what was alive when a show began, so that a full collection cannot hold a cue.

Home Assistant's heap is some 300,000 tracked objects once it has started,
and a full collection walks them all: 230 to 340 ms measured on these
machines, long enough to skip every light and action cue due meanwhile.
While a show plays, what existed before it is moved to the permanent
generation (``gc.freeze``, which costs no walk), so a collection walks only
what the show's minutes have added. When no show plays it is given back
(``gc.unfreeze``): a reference cycle that became garbage meanwhile is then
freed by the next full collection, so nothing is kept for good. Both calls
cost no walk, which matters: a show holds the heap as it starts, a few
milliseconds before its first cue. Home Assistant does not freeze its heap
itself; a freeze made by someone else in the same process (Home Assistant's
test plugin freezes for each test module) is undone when the last show
ends, since telling it apart (``gc.get_freeze_count``) walks every frozen
object.
"""

from __future__ import annotations

import gc
import logging

LOGGER = logging.getLogger(__name__)


class HeapHold:
    """The heap is frozen while anyone holds it, and given back when the last lets go."""

    def __init__(self) -> None:
        """Nothing is held."""
        self._holders: set[object] = set()

    @property
    def held(self) -> bool:
        """Return whether a show holds the heap frozen now."""
        return bool(self._holders)

    def hold(self, holder: object) -> None:
        """Freeze the heap for ``holder`` (once for any number of holders)."""
        if not self._holders:
            gc.freeze()
            LOGGER.debug("A show began: the heap is frozen")
        self._holders.add(holder)

    def release(self, holder: object) -> None:
        """Let go for ``holder``; the last to let go gives the heap back."""
        if holder not in self._holders:
            return
        self._holders.discard(holder)
        if not self._holders:
            gc.unfreeze()
            LOGGER.debug("No show plays: the heap is given back to the collector")


HEAP = HeapHold()
