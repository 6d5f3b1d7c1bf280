"""Bad messages are dropped, counted and logged once; good ones keep flowing."""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.components.mqtt.models import ReceiveMessage
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.propnet.hub.hub import MAX_PROPS, PropHub

from .prop import Prop

BIG = json.dumps({"name": "x" * 5000})


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """Return the time now."""
        return self.now


def deliver(
    hub: PropHub, topic: str, payload: bytes | str, retain: bool = False
) -> None:
    """Hand a message to the hub exactly as Home Assistant's MQTT does."""
    hub._on_message(ReceiveMessage(topic, payload, 1, retain, topic, 0.0))


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("propnet/coffin_jumper/status", b"{", "invalid_json"),
        ("propnet/coffin_jumper/status", b"\xff", "not_utf8"),
        ("propnet/coffin_jumper/status", b"[]", "not_an_object"),
        ("propnet/coffin_jumper/status", BIG, "too_large"),
        ("propnet/coffin_jumper/status", '{"lid": "open"}', "bad_value"),
        ("propnet/coffin_jumper/status", '{"trapdoor": true}', "unknown_key"),
        ("propnet/coffin_jumper/telemetry", '{"lid": true}', "bad_value"),
        (
            "propnet/coffin_jumper/announce",
            '{"v": 1, "id": "eyes", "name": "E", "entities": []}',
            "id_mismatch",
        ),
        (
            "propnet/coffin_jumper/announce",
            '{"v": 1, "id": "coffin_jumper", "entities": []}',
            "invalid",
        ),
        ("propnet/coffin_jumper/event", '{"key": "lid", "type": "x"}', "invalid"),
        ("propnet/coffin_jumper/ack", '{"ok": true}', "invalid"),
        ("propnet/coffin_jumper/log", '{"level": "loud", "msg": "x"}', "invalid"),
        ("propnet/coffin_jumper/availability", "maybe", "invalid"),
        ("propnet/Coffin_Jumper/status", "{}", "invalid_prop_id"),
        ("propnet/..%2f..%2fetc/status", "{}", "invalid_prop_id"),
        ("propnet/a b/status", "{}", "invalid_prop_id"),
        ("propnet/ghost/telemetry", '{"x": 1}', "unknown_prop"),
    ],
)
async def test_each_bad_message_is_dropped_and_counted(
    hass: HomeAssistant,
    prop: Prop,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    payload: str | bytes,
    reason: str,
) -> None:
    """The drop counter for the reason rises; the log names the problem once."""
    hub = entry.runtime_data
    caplog.set_level(logging.DEBUG, logger="custom_components.propnet")
    for _ in range(3):
        deliver(hub, topic, payload)
    await hass.async_block_till_done()
    assert hub.drops.counts[reason] == 3
    assert hub.drops.total == 3
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "Dropped" in r.message
    ]
    assert len(warnings) == 1
    assert reason in warnings[0].message

    prop.send("status", {"lid": True})
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON


@pytest.fixture
def clock(entry: MockConfigEntry) -> FakeClock:
    """Give the hub's drop log a clock the test moves by hand."""
    fake = FakeClock()
    entry.runtime_data.drops._clock = fake
    return fake


def drop_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings PropNet logged about dropped messages."""
    return [
        r.message
        for r in caplog.records
        if r.levelno == logging.WARNING and r.message.startswith("Dropped")
    ]


async def test_a_bad_key_is_not_warned_again_until_it_was_valid(
    hass: HomeAssistant,
    prop: Prop,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    clock: FakeClock,
) -> None:
    """Once per prop and key until it is valid again, as the contract asks."""
    hub = entry.runtime_data
    for payload in ('{"lid": 1}', '{"lid": 2}'):
        deliver(hub, "propnet/coffin_jumper/status", payload)
        clock.now += 120  # long after any storm of bad values ended
    assert len(drop_warnings(caplog)) == 1
    deliver(hub, "propnet/coffin_jumper/status", '{"lid": true}')
    clock.now += 120
    deliver(hub, "propnet/coffin_jumper/status", '{"lid": 3}')
    warned = [w for w in drop_warnings(caplog) if w.startswith("Dropped a message")]
    assert len(warned) == 2
    assert "lid must be true or false" in warned[1]
    assert hub.drops.counts["bad_value"] == 3


async def test_a_storm_of_fake_props_is_one_warning_and_a_count(
    hass: HomeAssistant,
    prop: Prop,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    clock: FakeClock,
) -> None:
    """1,500 made-up ids: one warning while it lasts, one summary after it."""
    hub = entry.runtime_data
    room = MAX_PROPS - len(hub.props)
    for n in range(MAX_PROPS + 500):
        deliver(hub, f"propnet/fake{n}/announce", "{")
    warned = drop_warnings(caplog)
    # A prop may log its own problem (invalid_json) once; too_many_props once.
    assert [w for w in warned if "too_many_props" in w] == [warned[-1]]
    assert hub.drops.counts["too_many_props"] == MAX_PROPS + 500 - room
    hub.drops.flush()
    assert drop_warnings(caplog) == warned  # the storm goes on: nothing yet
    clock.now += 61
    hub.drops.flush()
    summaries = drop_warnings(caplog)[len(warned) :]
    too_many = MAX_PROPS + 500 - room
    assert any(f"{too_many - 1} more messages (too_many_props)" in s for s in summaries)
    assert any(f"{room - 1} more messages (invalid_json)" in s for s in summaries)
    # Still answering: the real prop's messages go through.
    prop.send("status", {"lid": True})
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON


async def test_a_flood_of_new_ids_is_bounded(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Made-up prop ids cannot grow the hub without bound."""
    hub = entry.runtime_data
    for n in range(MAX_PROPS + 50):
        deliver(hub, f"propnet/p{n}/availability", "offline")
    assert len(hub.props) == MAX_PROPS
    assert hub.drops.counts["too_many_props"] == 50


