"""Runs one show: prop cues sent ahead and started on the hub's clock, the rest fired by the hub at their instant.

Plain asyncio with an injected clock (hub microseconds) and an injected set
of targets, so it runs in tests without Home Assistant. Props that run
shows get their cues before the start and fire them themselves; a prop
without shows (older firmware), or one whose clock is not synced when the
user starts anyway, gets each cue as a command the hub sends at its
instant. Light cues are set on the fixture in the same step as the hub
reaches their instant, so the first frame leaves then, not at the next
periodic frame. Nothing fires late in silence: a cue the hub reaches later
than its tolerance is skipped and counted, and the lateness of those it
fires is kept, so a user sees the hub's own timing as props report theirs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
import logging
from typing import Any, Protocol

from ..protocol.cues import Cue
from ..protocol.timesync import hub_us
from .model import ActionCue, LightCue, SequenceCue, Show
from .timer import SleepUntil, loop_sleep_until

LOGGER = logging.getLogger(__name__)
END_GRACE_MS = 250
# The hub's own cues whose lateness is kept: the latest of a run (and its
# loops), enough for a p99 that means something, bounded for a long show.
LATENESS_KEPT = 1000


class Targets(Protocol):
    """What a show acts on: props (through the hub) and Home Assistant actions."""

    def runs_shows(self, prop: str) -> bool:
        """Return whether the prop fires cue lists itself."""

    def not_ready(self, prop: str) -> str | None:
        """Return why the prop cannot take part now (offline, clock not synced), or None."""

    async def load(self, prop: str, show: str, cues: list[Cue]) -> None:
        """Send the prop its cue list."""

    async def start(self, prop: str, at_us: int, from_ms: int) -> None:
        """Start the prop's loaded show so that ``from_ms`` falls at hub time ``at_us``."""

    async def halt(self, prop: str, pause: bool) -> None:
        """Pause or stop the prop's show."""

    async def command(self, prop: str, cue: Cue) -> None:
        """Carry out one cue on the prop now, as a command."""

    async def call(self, cue: ActionCue) -> None:
        """Call one Home Assistant action now (timing it, for a measured lead)."""

    def lead_ms(self, cue: ActionCue) -> int:
        """Return how long before its instant to call the action: measured, or the show's."""

    def light(self, show: str, cue: LightCue) -> None:
        """Set a show lighting fixture now (raises if it cannot)."""

    def fixture_not_ready(self, fixture: str) -> str | None:
        """Return why a show lighting fixture cannot take part now, or None."""

    def sequence_not_ready(self) -> str | None:
        """Return why sequences cannot play onto show lighting now, or None."""

    def sequence_frame(self, owner: str, cue: SequenceCue, frame: bytes) -> None:
        """Show one frame of a sequence now (its channels over the fixtures')."""

    def sequence_clear(self, owner: str) -> None:
        """Take a sequence's channels away: the fixtures show again."""


class ShowBusyError(Exception):
    """A start while the show runs, for a show that does not restart."""


class NotReadyError(Exception):
    """Props the show needs that cannot take part now, with why."""

    def __init__(self, reasons: dict[str, str]) -> None:
        """Keep the reasons by prop."""
        self.reasons = reasons
        super().__init__(", ".join(f"{p}: {r}" for p, r in reasons.items()))


@dataclass(frozen=True, slots=True)
class _HubCue:
    due_ms: int  # when the hub acts (the instant, less any lead)
    tolerance_ms: int
    prop: str | None
    cue: Cue | None
    action: ActionCue | None
    light: LightCue | None = None


