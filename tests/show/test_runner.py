"""The show runner without Home Assistant: props get cues ahead and one start, the hub fires the rest on time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.propnet.protocol.cues import Cue
from custom_components.propnet.show.compile import load_show
from custom_components.propnet.show.fseq import write_fseq
from custom_components.propnet.show.model import ActionCue, LightCue, SequenceCue
from custom_components.propnet.show.runner import NotReadyError, Runner, ShowBusyError
from tests.harness.virtual_time import hold, now_us, virtual_time

SHOW = """\
lead: 0.05
cues:
  - {at: 0, prop: coffin, turn_on: lid}
  - {at: 0.1, prop: coffin, turn_off: lid}
  - {at: 0.05, prop: old_skull, press: nod}
  - {at: 0.08, action: light.turn_on, target: {entity_id: light.porch}, lead: 0.02}
duration: 0.2
"""


class Targets:
    """Records what the runner asks of props and actions, and when (hub microseconds)."""

    def __init__(self) -> None:
        """Every prop runs shows but the old skull; all are ready."""
        self.log: list[tuple[Any, ...]] = []
        self.shows = {"coffin"}
        self.unready: dict[str, str] = {}

    def runs_shows(self, prop: str) -> bool:
        """Say whether the prop fires cue lists."""
        return prop in self.shows

    def not_ready(self, prop: str) -> str | None:
        """Return why the prop is not ready."""
        return self.unready.get(prop)

    async def load(self, prop: str, show: str, cues: list[Cue]) -> None:
        """Record a load."""
        self.log.append(("load", prop, show, cues))

    async def start(self, prop: str, at_us: int, from_ms: int) -> None:
        """Record a start."""
        self.log.append(("start", prop, at_us, from_ms))

    async def halt(self, prop: str, pause: bool) -> None:
        """Record a pause or stop."""
        self.log.append(("pause" if pause else "stop", prop))

    async def command(self, prop: str, cue: Cue) -> None:
        """Record a hub-timed cue."""
        self.log.append(("command", prop, cue.op, cue.key, now_us()))

    async def call(self, cue: ActionCue) -> None:
        """Record an action."""
        self.log.append(("call", cue.domain, cue.service, now_us()))

    def lead_ms(self, cue: ActionCue) -> int:
        """Return the show's own lead (nothing measured here)."""
        return cue.lead_ms

    def light(self, show: str, cue: LightCue) -> None:
        """Record a light cue as the fixture is set."""
        self.log.append(("light", cue.fixture, cue.rgb, cue.brightness, now_us()))

    def fixture_not_ready(self, fixture: str) -> str | None:
        """Return why the fixture is not ready."""
        return self.unready.get(f"light {fixture}")

    def sequence_not_ready(self) -> str | None:
        """Return why sequences cannot play."""
        return self.unready.get("sequences")

    def sequence_frame(self, owner: str, cue: SequenceCue, frame: bytes) -> None:
        """Record a sequence's frame as it is shown."""
        self.log.append(("frame", owner, frame, now_us()))

    def sequence_clear(self, owner: str) -> None:
        """Record a sequence's channels taken away."""
        self.log.append(("clear", owner, now_us()))


def on_time(at_us: int, due_us: int) -> bool:
    """Say whether something happened at its instant (to the float clock's microsecond)."""
    return abs(at_us - due_us) <= 1


@pytest.fixture
def targets() -> Targets:
    """Return fresh targets."""
    return Targets()


@virtual_time
async def test_props_get_their_cues_ahead_and_the_hub_fires_the_rest_on_time(
    targets: Targets,
) -> None:
    """The show prop gets a list and one start; the old prop and the action are fired by the hub."""
    show = load_show(SHOW, "s.yaml", "s")
    runner = Runner(show, targets, now_us)
    await runner.play()
    assert runner.state == "playing"
    load, start = targets.log[0], targets.log[1]
    assert load == (
        "load",
        "coffin",
        "s",
        [Cue(0, "on", "lid", None, 20), Cue(100, "off", "lid", None, 20)],
    )
    assert start[:2] == ("start", "coffin")
    zero = start[2]
    assert runner.start_us == zero
    await asyncio.sleep(0.3)
    assert runner.state == "playing", "a grace after the last cue"
    await asyncio.sleep(0.3)
    assert runner.state == "idle"
    (command,) = [e for e in targets.log if e[0] == "command"]
    (call,) = [e for e in targets.log if e[0] == "call"]
    assert command[1:4] == ("old_skull", "press", "nod")
    # On virtual time the loop is never late: what is left is the runner's own.
    assert on_time(command[4], zero + 50_000)
    assert on_time(call[3], zero + 60_000)
    assert runner.runs == 1
    assert runner.skipped == 0


