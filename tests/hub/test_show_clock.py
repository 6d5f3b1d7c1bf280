"""Stories of a prop with shows: the hub opens its clock, tells the props where it is, sends cue lists and hears back."""

from __future__ import annotations

import asyncio
import json
import socket
import struct

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.propnet.hub.clock import hub_clock
from custom_components.propnet.protocol.cues import Cue

from .prop import Prop
from .test_commands import entry_hub

SHOW_PROP = {"show": {"v": 1, "max_cues": 64}}


@pytest.fixture
def show_prop(hass: HomeAssistant) -> Prop:
    """Return a prop whose announce says it runs shows (not yet connected)."""
    prop = Prop(
        hass, prop_id="skull", name="Skull", entities=[{"key": "lid", "type": "switch"}]
    )
    prop.announcement.update(SHOW_PROP)
    return prop


def retained_clock(mqtt_mock: MqttMockHAClient) -> dict[str, object] | None:
    """Return the last retained message on the hub's clock topic."""
    found = None
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload, qos, retain = call.args
        if topic == "propnet/_hub/clock":
            assert retain is True
            assert qos == 1
            found = json.loads(payload)
    return found


async def test_the_first_prop_with_shows_opens_the_clock_and_hears_where_it_is(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    mqtt_mock: MqttMockHAClient,
    prop: Prop,
    show_prop: Prop,
    socket_enabled: None,
) -> None:
    """A prop without shows opens nothing; one with shows gets the address, and the service answers."""
    await hass.async_block_till_done()
    assert retained_clock(mqtt_mock) is None
    assert hub_clock(hass).port is None
    await show_prop.connect()
    await hass.async_block_till_done()
    where = retained_clock(mqtt_mock)
    assert where is not None
    assert where["v"] == 1
    port = where["port"]
    assert isinstance(port, int)
    assert port == hub_clock(hass).port
    # The service answers a prop's request with the hub's two stamps.
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        await loop.sock_sendto(
            sock, struct.pack("!4sIq", b"PNT1", 1, 42), ("127.0.0.1", port)
        )
        reply = await asyncio.wait_for(loop.sock_recv(sock, 64), 2)
    finally:
        sock.close()
    magic, seq, t0, t1, t2 = struct.unpack("!4sIqqq", reply)
    assert (magic, seq, t0) == (b"PNT1", 1, 42)
    assert 0 < t1 <= t2
    hub_clock(hass).close()


async def test_a_cue_list_goes_out_in_parts_and_a_refusal_is_an_error(
    hass: HomeAssistant, entry: MockConfigEntry, show_prop: Prop, socket_enabled: None
) -> None:
    """300 cues do not fit one 4 KiB command: they go in parts, the last without "more"."""
    show_prop.announcement["show"] = {"v": 1, "max_cues": 400}
    await show_prop.connect()
    hub = entry_hub(hass)
    cues = [Cue(i * 10, "on" if i % 2 else "off", "lid") for i in range(300)]
    await hub.async_load_show("skull", "room", cues)
    loads = [c for c in show_prop.commands if c["action"] == "show_load"]
    assert len(loads) > 1
    assert all(len(json.dumps(c, separators=(",", ":"))) < 4096 for c in loads)
    assert [c["params"].get("part", 0) for c in loads] == list(range(len(loads)))
    assert [c["params"].get("more", False) for c in loads] == [True] * (
        len(loads) - 1
    ) + [False]
    sent = [cue for c in loads for cue in c["params"]["cues"]]
    assert sent == [[i * 10, "on" if i % 2 else "off", "lid"] for i in range(300)]
    await hub.async_start_show("skull", 123_456_789)
    assert show_prop.commands[-1]["params"] == {"at": 123_456_789, "from": 0}
    with pytest.raises(ServiceValidationError) as err:
        await hub.async_load_show("skull", "room", [Cue(0, "on", "lid")] * 401)
    assert err.value.translation_key == "too_many_cues"
    with pytest.raises(ValueError, match="'dance' is not a cue"):
        await hub.async_load_show("skull", "room", [Cue(0, "dance", "lid")])
    hub_clock(hass).close()


async def test_a_prop_without_shows_is_told_so(hass: HomeAssistant, prop: Prop) -> None:
    """Loading cues on a prop whose firmware has no show section is a clear error."""
    with pytest.raises(ServiceValidationError) as err:
        await entry_hub(hass).async_load_show(
            "coffin_jumper", "room", [Cue(0, "on", "lid")]
        )
    assert err.value.translation_key == "no_shows"


async def test_show_reports_reach_listeners_and_bad_ones_are_counted(
    hass: HomeAssistant, entry: MockConfigEntry, show_prop: Prop, socket_enabled: None
) -> None:
    """A report is parsed and handed on; a malformed one is dropped and counted."""
    await show_prop.connect()
    hub = entry_hub(hass)
    heard: list[tuple[str, object]] = []
    stop = hub.async_add_show_listener(
        lambda prop_id, report: heard.append((prop_id, report))
    )
    show_prop.send(
        "show",
        {
            "show": "room",
            "run": 1,
            "state": "running",
            "cues": [[0, 312, "fired"], [1, 40000, "skipped"]],
            "fired": 1,
            "skipped": 1,
            "failed": 0,
        },
    )
    show_prop.send(
        "show", {"show": "room", "state": "running", "cues": [[0, "late", "fired"]]}
    )
    await hass.async_block_till_done()
    assert len(heard) == 1
    prop_id, report = heard[0]
    assert prop_id == "skull"
    assert report.cues == ((0, 312, "fired"), (1, 40000, "skipped"))  # type: ignore[attr-defined]
    assert hub.drops.counts["invalid"] >= 1
    assert hub.snapshot("skull")["show"]["skipped"] == 1
    stop()
    hub_clock(hass).close()
