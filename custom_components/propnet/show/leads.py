"""Measured lead times: how long each Home Assistant action takes to show, kept per action and target."""

from __future__ import annotations

from collections import deque
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