@virtual_time
async def test_a_show_that_is_not_ready_says_why_unless_forced(
    targets: Targets,
) -> None:
    """An unsynced prop stops the start; started anyway, the hub times its cues itself."""
    targets.unready = {"coffin": "clock not synced"}
    runner = Runner(load_show(SHOW, "s.yaml", "s"), targets, now_us)
    with pytest.raises(NotReadyError) as err:
        await runner.play()
    assert err.value.reasons == {"coffin": "clock not synced"}
    assert targets.log == []
    await runner.play(force=True)
    await asyncio.sleep(0.3)
    commands = [e[1:4] for e in targets.log if e[0] == "command"]
    assert ("coffin", "on", "lid") in commands
    assert ("coffin", "off", "lid") in commands
    assert not [e for e in targets.log if e[0] == "load"]
    runner.close()
    await asyncio.sleep(0)


@virtual_time
async def test_pause_resume_seek_and_stop(targets: Targets) -> None:
    """A pause holds the position and halts the props; resume starts them from there."""
    show = load_show(SHOW.replace("duration: 0.2", "duration: 5"), "s.yaml", "s")
    runner = Runner(show, targets, now_us)
    await runner.play()
    await asyncio.sleep(0.15)
    await runner.pause()
    assert runner.state == "paused"
    held = runner.position_ms
    assert held == 100
    assert targets.log[-1] == ("pause", "coffin")
    await runner.resume()
    assert targets.log[-1][0] == "start"
    assert targets.log[-1][3] == held
    await runner.seek(3000)
    assert targets.log[-1][3] == 3000
    with pytest.raises(ShowBusyError):
        await runner.play()
    await runner.stop()
    assert runner.state == "idle"
    assert targets.log[-1] == ("stop", "coffin")


@virtual_time
async def test_a_cue_the_hub_reaches_late_is_skipped_and_counted(
    targets: Targets,
) -> None:
    """If the hub's loop is held past a cue's tolerance, the cue is not fired late."""
    runner = Runner(load_show(SHOW, "s.yaml", "s"), targets, now_us)
    await runner.play()
    hold(0.2)  # every hub cue is now late
    await asyncio.sleep(0.2)
    assert runner.skipped == 2
    assert not [e for e in targets.log if e[0] in ("command", "call")]
    runner.close()
    await asyncio.sleep(0)


@virtual_time
async def test_the_hub_keeps_how_late_it_fired_its_own_cues(targets: Targets) -> None:
    """Each fired cue's lateness, as the hub woke for it; a skipped one is counted, not kept; a start begins afresh."""
    show = load_show(
        "lead: 0.05\ncues:\n"
        + "".join(
            f"  - {{at: {at}, light: Wash, brightness: {at * 1000:.0f}}}\n"
            for at in (0.02, 0.04, 0.06, 0.08)
        )
        + "duration: 0.1\n",
        "s.yaml",
        "s",
    )
    # The loop wakes for the cue at 20 ms 0.2 ms late, and so on; at 80 ms
    # past the default 20 ms tolerance.
    late_us = {20: 200, 40: 1000, 60: 3000, 80: 30000}

    async def wake_late(at_us: int) -> None:
        at_us += late_us.get((at_us - runner.start_us) // 1000, 0)
        if (wait := at_us - now_us()) > 0:
            await asyncio.sleep(wait / 1e6)

    runner = Runner(show, targets, now_us, sleep_until=wake_late)
    assert runner.lateness() is None
    await runner.play()
    await asyncio.sleep(0.4)
    assert runner.skipped == 1
    got = runner.lateness()
    assert got is not None
    assert got["cues"] == 3
    assert (got["p50"], got["p99"], got["max"]) == pytest.approx(
        (1.0, 3.0, 3.0), abs=0.01
    )
    late_us.clear()
    await runner.play()
    await asyncio.sleep(0.4)
    got = runner.lateness()
    assert got is not None
    assert got["cues"] == 4
    assert got["max"] == pytest.approx(0, abs=0.01)
    runner.close()
    await asyncio.sleep(0)


LIGHTS = """\
lead: 0.05
cues:
  - {at: 0.02, light: Wash, rgb: [0, 0, 255], fade: 2}
  - {at: 0.06, light: Strobe, brightness: 255, flash: 0.05}
  - {at: 0.06, prop: coffin, turn_on: lid}
duration: 0.1
"""


@virtual_time
async def test_light_cues_are_set_at_their_instant_by_the_hub(targets: Targets) -> None:
    """A fixture is set in the step the hub reaches the cue's instant; a missing one is left out."""
    runner = Runner(load_show(LIGHTS, "s.yaml", "s"), targets, now_us)
    await runner.play()
    zero = runner.start_us
    await asyncio.sleep(0.45)
    lights = [e for e in targets.log if e[0] == "light"]
    assert [e[1:4] for e in lights] == [
        ("Wash", (0, 0, 255), None),
        ("Strobe", None, 255),
    ]
    for entry, at_ms in zip(lights, (20, 60), strict=True):
        assert on_time(entry[4], zero + at_ms * 1000)
    targets.log.clear()
    targets.unready = {"light Strobe": "no such fixture"}
    assert runner.readiness() == {"light Strobe": "no such fixture"}
    with pytest.raises(NotReadyError):
        await runner.play()
    await runner.play(force=True)
    await asyncio.sleep(0.2)
    assert [e[1] for e in targets.log if e[0] == "light"] == ["Wash"]
    await runner.stop()


@virtual_time
async def test_a_loop_plays_again_at_its_end_with_the_hub_timing_every_prop(
    targets: Targets,
) -> None:
    """An idle loop never sends the props a cue list: their own is the main show's."""
    runner = Runner(
        load_show(LIGHTS, "s.yaml", "s"), targets, now_us, loop=True, hub_timed=True
    )
    await runner.play()
    await asyncio.sleep(0.35)
    assert runner.state == "playing"
    assert runner.runs >= 3
    assert not [e for e in targets.log if e[0] in ("load", "start")]
    assert [e[1] for e in targets.log if e[0] == "command"][:2] == ["coffin", "coffin"]
    await runner.stop()
    assert runner.state == "idle"


def sequence_show(count: int = 12) -> tuple[list[bytes], Runner, Targets]:
    """Return the frames of a 25 ms sequence, a runner playing it at 0.05 s, and its targets."""
    made = [bytes([n] * 8) for n in range(count)]
    show = load_show(
        "lead: 0.05\ncues:\n  - {at: 0.05, sequence: s.fseq}\n",
        "s.yaml",
        "s",
        {"s.fseq": write_fseq(made, 25)}.__getitem__,
    )
    targets = Targets()
    return made, Runner(show, targets, now_us), targets


@virtual_time
async def test_a_sequence_shows_every_frame_at_its_step_then_gives_the_fixtures_back() -> (
    None
):
    """Frame n at the cue's instant plus n steps, in order, none skipped; then cleared."""
    made, runner, targets = sequence_show()
    await runner.play()
    zero = runner.start_us
    await asyncio.sleep(0.05 + 12 * 0.025 + 0.1)
    shown = [e for e in targets.log if e[0] == "frame"]
    assert [e[2] for e in shown] == made
    for n, entry in enumerate(shown):
        assert on_time(entry[3], zero + 50_000 + n * 25_000), n
    (clear,) = [e for e in targets.log if e[0] == "clear"]
    assert clear[2] >= zero + 50_000 + 12 * 25_000
    assert (runner.frames_shown, runner.frames_skipped) == (12, 0)
    await runner.stop()


@virtual_time
async def test_a_sequence_seeks_holds_on_pause_and_is_cleared_on_stop() -> None:
    """Seek starts at the frame of the new position; pause keeps the frame; stop clears it."""
    made, runner, targets = sequence_show(200)
    await runner.play(from_ms=50 + 100 * 25)
    await asyncio.sleep(0.1)
    shown = [e[2] for e in targets.log if e[0] == "frame"]
    assert shown[0] == made[100]
    await runner.pause()
    await asyncio.sleep(0.01)
    assert not [e for e in targets.log if e[0] == "clear"]
    await runner.stop()
    await asyncio.sleep(0.01)
    assert [e[0] for e in targets.log][-1] == "clear"


@virtual_time
async def test_frames_the_loop_was_too_late_for_are_skipped_and_counted() -> None:
    """A loop held for 100 ms jumps to the frame of now; the skipped frames are counted."""
    _made, runner, targets = sequence_show(40)
    await runner.play()
    await asyncio.sleep(0.1)
    # The loop is blocked, as a busy Home Assistant's would be.
    hold(0.1)
    await asyncio.sleep(0.05 + 40 * 0.025)
    assert runner.frames_skipped >= 3
    assert runner.frames_shown + runner.frames_skipped == 40
    indices = [e[2][0] for e in targets.log if e[0] == "frame"]
    assert indices == sorted(indices)
    await runner.stop()