class Runner:
    """One show's state: idle, playing or paused, its position, and its counts."""

    def __init__(
        self,
        show: Show,
        targets: Targets,
        now: Callable[[], int] = hub_us,
        *,
        loop: bool = False,
        hub_timed: bool = False,
        sleep_until: SleepUntil | None = None,
    ) -> None:
        """Run ``show`` on ``targets``.

        ``loop`` starts it again at its end until stopped (an idle loop);
        ``hub_timed`` has the hub send every prop cue as a command, leaving
        the props' own cue lists to the main show. ``sleep_until`` waits for
        an instant of ``now``'s clock (asyncio's timers unless given).
        """
        self.show = show
        self.targets = targets
        self.now = now
        self.sleep_until = sleep_until or loop_sleep_until(now)
        self.loop = loop
        self.hub_only = hub_timed
        self._listeners: list[Callable[[], None]] = []
        self._event_listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._spawned: set[asyncio.Task[None]] = set()
        self.state = "idle"
        self.start_us = 0  # the hub's time at the show's zero while playing
        self.paused_ms = 0
        self.runs = 0
        self.skipped = 0
        self.failed = 0
        self.fired = 0
        self.frames_shown = 0
        self.frames_skipped = 0
        # How late the hub reached each cue it fired (us), since the last start.
        self.lateness_us: deque[int] = deque(maxlen=LATENESS_KEPT)
        self.last_started_us: int | None = None
        self.hub_timed: tuple[str, ...] = ()
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()

    def listen(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` on every change of state or counts; return how to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def on_change(self) -> None:
        """Tell every listener."""
        for listener in list(self._listeners):
            listener()

    def listen_events(
        self, listener: Callable[[str, dict[str, Any]], None]
    ) -> Callable[[], None]:
        """Call ``listener(kind, data)`` on started, ended, cue_skipped and refused."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    def emit(self, kind: str, **data: Any) -> None:
        """Tell the event listeners that ``kind`` happened."""
        for listener in list(self._event_listeners):
            listener(kind, data)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task of its own, kept until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    @property
    def position_ms(self) -> int:
        """Return where the show is, in milliseconds from its start."""
        if self.state == "playing":
            return max(
                0, min(self.show.duration_ms, (self.now() - self.start_us) // 1000)
            )
        return self.paused_ms if self.state == "paused" else 0

    def lateness(self) -> dict[str, float] | None:
        """Return how late the hub fired its own cues since the last start: their count, p50, p99 and max in ms (None before any)."""
        if not self.lateness_us:
            return None
        ordered = sorted(self.lateness_us)
        count = len(ordered)
        return {
            "cues": count,
            "p50": round(ordered[count // 2] / 1000, 2),
            "p99": round(ordered[min(count - 1, int(0.99 * count))] / 1000, 2),
            "max": round(ordered[-1] / 1000, 2),
        }

    def readiness(self) -> dict[str, str]:
        """Return the props that cannot take part now, with why (empty: ready)."""
        out: dict[str, str] = {}
        for prop in self.show.props:
            if (reason := self.targets.not_ready(prop)) is not None:
                out[prop] = reason
        for fixture in self.show.fixtures:
            if (reason := self.targets.fixture_not_ready(fixture)) is not None:
                out[f"light {fixture}"] = reason
        if self.show.sequence_cues and (reason := self.targets.sequence_not_ready()):
            out["sequences"] = reason
        return out

    async def play(self, from_ms: int = 0, *, force: bool = False) -> None:
        """Start (or restart) from ``from_ms``; raise NotReadyError unless ``force``."""
        async with self._lock:
            if self.state == "playing" and not self.show.restart:
                raise ShowBusyError(self.show.name)
            reasons = self.readiness()
            if reasons and not force:
                raise NotReadyError(reasons)
            self._cancel()
            if self.state != "idle":
                # A prop takes a new cue list only once its show has stopped.
                await self._halt(pause=False)
            self.lateness_us.clear()
            await self._begin(from_ms, reasons, load=True)
            self.runs += 1
            self.last_started_us = self.now()
            self.emit("started", position=from_ms / 1000)
            self.on_change()

    async def pause(self) -> None:
        """Hold the show where it is; props stop firing."""
        async with self._lock:
            if self.state != "playing":
                return
            self.paused_ms = self.position_ms
            self._cancel()
            self.state = "paused"
            await self._halt(pause=True)
            self.on_change()

    async def resume(self, *, force: bool = False) -> None:
        """Go on from where the show was paused."""
        async with self._lock:
            if self.state != "paused":
                return
            reasons = self.readiness()
            if reasons and not force:
                raise NotReadyError(reasons)
            await self._begin(self.paused_ms, reasons, load=False)
            self.on_change()

    async def seek(self, position_ms: int) -> None:
        """Move to ``position_ms``: at once while playing, on resume while paused."""
        position_ms = max(0, min(self.show.duration_ms, position_ms))
        async with self._lock:
            if self.state == "paused":
                self.paused_ms = position_ms
            elif self.state == "playing":
                self._cancel()
                await self._begin(position_ms, self.readiness(), load=False)
            self.on_change()

    async def stop(self) -> None:
        """Stop; the next start is from the beginning."""
        async with self._lock:
            if self.state == "idle":
                return
            self._cancel()
            self.state = "idle"
            self.paused_ms = 0
            self._clear_sequences()
            await self._halt(pause=False)
            self.emit("ended", reason="stopped")
            self.on_change()

    async def _begin(
        self, from_ms: int, not_ready: dict[str, str], *, load: bool
    ) -> None:
        show = self.show
        cueing = [
            p
            for p in show.props
            if not self.hub_only and p not in not_ready and self.targets.runs_shows(p)
        ]
        if load:
            await asyncio.gather(
                *(self.targets.load(p, show.name, show.cues_of(p)) for p in cueing)
            )
        # Props without a synced clock of their own (or none at all) get
        # their cues from the hub, as commands at the instant.
        self.hub_timed = tuple(p for p in show.props if p not in cueing)
        at_us = self.now() + show.lead_ms * 1000
        self.start_us = at_us - from_ms * 1000
        await asyncio.gather(*(self.targets.start(p, at_us, from_ms) for p in cueing))
        self.state = "playing"
        hub_cues = [
            _HubCue(c.at_ms, c.cue.tolerance_ms or 0, c.prop, c.cue, None)
            for c in show.prop_cues
            if c.prop in self.hub_timed and c.at_ms >= from_ms
        ] + [
            # No earlier than the start's own lead allows (a measured lead
            # may be longer than the cue is from the start).
            _HubCue(
                c.at_ms
                - min(self.targets.lead_ms(c), c.at_ms - from_ms + show.lead_ms),
                c.tolerance_ms,
                None,
                None,
                c,
            )
            for c in show.action_cues
            if c.at_ms >= from_ms
        ]
        hub_cues += [
            _HubCue(c.at_ms, c.tolerance_ms, None, None, None, c)
            for c in show.light_cues
            if c.at_ms >= from_ms and f"light {c.fixture}" not in not_ready
        ]
        hub_cues.sort(key=lambda c: c.due_ms)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._fire(hub_cues), name=f"propnet show {show.name}"),
            loop.create_task(self._end(), name=f"propnet show {show.name} end"),
        ]
        if "sequences" not in not_ready:
            self._tasks += [
                loop.create_task(
                    self._play(index, cue, from_ms),
                    name=f"propnet show {show.name} {cue.file}",
                )
                for index, cue in enumerate(show.sequence_cues)
                if cue.end_ms > from_ms
            ]

    async def _fire(self, cues: list[_HubCue]) -> None:
        for item in cues:
            due_us = self.start_us + item.due_ms * 1000
            await self.sleep_until(due_us)
            late_us = self.now() - due_us
            late_ms = late_us / 1000
            if late_ms > item.tolerance_ms:
                self.skipped += 1
                LOGGER.warning(
                    "Show %s skipped a cue at %.3f s: %.1f ms late",
                    self.show.name,
                    item.due_ms / 1000,
                    late_ms,
                )
                self.emit(
                    "cue_skipped", at=item.due_ms / 1000, late_ms=round(late_ms, 1)
                )
                self.on_change()
                continue
            self.lateness_us.append(late_us)
            if item.light is not None:
                # In this step, not a task later: the frame leaves now.
                try:
                    self.targets.light(self.show.name, item.light)
                    self.fired += 1
                except Exception as err:  # noqa: BLE001 - counted, the show goes on
                    self.failed += 1
                    LOGGER.warning(
                        "Show %s: a light cue failed: %s", self.show.name, err
                    )
                    self.on_change()
                continue
            # Eager: the action runs in this step up to its first wait (Home
            # Assistant starts a service's handler eagerly too), so it leaves
            # at the wake, not behind whatever the loop has queued meanwhile.
            task = asyncio.Task(
                self._act(item), loop=asyncio.get_running_loop(), eager_start=True
            )
            if not task.done():
                self._spawned.add(task)
                task.add_done_callback(self._spawned.discard)

    async def _play(self, index: int, cue: SequenceCue, from_ms: int) -> None:
        """Show each frame at its step; frames the loop was too late for are skipped and counted."""
        owner = f"{self.show.name}/{index}"
        sequence = cue.sequence
        step_us = sequence.step_ms * 1000
        origin_us = self.start_us + cue.at_ms * 1000
        frame = max(0, (from_ms - cue.at_ms) * 1000 // step_us)
        while frame < sequence.frame_count:
            due_us = origin_us + frame * step_us
            await self.sleep_until(due_us)
            behind = (self.now() - due_us) // step_us
            if behind > 0:
                # Its time is past: the frame of now is the one to show.
                self.frames_skipped += min(behind, sequence.frame_count - frame)
                frame += behind
                continue
            self.targets.sequence_frame(owner, cue, sequence.frame(frame))
            self.frames_shown += 1
            frame += 1
        # The last frame holds for its step, then the fixtures show again.
        # (Paused, the frame stays; stop clears it.)
        await self.sleep_until(origin_us + frame * step_us)
        self.targets.sequence_clear(owner)

    def _clear_sequences(self) -> None:
        for index in range(len(self.show.sequence_cues)):
            self.targets.sequence_clear(f"{self.show.name}/{index}")

    async def _act(self, item: _HubCue) -> None:
        try:
            if item.action is not None:
                await self.targets.call(item.action)
            elif item.prop is not None and item.cue is not None:
                await self.targets.command(item.prop, item.cue)
            self.fired += 1
        except Exception as err:  # noqa: BLE001 - a failed cue is counted, the show goes on
            self.failed += 1
            LOGGER.warning("Show %s: a cue failed: %s", self.show.name, err)
            self.on_change()

    async def _end(self) -> None:
        # A prop's last cue may fire at the very end, and its tolerance later
        # still: the show is over once that has passed too.
        grace = 0 if self.hub_only else END_GRACE_MS
        await self.sleep_until(self.start_us + (self.show.duration_ms + grace) * 1000)
        self._tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        if self.loop:
            async with self._lock:
                self._cancel()
                self.runs += 1
                await self._begin(0, self.readiness(), load=False)
            self.on_change()
            return
        self.state = "idle"
        self.paused_ms = 0
        self.emit("ended", reason="finished")
        self.on_change()

    async def _halt(self, *, pause: bool) -> None:
        cueing = [p for p in self.show.props if p not in self.hub_timed]
        results = await asyncio.gather(
            *(self.targets.halt(p, pause) for p in cueing), return_exceptions=True
        )
        for prop, result in zip(cueing, results, strict=True):
            if isinstance(result, Exception):
                LOGGER.warning(
                    "Show %s: %s did not %s: %s",
                    self.show.name,
                    prop,
                    "pause" if pause else "stop",
                    result,
                )

    def _cancel(self) -> None:
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._tasks = []

    def close(self) -> None:
        """Cancel what is scheduled (on unload); the props are left as they are."""
        self._cancel()
        for task in self._spawned:
            task.cancel()
        if self.state != "idle":
            self._clear_sequences()
        self.state = "idle"
