"""Stories of an xLights sequence in a show: made here, played from the show's media player, every frame seen by an sACN receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import queue

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
import pytest_socket

from custom_components.propnet.hub.clock import hub_clock
from custom_components.propnet.lighting.coordinator import LightingCoordinator
from custom_components.propnet.show.fseq import write_fseq
from tests.harness.procs import free_port

from ..common import propnet_entry
from ..lighting.test_coordinator import lighting_entry, start
from ..lighting.test_network import SacnCatcher
from .test_shows import write_show

# 20 frames a second under the line's 44: a frame the loop sends a few ms
# late is not merged into the next by the output's cap (at 40 fps the cap
# leaves 2.3 ms, which a busy machine under coverage exceeds).
STEP_MS, FRAMES, CHANNELS = 50, 40, 600
PLAYER = "media_player.sequence_show"


def made_frames() -> list[bytes]:
    """Return frames that differ on every channel, so any frame out of place shows."""
    return [
        bytes((n * 11 + c * 3 + 1) % 256 for c in range(CHANNELS))
        for n in range(FRAMES)
    ]


@pytest.fixture
async def rig(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    socket_enabled: None,
    tmp_path: Path,
) -> AsyncIterator[tuple[LightingCoordinator, SacnCatcher]]:
    """Show lighting sending universes 1 and 2 over sACN to a receiver, and a show playing the sequence."""
    pytest_socket.enable_socket()
    hass.config.config_dir = str(tmp_path)
    folder = write_show(
        hass,
        "sequence_show",
        "name: Sequence show\nlead: 0.1\ncues:\n"
        "  - {at: 0.2, sequence: pixels.fseq, universe: 1}\n"
        "  - {at: 0.1, light: Main, rgb: [0, 0, 200]}\n",
    ).parent
    (folder / "pixels.fseq").write_bytes(write_fseq(made_frames(), STEP_MS))
    port = free_port()
    catcher = SacnCatcher(port, 2)
    lights = await start(
        hass,
        lighting_entry(
            fixtures="Main, 1, rgb",
            network_outputs=f"sacn 127.0.0.1:{port} universes=1,2 fps=44",
        ),
    )
    lighting: LightingCoordinator = lights.runtime_data
    entry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(250):
        if lighting.output_status.get("network") == "sending":
            break
        await asyncio.sleep(0.02)
    yield lighting, catcher
    catcher.close()
    hub_clock(hass).close()


async def test_a_sequence_plays_frame_exact_onto_a_universe_the_fixtures_do_not_use(
    hass: HomeAssistant, rig: tuple[LightingCoordinator, SacnCatcher]
) -> None:
    """Universe 2 has no fixture: the receiver sees each of the sequence's frames there, in order."""
    lighting, catcher = rig
    state = hass.states.get(PLAYER)
    assert state is not None
    assert state.attributes["not_ready"] == {}
    assert state.attributes["media_duration"] == round(0.2 + FRAMES * STEP_MS / 1000)
    await hass.services.async_call(
        "media_player", "media_play", {"entity_id": PLAYER}, blocking=True
    )
    await asyncio.sleep(0.1 + 0.2 + FRAMES * STEP_MS / 1000 + 0.3)
    seen: list[bytes] = []
    while True:
        try:
            _, packet = catcher.packets.get_nowait()
        except queue.Empty:
            break
        values = bytes(packet.dmxData[: CHANNELS - 512])
        if not seen or values != seen[-1]:
            seen.append(values)
    wanted = [frame[512:] for frame in made_frames()]
    # Before and after the sequence the universe is dark (no fixture there).
    shown = [v for v in seen if any(v)]
    skipped = hass.states.get(PLAYER).attributes["frames_skipped"]
    if skipped == 0:
        assert shown == wanted
    else:
        # The loop was held past a whole step (this machine busy, under
        # coverage): those frames are skipped and counted, never sent late;
        # every other frame still arrives whole and in order.
        assert len(shown) == len(wanted) - skipped, (len(shown), skipped)
        rest = iter(wanted)
        assert all(frame in rest for frame in shown)
        assert skipped <= 3, "more than a moment's hold"
    # The light cue took the RGB channel through show lighting's queue.
    assert (
        lighting.engine.state.r,
        lighting.engine.state.g,
        lighting.engine.state.b,
    ) == (
        0,
        0,
        200,
    )
    assert lighting.universe.frame(1e12, 2) == b"", (
        "the sequence gave the universe back"
    )
