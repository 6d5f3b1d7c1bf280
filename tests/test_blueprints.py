"""Stories of the blueprints driving real PropNet entities."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import automation
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import propnet_entry
from .hub.prop import Prop

BLUEPRINTS = Path(__file__).parent.parent / "blueprints"


@pytest.fixture
async def coffin(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> Prop:
    """Return the coffin jumper, and point Home Assistant at our blueprints."""
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    hass.config.config_dir = str(tmp_path)
    entry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    prop = Prop(hass)
    await prop.connect()
    return prop


async def use(hass: HomeAssistant, blueprint: str, **inputs: Any) -> None:
    """Create an automation from one of PropNet's blueprints."""
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": blueprint,
                "use_blueprint": {"path": f"propnet/{blueprint}.yaml", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()


def presses(prop: Prop) -> int:
    """Return how often the scare button was pressed."""
    return sum(
        1 for c in prop.commands if c["action"] == "press" and c["key"] == "scare"
    )


async def settle() -> None:
    """Let callbacks run, without waiting for automations that are in a delay."""
    for _ in range(20):
        await asyncio.sleep(0)


async def motion(prop: Prop, on: bool) -> None:
    """Let the prop report motion, or none."""
    prop.send("status", {"motion": on})
    await settle()


def later(**delta: float) -> Any:
    """Return a time ``delta`` from now, for async_fire_time_changed."""
    return dt_util.utcnow() + timedelta(**delta)


async def test_motion_scares_once_per_cooldown(
    hass: HomeAssistant, coffin: Prop
) -> None:
    """A guest walks by: scare. Another right after: nothing. After the cooldown: scare."""
    now = dt_util.now()
    await use(
        hass,
        "scare_on_motion",
        motion="binary_sensor.coffin_jumper_motion",
        scare="button.coffin_jumper_scare",
        cooldown=30,
        # Quiet hours well away from now.
        quiet_start=(now + timedelta(hours=3)).strftime("%H:%M:%S"),
        quiet_end=(now + timedelta(hours=4)).strftime("%H:%M:%S"),
    )
    await motion(coffin, True)
    assert presses(coffin) == 1
    await motion(coffin, False)
    await motion(coffin, True)
    assert presses(coffin) == 1  # cooling down
    await motion(coffin, False)

    async_fire_time_changed(hass, later(seconds=31))
    await settle()
    await motion(coffin, True)
    assert presses(coffin) == 2
    async_fire_time_changed(hass, later(seconds=62))
    await hass.async_block_till_done()


async def test_quiet_hours_keep_the_coffin_shut(
    hass: HomeAssistant, coffin: Prop
) -> None:
    """Inside the quiet hours, even across midnight, motion scares nobody."""
    now = dt_util.now()
    await use(
        hass,
        "scare_on_motion",
        motion="binary_sensor.coffin_jumper_motion",
        scare="button.coffin_jumper_scare",
        quiet_start=(now - timedelta(hours=1)).strftime("%H:%M:%S"),
        quiet_end=(now + timedelta(hours=1)).strftime("%H:%M:%S"),
    )
    await motion(coffin, True)
    assert presses(coffin) == 0


async def test_an_offline_prop_raises_an_alert(
    hass: HomeAssistant, coffin: Prop
) -> None:
    """Two minutes without the prop create a notification naming it."""
    assert await async_setup_component(hass, "persistent_notification", {})
    await use(
        hass,
        "prop_offline_alert",
        watched=["switch.coffin_jumper_lid"],
        minutes=2,
    )
    coffin.go_offline()
    await hass.async_block_till_done()
    async_fire_time_changed(hass, later(minutes=1))
    await hass.async_block_till_done()
    assert not _notifications(hass)
    async_fire_time_changed(hass, later(minutes=2, seconds=1))
    await hass.async_block_till_done()
    (notification,) = _notifications(hass).values()
    assert notification["title"] == "Prop offline"
    assert "Coffin Jumper Lid has been offline" in notification["message"]


def _notifications(hass: HomeAssistant) -> dict[str, Any]:
    from homeassistant.components import persistent_notification

    return dict(persistent_notification._async_get_or_create_notifications(hass))


async def test_show_lighting_follows_the_lid(hass: HomeAssistant, coffin: Prop) -> None:
    """The lid opens: the eyes go red; it shuts: amber."""
    await use(
        hass,
        "lighting_follows",
        prop_entity="switch.coffin_jumper_lid",
        light="light.coffin_jumper_eyes",
        on_color=[255, 0, 0],
        off_color=[255, 140, 0],
        transition=0,
    )
    coffin.send("status", {"lid": True})
    await hass.async_block_till_done()
    eyes = [c for c in coffin.commands if c.get("key") == "eyes"]
    assert eyes[-1]["value"]["rgb"] == [255, 0, 0]
    coffin.send("status", {"lid": False})
    await hass.async_block_till_done()
    eyes = [c for c in coffin.commands if c.get("key") == "eyes"]
    assert eyes[-1]["value"]["rgb"] == [255, 140, 0]
    assert hass.states.get("light.coffin_jumper_eyes").attributes["rgb_color"] == (
        255,
        140,
        0,
    )


async def test_the_show_schedule_arms_and_disarms(
    hass: HomeAssistant, coffin: Prop
) -> None:
    """At the start the props are armed and the opening runs; at the end, idle."""
    assert await async_setup_component(hass, "persistent_notification", {})
    now = dt_util.now().replace(microsecond=0)
    start, end = now + timedelta(minutes=1), now + timedelta(minutes=2)
    await use(
        hass,
        "show_schedule",
        mode_select=["select.coffin_jumper_mode"],
        start=start.strftime("%H:%M:%S"),
        end=end.strftime("%H:%M:%S"),
        on_start=[
            {
                "action": "persistent_notification.create",
                "data": {"message": "The show has begun", "notification_id": "show"},
            }
        ],
    )
    async_fire_time_changed(hass, start)
    await hass.async_block_till_done()
    assert hass.states.get("select.coffin_jumper_mode").state == "armed"
    assert _notifications(hass)["show"]["message"] == "The show has begun"
    async_fire_time_changed(hass, end)
    await hass.async_block_till_done()
    assert hass.states.get("select.coffin_jumper_mode").state == "idle"
    assert [c["value"] for c in coffin.commands if c.get("key") == "mode"] == [
        "armed",
        "idle",
    ]
    # Switched off, the schedule leaves no timer for tomorrow's show behind.
    await hass.services.async_call(
        automation.DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
    )


ROOM = """\
name: Room
lead: 0.01
cycle:
  cooldown: 30
cues:
  - {at: 0, prop: coffin_jumper, press: scare}
duration: 0.05
"""


async def test_motion_triggers_the_room_show_through_its_cycle(
    hass: HomeAssistant, coffin: Prop
) -> None:
    """Motion starts the show; motion during its cooldown is refused and counted, not an error."""
    folder = Path(hass.config.path("propnet", "shows"))
    await hass.async_add_executor_job(lambda: folder.mkdir(parents=True))
    await hass.async_add_executor_job((folder / "room.yaml").write_text, ROOM)
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"opening_night": {"initial": False}}}
    )
    await use(
        hass,
        "room_show_on_motion",
        motion=["binary_sensor.coffin_jumper_motion"],
        show="media_player.room",
        only_when=["input_boolean.opening_night"],
    )
    await motion(coffin, True)
    await motion(coffin, False)
    assert hass.states.get("sensor.room_cycle").attributes["triggers"] == 0
    await hass.services.async_call(
        "input_boolean",
        "turn_on",
        {"entity_id": "input_boolean.opening_night"},
        blocking=True,
    )
    await motion(coffin, True)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.room_runs").state == "1"
    await motion(coffin, False)
    for _ in range(50):
        if hass.states.get("media_player.room").state == "idle":
            break
        await asyncio.sleep(0.02)
    assert presses(coffin) == 1
    await motion(coffin, True)
    await hass.async_block_till_done()
    cycle = hass.states.get("sensor.room_cycle")
    assert cycle.state == "cooldown"
    assert (cycle.attributes["refused"], cycle.attributes["last_refusal"]) == (
        1,
        "cooldown",
    )
    assert hass.states.get("sensor.room_runs").state == "1"
