"""Count and log dropped messages without flooding the log."""

from __future__ import annotations

from collections import Counter
import logging
from typing import Final

# Distinct (prop, topic, reason) triples remembered for "log once"; beyond
# this a flood of made-up ids only raises counters, never memory.
MAX_REMEMBERED: Final = 4096


class DropLog:
    """Counts drops by reason and logs each new kind of problem once.

    The first drop for a (prop, topic, reason) is a warning; repeats go to the
    debug log until ``forget`` says that source is valid again.
    """

    def __init__(self, logger: logging.Logger) -> None:
        """Start with no drops."""
        self._logger = logger
        self.counts: Counter[str] = Counter()
        self._warned: set[tuple[str, str, str]] = set()

    @property
    def total(self) -> int:
        """Return how many messages were dropped in all."""
        return self.counts.total()

    def drop(self, prop_id: str, topic: str, reason: str, detail: str) -> None:
        """Count one dropped message and log it if it is a new problem."""
        self.counts[reason] += 1
        key = (prop_id, topic, reason)
        if key in self._warned:
            self._logger.debug("Dropped %s from %s: %s", topic, prop_id, detail)
            return
        if len(self._warned) < MAX_REMEMBERED:
            self._warned.add(key)
        self._logger.warning(
            "Dropped a message on %s from prop %r (%s): %s; "
            "further drops like it are logged at debug level",
            topic,
            prop_id,
            reason,
            detail,
        )

    def forget(self, prop_id: str, topic: str, reason: str) -> None:
        """Let the next drop of this kind be logged again."""
        self._warned.discard((prop_id, topic, reason))