async def test_the_hubs_own_commands_coming_back_are_ignored(
    hass: HomeAssistant, prop: Prop, entry: MockConfigEntry
) -> None:
    """One subscription covers every prop topic, so commands the hub sends echo back.

    They, and any other topic the contract gives props no say in, change
    nothing and count as no drop.
    """
    hub = entry.runtime_data
    before = hass.states.get("switch.coffin_jumper_lid")
    prop.reply = "silent"  # the prop hears the command too; no ack to match
    commands = len(prop.commands)
    async_fire_mqtt_message(
        hass,
        "propnet/coffin_jumper/cmd",
        json.dumps({"action": "set", "key": "lid", "value": True}),
    )
    async_fire_mqtt_message(hass, "propnet/coffin_jumper/whatever", "{}")
    await hass.async_block_till_done()
    assert hub.drops.total == 0
    assert hass.states.get("switch.coffin_jumper_lid") == before
    assert len(prop.commands) == commands + 1  # the prop itself did get it


async def test_a_handler_bug_is_contained(
    hass: HomeAssistant,
    prop: Prop,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected error in a handler is logged and counted; the next message works."""
    hub = entry.runtime_data
    original = hub._handlers["log"]

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    hub._handlers["log"] = broken
    deliver(hub, "propnet/coffin_jumper/log", '{"msg": "hi"}')
    hub._handlers["log"] = original
    assert hub.drops.counts["internal_error"] == 1
    assert "Error handling log from prop coffin_jumper" in caplog.text
    deliver(hub, "propnet/coffin_jumper/log", '{"level": "error", "msg": "lid stuck"}')
    assert "lid stuck" in caplog.text


async def test_random_traffic_never_breaks_the_hub(
    hass: HomeAssistant,
    prop: Prop,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hypothesis throws arbitrary topics and payloads at the MQTT handlers."""
    hub = entry.runtime_data
    caplog.set_level(logging.ERROR, logger="custom_components.propnet")
    kinds = st.sampled_from(
        [
            "announce",
            "availability",
            "status",
            "telemetry",
            "event",
            "ack",
            "log",
            "cmd",
            "x",
        ]
    )
    ids = st.sampled_from(
        ["coffin_jumper", "eyes", "Bad", "", "a/b", "x" * 40]
    ) | st.text(max_size=8)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "lid",
                        "eyes",
                        "key",
                        "type",
                        "v",
                        "id",
                        "name",
                        "entities",
                        "ok",
                        "correlation_id",
                        "msg",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=10,
    )
    payloads = st.binary(max_size=64) | json_values.map(
        lambda v: json.dumps(v).encode()
    )
    seen = {"messages": 0}

    @settings(
        max_examples=400,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        deadline=None,
    )
    @given(ids, kinds, payloads, st.booleans())
    def storm(prop_id: str, kind: str, payload: bytes, retain: bool) -> None:
        if prop_id == "coffin_jumper" and kind == "announce":
            return  # replacing the coffin's announce is not what this test is about
        deliver(hub, f"propnet/{prop_id}/{kind}", payload, retain)
        seen["messages"] += 1

    storm()
    assert seen["messages"] > 0
    assert hub.drops.counts["internal_error"] == 0
    await hass.async_block_till_done()

    prop.send("availability", "online")
    prop.send("status", {"lid": True})
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON
