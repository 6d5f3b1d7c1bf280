"""Count dropped messages and log them without flooding the log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
import logging
import time
from typing import Final

# Distinct (prop, topic, reason) triples remembered for "once until valid
# again"; beyond this a flood of made-up ids only raises counters.
MAX_REMEMBERED: Final = 4096
# A storm of one reason is over after this long without another such drop.
QUIET_AFTER: Final = 60.0
# A storm that goes on is summed up in the log this often.
SUMMARY_EVERY: Final = 300.0


@dataclass(slots=True)
class _Storm:
    """Drops of one reason since the warning that opened them."""

    last: float
    reported: float
    suppressed: int = 0


class DropLog:
    """Counts drops by reason and logs each reason once while drops keep coming.

    The first drop of a reason is a warning naming the prop and the problem.
    Drops of that reason that follow, from any prop, go to the debug log and
    are counted; ``flush`` (called every minute by the hub) logs how many
    there were once the storm is over, or every few minutes while it lasts.
    A source (prop, topic, reason) that was warned about is not warned about
    again until ``forget`` says it is valid again (protocol.md section 4).
    Memory is bounded, whatever the prop ids.
    """

    def __init__(
        self, logger: logging.Logger, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Start with no drops."""
        self._logger = logger
        self._clock = clock
        self.counts: Counter[str] = Counter()
        self._storms: dict[str, _Storm] = {}
        self._warned: set[tuple[str, str, str]] = set()

    @property
    def total(self) -> int:
        """Return how many messages were dropped in all."""
        return self.counts.total()

    def drop(self, prop_id: str, topic: str, reason: str, detail: str) -> None:
        """Count one dropped message and log it if its reason is not storming."""
        self.counts[reason] += 1
        now = self._clock()
        storm = self._storms.get(reason)
        source = (prop_id, topic, reason)
        if source in self._warned or (
            storm is not None and now - storm.last < QUIET_AFTER
        ):
            if storm is None:
                storm = self._storms[reason] = _Storm(last=now, reported=now)
            storm.last = now
            storm.suppressed += 1
            self._logger.debug(
                "Dropped %s from %r (%s): %s", topic, prop_id, reason, detail
            )
            return
        if storm is not None:
            self._summarise(reason, storm, now)
        self._storms[reason] = _Storm(last=now, reported=now)
        if len(self._warned) < MAX_REMEMBERED:
            self._warned.add(source)
        self._logger.warning(
            "Dropped a message on %s from prop %r (%s): %s; further drops for "
            "this reason are counted and summed up in the log",
            topic,
            prop_id,
            reason,
            detail,
        )

    @property
    def warned(self) -> bool:
        """Return whether any source is waiting for ``forget``."""
        return bool(self._warned)

    def forget(self, prop_id: str, topic: str, reason: str) -> None:
        """Let the next drop from this source be warned about again."""
        self._warned.discard((prop_id, topic, reason))

    def flush(self) -> None:
        """Log the count of each storm that ended, or that has gone on a while."""
        now = self._clock()
        for reason, storm in list(self._storms.items()):
            ended = now - storm.last >= QUIET_AFTER
            if storm.suppressed and (ended or now - storm.reported >= SUMMARY_EVERY):
                self._summarise(reason, storm, now)
            if ended:
                del self._storms[reason]

    def _summarise(self, reason: str, storm: _Storm, now: float) -> None:
        if storm.suppressed:
            self._logger.warning(
                "Dropped %d more messages (%s) in the last %.0f s",
                storm.suppressed,
                reason,
                now - storm.reported,
            )
        storm.suppressed = 0
        storm.reported = now
