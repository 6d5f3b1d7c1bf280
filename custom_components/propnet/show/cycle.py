"""A haunt room's cycle around one show: armed, idle loop, trigger, show, cooldown, re-arm.

Plain asyncio with injected clocks, like the runner. A trigger starts the
show only when the room is armed, the show is not running, the cooldown
since its last end has passed, it is not quiet hours and the runs of the
last hour are under the limit; otherwise the trigger is refused, counted
and said why. While armed and waiting, the idle loop plays (hub-timed, so
the props keep the main show's cue list to themselves).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import StrEnum
import logging
import time

from .model import Cycle
from .runner import NotReadyError, Runner

LOGGER = logging.getLogger(__name__)
HOUR_S = 3600.0


class Phase(StrEnum):
    """Where the room is in its cycle (an enum sensor's states)."""

    DISARMED = "disarmed"
    WAITING = "waiting"
    RUNNING = "running"
    COOLDOWN = "cooldown"


class Refusal(StrEnum):
    """Why a trigger did not start the show."""

    DISARMED = "disarmed"
    RUNNING = "running"
    COOLDOWN = "cooldown"
    QUIET_HOURS = "quiet_hours"
    RUNS_PER_HOUR = "runs_per_hour"
    NOT_READY = "not_ready"


class HauntCycle:
    """The cycle's state and counts, and whether a trigger starts the show."""

    def __init__(
        self,
        plan: Cycle,
        runner: Runner,
        idle: Runner | None,
        *,
        now: Callable[[], float] = time.monotonic,
        minute_of_day: Callable[[], int] | None = None,
    ) -> None:
        """Drive ``runner`` (and the ``idle`` loop) as ``plan`` says."""
        self.plan = plan
        self.runner = runner
        self.idle = idle
        self.now = now
        self.minute_of_day = minute_of_day or _local_minute
        self.armed = plan.armed
        self.cooldown_ms = plan.cooldown_ms
        self.triggers = 0
        self.refused = 0
        self.last_refusal: Refusal | None = None
        self.last_end: float | None = None
        self._starts: deque[float] = deque()
        self._was_playing = False
        self._closed = False
        self._listeners: list[Callable[[], None]] = []
        self._unlisten = runner.listen(self._on_runner)

    def listen(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when the phase, the settings or the counts change."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    @property
    def phase(self) -> Phase:
        """Return where the room is now."""
        if self.runner.state != "idle":
            return Phase.RUNNING
        if not self.armed:
            return Phase.DISARMED
        if self.cooling_s() > 0:
            return Phase.COOLDOWN
        return Phase.WAITING

    def cooling_s(self) -> float:
        """Return the seconds of cooldown still to run (0 when none)."""
        if self.last_end is None:
            return 0.0
        return max(0.0, self.last_end + self.cooldown_ms / 1000 - self.now())

    def why_not(self) -> Refusal | None:
        """Return why a trigger now would not start the show, or None."""
        if not self.armed:
            return Refusal.DISARMED
        if self.runner.state != "idle":
            return Refusal.RUNNING
        if self.cooling_s() > 0:
            return Refusal.COOLDOWN
        if (quiet := self.plan.quiet) is not None and _within(
            self.minute_of_day(), *quiet
        ):
            return Refusal.QUIET_HOURS
        if self.plan.per_hour is not None:
            self._forget_old()
            if len(self._starts) >= self.plan.per_hour:
                return Refusal.RUNS_PER_HOUR
        return None

    def _forget_old(self) -> None:
        while self._starts and self._starts[0] <= self.now() - HOUR_S:
            self._starts.popleft()

    async def async_trigger(self) -> Refusal | None:
        """Start the show if the cycle allows; return the refusal otherwise (counted)."""
        self.triggers += 1
        reason = self.why_not()
        if reason is None:
            if self.idle is not None:
                await self.idle.stop()
            try:
                await self.runner.play()
            except NotReadyError as err:
                LOGGER.warning(
                    "%s: a trigger found props not ready: %s",
                    self.runner.show.name,
                    err,
                )
                reason = Refusal.NOT_READY
                await self.async_idle()
            else:
                self._starts.append(self.now())
        if reason is not None:
            self.refused += 1
            self.last_refusal = reason
            self.runner.emit("refused", reason=reason.value)
        self._changed()
        return reason

    async def async_set_armed(self, armed: bool) -> None:
        """Arm (the idle loop plays) or disarm (it stops; a running show plays on)."""
        self.armed = armed
        if armed:
            await self.async_idle()
        elif self.idle is not None:
            await self.idle.stop()
        self._changed()

    def set_cooldown(self, ms: int) -> None:
        """Change the cooldown (from the Cooldown number)."""
        self.cooldown_ms = max(0, ms)
        self._changed()

    async def async_idle(self) -> None:
        """Play the idle loop if the room is armed and waiting for a trigger."""
        if (
            self.idle is not None
            and not self._closed
            and self.armed
            and self.runner.state == "idle"
            and self.idle.state == "idle"
        ):
            try:
                await self.idle.play(force=True)
            except Exception as err:  # noqa: BLE001 - the room stays armed without its loop
                LOGGER.warning(
                    "%s: the idle loop did not start: %s", self.runner.show.name, err
                )

    def _on_runner(self) -> None:
        playing = self.runner.state != "idle"
        if self._was_playing and not playing:
            self.last_end = self.now()
            # The idle loop comes back once the show is over (the cooldown
            # only holds off triggers).
            self.runner.spawn(self.async_idle())
        self._was_playing = playing
        self._changed()

    def close(self) -> None:
        """Stop following the runner (on unload)."""
        self._closed = True
        self._unlisten()
        if self.idle is not None:
            self.idle.close()


def _within(minute: int, start: int, until: int) -> bool:
    """Return whether ``minute`` of the day is in [start, until), which may span midnight."""
    if start <= until:
        return start <= minute < until
    return minute >= start or minute < until


def _local_minute() -> int:
    now = time.localtime()
    return now.tm_hour * 60 + now.tm_min
