"""What a playing show asks of Python in Home Assistant: the old heap kept from the cycle collector, and a short thread switch interval, both given back when no show plays.

The heap. Home Assistant's is some 300,000 tracked objects once it has
started, and a full collection walks them all: 230 to 340 ms measured on
these machines, long enough to skip every light and action cue due
meanwhile. While a show plays, what existed before it is moved to the
permanent generation (``gc.freeze``, which costs no walk), so a collection
walks only what the show's minutes have added. The young generations are
collected first (``gc.collect(1)``, which walks only them): what they hold
is then either freed or in the old generation, where it would have gone
anyway, and no young garbage is frozen. Without that, each play froze the
young garbage of its first instant, and once given back it waited in the
old generation for a full collection: Home Assistant grew 0.5 MB a minute
in a soak of 30 s plays, against 0.15 without the freeze and 0.13 with
the young collected first (docs/benchmarks.md). When no show
plays the heap is given back (``gc.unfreeze``): a reference cycle that
became garbage meanwhile is then freed by the next full collection, so
nothing is kept for good. A show holds the heap as it starts, its start
lead (500 ms unless it says) before its first cue. A freeze made by someone
else in the same process (Home Assistant's test plugin freezes for each
test module) is undone when the last show ends, since telling it apart
(``gc.get_freeze_count``) walks every frozen object.

The switch interval. The event loop shares the interpreter's lock with
Home Assistant's other threads, the recorder's above all. A thread that
wants the lock gets it when its holder waits on I/O or, at the latest,
after the switch interval (5 ms by default): a cue whose timer fires while
the recorder works in Python waits that long (measured: a light cue 4.6 to
5.2 ms late in two of three idle plays, and none with 0.5 ms). While a show
plays the interval is ``SWITCH_INTERVAL``; it costs only threads that
contend for the lock, a few more switches a second, and the interval found
at the first hold is put back when the last show ends.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from typing import Final

LOGGER = logging.getLogger(__name__)

SWITCH_INTERVAL: Final = 0.0005


class InterpreterHold:
    """Held while any show plays: the heap frozen and the switch interval short; the last to let go gives both back."""

    def __init__(self) -> None:
        """Nothing is held."""
        self._holders: set[object] = set()
        self._interval = sys.getswitchinterval()

    @property
    def held(self) -> bool:
        """Return whether a show holds the interpreter now."""
        return bool(self._holders)

    def hold(self, holder: object) -> None:
        """Hold for ``holder`` (the first holder collects the young, freezes and shortens; later ones only count)."""
        if not self._holders:
            began = time.perf_counter()
            gc.collect(1)
            gc.freeze()
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
            LOGGER.debug(
                "A show began: the young collected (%.1f ms), the heap frozen,"
                " the switch interval short",
                (time.perf_counter() - began) * 1000,
            )
        self._holders.add(holder)

    def release(self, holder: object) -> None:
        """Let go for ``holder``; the last to let go gives the heap and the interval back."""
        if holder not in self._holders:
            return
        self._holders.discard(holder)
        if not self._holders:
            gc.unfreeze()
            sys.setswitchinterval(self._interval)
            LOGGER.debug(
                "No show plays: the heap and the switch interval are given back"
            )


INTERPRETER = InterpreterHold()
