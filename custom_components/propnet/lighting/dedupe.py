"""Remember recent command ids, bounded by age and by count, to drop repeats."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
import time


class Dedupe:
    """A set of command ids bounded by age (TTL) and by count (least recently seen out).

    An id is a repeat while it was seen within ``ttl`` seconds and is among
    the ``capacity`` most recently seen; seeing a repeat counts as seeing it,
    so a sender that keeps repeating an id keeps it remembered. The clock is
    injectable so tests and restores use the same time base as the engine
    (wall clock seconds, so the memory survives a restart).
    """

    def __init__(
        self,
        ttl: float = 900.0,
        capacity: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Start empty."""
        if ttl <= 0 or capacity <= 0:
            raise ValueError("ttl and capacity must be above zero")
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        """Return how many ids are remembered (expired ones may linger until pruned)."""
        return len(self._seen)

    def _prune(self, now: float) -> None:
        cutoff = now - self.ttl
        while self._seen:
            oldest_id, seen_at = next(iter(self._seen.items()))
            if seen_at > cutoff and len(self._seen) <= self.capacity:
                break
            del self._seen[oldest_id]

    def seen(self, cmd_id: str) -> bool:
        """Return True if ``cmd_id`` is a repeat; otherwise remember it."""
        now = self._clock()
        self._prune(now)
        if cmd_id in self._seen:
            # Keeping the order by last sight keeps both the age and the
            # least-recently-seen eviction at the front of the dict.
            self._seen[cmd_id] = now
            self._seen.move_to_end(cmd_id)
            return True
        self._seen[cmd_id] = now
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return False

    def snapshot(self) -> list[tuple[str, float]]:
        """Return the remembered ids with when they were seen, oldest first."""
        self._prune(self._clock())
        return list(self._seen.items())

    def restore(self, items: Iterable[tuple[str, float]]) -> None:
        """Remember ``items`` (from snapshot) again, keeping the limits."""
        for cmd_id, seen_at in sorted(items, key=lambda item: item[1]):
            self._seen[cmd_id] = seen_at
            self._seen.move_to_end(cmd_id)
        self._prune(self._clock())
