"""Measured lead times: how long each Home Assistant action takes to show, kept per action and target."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
import statistics
from typing import Final

# The last few measures of a target, so one slow call (a Zigbee retry) moves
# its lead little and a device that got slower is followed within a few runs.
KEEP: Final = 9
MAX_LEAD_MS: Final = 10_000


class Leads:
    """The measures of each target, and the lead they give: their median."""

    def __init__(self) -> None:
        """Nothing measured yet."""
        self._measures: dict[str, deque[int]] = {}
        self.timeouts = 0

    def add(self, key: str, took_ms: float) -> None:
        """Keep one measure of ``key`` (milliseconds from the call to its effect)."""
        kept = self._measures.setdefault(key, deque(maxlen=KEEP))
        kept.append(max(0, min(MAX_LEAD_MS, round(took_ms))))

    def lead_ms(self, key: str, otherwise: int) -> int:
        """Return the measured lead of ``key``, or ``otherwise`` before any measure."""
        kept = self._measures.get(key)
        if not kept:
            return otherwise
        return round(statistics.median(kept))

    def as_dict(self) -> dict[str, int]:
        """Return each measured target's lead (for the show's attributes)."""
        return {key: self.lead_ms(key, 0) for key in sorted(self._measures)}

    def measures(self) -> dict[str, list[int]]:
        """Return every target's kept measures (what is saved across restarts)."""
        return {key: list(kept) for key, kept in sorted(self._measures.items())}

    def restore(self, saved: Mapping[str, object]) -> int:
        """Take back saved measures; return how many targets were dropped as malformed.

        A target whose measures are not a list of whole milliseconds is left
        out (its lead is measured again), and only the last ``KEEP`` are kept.
        """
        dropped = 0
        for key, values in saved.items():
            if (
                not isinstance(key, str)
                or not isinstance(values, list)
                or not values
                or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in values
                )
            ):
                dropped += 1
                continue
            self._measures[key] = deque(
                (max(0, min(MAX_LEAD_MS, v)) for v in values), maxlen=KEEP
            )
        return dropped
