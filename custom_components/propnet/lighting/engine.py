"""The single writer of the RGB state: one queue in, one sequenced state out."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import time
from typing import Final

from ..protocol.decode import ProtocolError
from ..protocol.rgb import RgbCommand, RgbState, parse_rgb_command
from .dedupe import Dedupe

# At most this many commands are applied before the run task lets the event
# loop go on: a burst of 100,000 must not hold Home Assistant for its length.
BATCH: Final = 256


class Source(StrEnum):
    """Where a command came from; decides what may be dropped when the queue is full."""

    DEVICE = "device"  # an ESP sender over MQTT
    CONSOLE = "console"  # a DMX console on the serial input
    UI = "ui"  # Home Assistant's light, a dashboard drag, an old web client


class Submitted(StrEnum):
    """What became of a command offered to the engine."""

    QUEUED = "queued"
    INVALID = "invalid"  # broke the contract; counted as rejected
    QUEUE_FULL = "queue_full"  # counted as dropped or overflowed

    def __bool__(self) -> bool:
        """Return True when the command was queued."""
        return self is Submitted.QUEUED


@dataclass(slots=True)
class EngineStats:
    """Counters that always add up to the commands offered to the engine."""

    processed: int = 0
    deduplicated: int = 0
    rejected: int = 0  # broke the contract
    dropped: int = 0  # a UI update pushed out of a full queue
    overflowed: int = 0  # a device or console command refused by a full queue
    last_latency_ms: float = 0.0
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def offered(self) -> int:
        """Return every command the engine was given, in any outcome."""
        return (
            self.processed
            + self.deduplicated
            + self.rejected
            + self.dropped
            + self.overflowed
        )


@dataclass(slots=True)
class _Pending:
    command: RgbCommand
    source: Source
    received: float


type StateListener = Callable[[RgbState], None]


class LightingEngine:
    """Applies RGB commands one at a time, in order, from a bounded queue.

    Producers call ``submit`` (never blocking); the ``run`` task is the only
    code that changes ``state``. Each accepted command raises ``seq`` by
    exactly one; a repeated ``cmdId`` changes nothing.
    """

    def __init__(
        self,
        dedupe: Dedupe,
        queue_size: int = 10000,
        state: RgbState | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        """Start from ``state`` (a restored one keeps ``seq`` rising)."""
        if queue_size <= 0:
            raise ValueError("queue_size must be above zero")
        self.dedupe = dedupe
        self.queue_size = queue_size
        self.state = state or RgbState()
        self.stats = EngineStats()
        self._clock_ms = clock_ms
        self._queue: deque[_Pending] = deque()
        self._wake = asyncio.Event()
        self._listeners: list[StateListener] = []
        # The highest seq that is safe to publish (saved as reserved before
        # use); commands wait in the queue beyond it. None: no limit.
        self.seq_ceiling: int | None = None
        # Called once after each batch the run task applies, whatever its
        # outcome, so counters shown elsewhere follow without a call per command.
        self.on_batch: Callable[[], None] | None = None

    @property
    def queue_depth(self) -> int:
        """Return how many commands wait to be applied."""
        return len(self._queue)

    def add_listener(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener(state)`` after each accepted command; return a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _count(self, reason: str) -> None:
        self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1

    def submit_payload(
        self, payload: str | bytes | bytearray, source: Source
    ) -> Submitted:
        """Parse a ``<base>/cmd`` payload and queue it; count it if it is invalid."""
        try:
            command = parse_rgb_command(payload)
        except ProtocolError as err:
            self.stats.rejected += 1
            self._count(err.reason)
            return Submitted.INVALID
        return self.submit(command, source)

    def submit(self, command: RgbCommand, source: Source) -> Submitted:
        """Queue a command; say what became of it (it is falsy unless queued).

        A full queue drops its oldest UI update to make room. A device or
        console command is never dropped for another; when no UI update is
        there to drop, the new command is refused and counted.
        """
        if len(self._queue) >= self.queue_size:
            for index, pending in enumerate(self._queue):
                if pending.source is Source.UI:
                    del self._queue[index]
                    self.stats.dropped += 1
                    break
            else:
                if source is Source.UI:
                    self.stats.dropped += 1
                else:
                    self.stats.overflowed += 1
                return Submitted.QUEUE_FULL
        self._queue.append(_Pending(command, source, time.perf_counter()))
        self._wake.set()
        return Submitted.QUEUED

    def apply_pending(self, limit: int | None = None) -> int:
        """Apply queued commands now (``limit`` at most), up to the seq ceiling; return how many."""
        taken = 0
        while (
            self._queue
            and (limit is None or taken < limit)
            and (self.seq_ceiling is None or self.state.seq < self.seq_ceiling)
        ):
            self._apply(self._queue.popleft())
            taken += 1
        return taken

    def wake(self) -> None:
        """Look at the queue again (after the ceiling was raised)."""
        self._wake.set()

    async def run(self) -> None:
        """Apply commands as they come, until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                taken = self.apply_pending(BATCH)
                if taken and self.on_batch is not None:
                    self.on_batch()
                if taken < BATCH or not self._queue:
                    break
                await asyncio.sleep(0)

    def _apply(self, pending: _Pending) -> None:
        command = pending.command
        if self.dedupe.seen(command.cmd_id):
            self.stats.deduplicated += 1
            return
        previous = self.state
        self.state = RgbState(
            r=command.r,
            g=command.g,
            b=command.b,
            seq=previous.seq + 1,
            ts=self._clock_ms(),
            src=command.src,
            cmd_id=command.cmd_id,
        )
        self.stats.processed += 1
        self.stats.last_latency_ms = (time.perf_counter() - pending.received) * 1000
        for listener in list(self._listeners):
            listener(self.state)
