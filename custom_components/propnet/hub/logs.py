"""Props' log lines: the last ones kept, watched live, and written to Home Assistant's log at a bounded rate."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
import logging
import time
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from ..protocol.messages import LogLine

# Lines kept per prop for diagnostics and for whoever starts watching.
LOG_LINES: Final = 100
# Home Assistant's log takes a prop's lines at this rate with this burst; the
# rest are kept and watched as usual, and counted in one line when the rate
# allows again. A prop stuck in a loop that logs cannot fill the disk.
LOG_RATE: Final = 5.0
LOG_BURST: Final = 20.0

LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

type LogWatcher = Callable[[dict[str, Any]], None]


class _Bucket:
    """A token bucket: ``take`` says whether one more line fits the rate."""

    __slots__ = ("held", "stamp", "tokens")

    def __init__(self, now: float) -> None:
        self.tokens = LOG_BURST
        self.stamp = now
        self.held = 0

    def take(self, now: float) -> bool:
        self.tokens = min(LOG_BURST, self.tokens + (now - self.stamp) * LOG_RATE)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class PropLogs:
    """Every prop's recent lines and live watchers, for one hub."""

    def __init__(
        self, logger: logging.Logger, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Write lines under ``logger``'s ``props.<id>`` children."""
        self._logger = logger
        self._clock = clock
        self.lines: dict[str, deque[dict[str, Any]]] = {}
        self._watchers: dict[str, list[LogWatcher]] = defaultdict(list)
        self._buckets: dict[str, _Bucket] = {}

    def add(self, prop_id: str, line: LogLine) -> None:
        """Keep ``line``, hand it to the watchers, and log it if the rate allows."""
        entry = {
            "time": dt_util.utcnow().isoformat(),
            "level": line.level,
            "msg": line.msg,
        }
        self.lines.setdefault(prop_id, deque(maxlen=LOG_LINES)).append(entry)
        for watcher in list(self._watchers.get(prop_id, ())):
            watcher(entry)
        now = self._clock()
        bucket = self._buckets.get(prop_id)
        if bucket is None:
            bucket = self._buckets[prop_id] = _Bucket(now)
        logger = self._logger.getChild(f"props.{prop_id}")
        if not bucket.take(now):
            bucket.held += 1
            return
        if bucket.held:
            logger.warning(
                "%d lines from this prop were not written here (more than %g a "
                "second); its diagnostics and live log have the last %d",
                bucket.held,
                LOG_RATE,
                LOG_LINES,
            )
            bucket.held = 0
        logger.log(LEVELS[line.level], "%s", line.msg)

    def recent(self, prop_id: str) -> list[dict[str, Any]]:
        """Return the prop's kept lines, oldest first."""
        return list(self.lines.get(prop_id, ()))

    @callback
    def watch(self, prop_id: str, watcher: LogWatcher) -> CALLBACK_TYPE:
        """Call ``watcher`` with each line ``prop_id`` logs from now on."""
        self._watchers[prop_id].append(watcher)

        @callback
        def stop() -> None:
            self._watchers[prop_id].remove(watcher)

        return stop

    def watching(self) -> int:
        """Return how many watchers follow any prop (for tests and diagnostics)."""
        return sum(len(w) for w in self._watchers.values())

    def forget(self, prop_id: str) -> None:
        """Drop what is kept of a removed prop."""
        self.lines.pop(prop_id, None)
        self._buckets.pop(prop_id, None)
