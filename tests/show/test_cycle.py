"""The haunt cycle without Home Assistant: when a trigger starts the show, and why it is refused."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.propnet.show.compile import load_show
from custom_components.propnet.show.cycle import HauntCycle, Phase, Refusal
from custom_components.propnet.show.runner import Runner

from .test_runner import Targets, now_us

ROOM = """\
lead: 0.01
cycle:
  cooldown: 60
  per_hour: 2
  quiet: {from: "23:00", until: "07:00"}
  idle:
    duration: 1
    cues:
      - {at: 0, light: Wash, rgb: [0, 0, 40]}
cues:
  - {at: 0, prop: coffin, turn_on: lid}
duration: 0.05
"""


class Clock:
    """A clock the test moves: seconds, and the minute of the day."""

    def __init__(self) -> None:
        """Start at noon."""
        self.seconds = 1000.0
        self.minute = 12 * 60


@pytest.fixture
def room() -> tuple[HauntCycle, Targets, Clock]:
    """Return a cycle around the room show, its targets and its clock."""
    show = load_show(ROOM, "room.yaml", "room")
    assert show.cycle is not None
    assert show.cycle.idle is not None
    targets = Targets()
    clock = Clock()
    runner = Runner(show, targets, now_us)
    idle = Runner(show.cycle.idle, targets, now_us, loop=True, hub_timed=True)
    cycle = HauntCycle(
        show.cycle,
        runner,
        idle,
        now=lambda: clock.seconds,
        minute_of_day=lambda: clock.minute,
    )
    return cycle, targets, clock


async def ended(cycle: HauntCycle) -> None:
    """Wait for the show to end."""
    for _ in range(100):
        if cycle.runner.state == "idle":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the show did not end")


async def test_a_trigger_runs_the_show_then_the_cooldown_refuses_the_next(
    room: tuple[HauntCycle, Targets, Clock],
) -> None:
    """Waiting -> running -> cooldown -> waiting, the idle loop stopped for the show and back after."""
    cycle, _targets, clock = room
    await cycle.async_idle()
    assert cycle.idle is not None
    assert cycle.idle.state == "playing"
    assert cycle.phase is Phase.WAITING
    assert await cycle.async_trigger() is None
    assert cycle.phase is Phase.RUNNING
    assert cycle.idle.state == "idle"
    assert await cycle.async_trigger() is Refusal.RUNNING
    await ended(cycle)
    await asyncio.sleep(0.01)
    assert cycle.phase is Phase.COOLDOWN
    assert cycle.idle.state == "playing", "the idle loop comes back"
    clock.seconds += 59
    assert await cycle.async_trigger() is Refusal.COOLDOWN
    clock.seconds += 2
    assert cycle.phase is Phase.WAITING
    assert await cycle.async_trigger() is None
    assert (cycle.triggers, cycle.refused, cycle.runner.runs) == (4, 2, 2)
    await ended(cycle)
    cycle.close()
    await asyncio.sleep(0)


async def test_quiet_hours_runs_an_hour_and_disarming(
    room: tuple[HauntCycle, Targets, Clock],
) -> None:
    """Each rule refuses with its own reason; the hour's limit frees up as the hour passes."""
    cycle, _targets, clock = room
    cycle.set_cooldown(0)
    clock.minute = 23 * 60 + 30
    assert await cycle.async_trigger() is Refusal.QUIET_HOURS
    clock.minute = 6 * 60 + 59
    assert await cycle.async_trigger() is Refusal.QUIET_HOURS
    clock.minute = 7 * 60
    for _ in range(2):
        assert await cycle.async_trigger() is None
        await ended(cycle)
        clock.seconds += 1
    assert await cycle.async_trigger() is Refusal.RUNS_PER_HOUR
    clock.seconds += 3600
    assert await cycle.async_trigger() is None
    await ended(cycle)
    await cycle.async_set_armed(False)
    assert cycle.phase is Phase.DISARMED
    assert cycle.idle is not None
    assert cycle.idle.state == "idle"
    assert await cycle.async_trigger() is Refusal.DISARMED
    cycle.close()
    await asyncio.sleep(0)


async def test_a_trigger_with_a_prop_not_ready_is_refused_and_the_idle_loop_stays(
    room: tuple[HauntCycle, Targets, Clock],
) -> None:
    """Not ready is a refusal like the others, and the room keeps its idle look."""
    cycle, targets, _clock = room
    await cycle.async_idle()
    targets.unready = {"coffin": "offline"}
    assert await cycle.async_trigger() is Refusal.NOT_READY
    assert cycle.idle is not None
    assert cycle.idle.state == "playing"
    assert cycle.runner.runs == 0
    cycle.close()
    await asyncio.sleep(0)
