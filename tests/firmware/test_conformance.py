"""The virtual coffin jumper, running the real firmware, against the wire contract."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path

import pytest

from custom_components.propnet.protocol import (
    announce as announce_parser,
    commands,
    messages,
    values as value_parser,
)
from tests.harness.broker import Broker
from tests.harness.virtual_prop import VirtualProp
from tests.harness.watcher import Watcher

BASE = "propnet/coffin_jumper"


@pytest.fixture(scope="module")
def coffin(
    broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[VirtualProp, Watcher]]:
    """Start the coffin jumper with a watcher that saw everything from its first message."""
    watcher = Watcher(broker.port, f"{BASE}/#", "v1/#")
    prop = VirtualProp(
        "coffin_jumper", tmp_path_factory.mktemp("coffin"), broker.host, broker.port
    )
    prop.start()
    watcher.wait_for(f"{BASE}/status")
    yield prop, watcher
    prop.stop()
    watcher.close()


def command(
    watcher: Watcher, action: str, **fields: object
) -> tuple[messages.Ack, float]:
    """Send a command as the hub does; return its ack and how long it took."""
    cid = commands.new_ulid()
    payload = commands.build_command(action, correlation_id=cid, **fields)
    mark = watcher.mark()
    sent = watcher.publish(f"{BASE}/cmd", payload)
    seen = watcher.wait_for(
        f"{BASE}/ack", timeout=2, since=mark, match=lambda m: cid.encode() in m.payload
    )
    return messages.parse_ack(seen.payload), seen.at - sent


def status(watcher: Watcher, since: int, match: object = None) -> dict[str, object]:
    """Return the next retained status after ``since``."""
    seen = watcher.wait_for(f"{BASE}/status", since=since, match=match)
    value: dict[str, object] = json.loads(seen.payload)
    return value


def test_it_starts_with_availability_announce_status_in_that_order(
    coffin: tuple[VirtualProp, Watcher],
) -> None:
    """Section 6: online, announce, status, all retained; the announce passes the hub's parser."""
    _, watcher = coffin
    online = watcher.wait_for(f"{BASE}/availability")
    announce = watcher.wait_for(f"{BASE}/announce")
    first = watcher.wait_for(f"{BASE}/status")
    assert online.payload == b"online"
    assert online.at <= announce.at <= first.at
    parsed = announce_parser.parse_announce(announce.payload, "coffin_jumper")
    assert parsed.warnings == ()
    keys = {e.key for e in parsed.entities}
    assert {
        "lid",
        "scare",
        "motion",
        "triggers",
        "eyes",
        "delay",
        "mode",
        "scared",
    } <= keys
    assert parsed.mac is not None
    assert parsed.mac.startswith("02:")
    assert parsed.model == "Coffin jumper"
    # Section 3: the entities the hub names and labels itself.
    translated = {e.key: e.translation_key for e in parsed.entities}
    assert translated["mode"] == "mode"
    assert translated["reset_reason"] == "reset_reason"
    assert translated["uptime"] == "uptime"
    values, problems = value_parser.parse_values(
        first.payload, parsed, sensors_only=False
    )
    assert problems == []
    assert values["lid"] is False
    assert values["mode"] == "armed"
    reason = parsed.entity("reset_reason")
    assert reason is not None
    assert reason.options is not None
    assert values["reset_reason"] in reason.options


def test_set_is_acked_within_two_seconds_and_status_follows(
    coffin: tuple[VirtualProp, Watcher],
) -> None:
    """A set command: ok ack, then a complete retained status with the new value."""
    _, watcher = coffin
    mark = watcher.mark()
    ack, took = command(watcher, "set", key="mode", value="show")
    assert ack.ok, ack
    assert took < 2
    assert status(watcher, mark, lambda m: b'"show"' in m.payload)["mode"] == "show"
    ack, _ = command(watcher, "set", key="mode", value="armed")
    assert ack.ok


def test_press_runs_the_scare_sequence(coffin: tuple[VirtualProp, Watcher]) -> None:
    """Pressing Scare: ok ack, the event, the lid opens and closes, triggers counts."""
    _, watcher = coffin
    mark = watcher.mark()
    ack, took = command(watcher, "press", key="scare")
    assert ack.ok, ack
    assert took < 2
    event = watcher.wait_for(f"{BASE}/event", since=mark)
    assert json.loads(event.payload) == {"key": "scared", "type": "scare", "data": {}}
    opened = status(watcher, mark, lambda m: json.loads(m.payload)["lid"] is True)
    assert opened["triggers"] == 1
    assert opened["eyes"] == {"on": True, "brightness": 255, "rgb": [255, 0, 0]}
    status(watcher, mark, lambda m: json.loads(m.payload)["lid"] is False)
    # Still cooling down: the prop says so instead of failing silently.
    busy, _ = command(watcher, "press", key="scare")
    assert (busy.ok, busy.error) == (False, "busy")


@pytest.mark.parametrize(
    ("action", "fields", "error"),
    [
        ("dance", {}, "unsupported_action"),
        ("set", {"key": "coffin_lid", "value": True}, "unknown_key"),
        ("set", {"key": "delay", "value": 99}, "bad_value"),
        ("set", {"key": "lid", "value": "open"}, "bad_value"),
        ("press", {"key": "lid"}, "unsupported_action"),
    ],
)
def test_bad_commands_get_the_contracts_errors(
    coffin: tuple[VirtualProp, Watcher],
    action: str,
    fields: dict[str, object],
    error: str,
) -> None:
    """Unknown actions and keys and bad values are refused with the right code."""
    _, watcher = coffin
    ack, took = command(watcher, action, **fields)
    assert (ack.ok, ack.error) == (False, error)
    assert ack.message
    assert took < 2


def test_built_in_actions(coffin: tuple[VirtualProp, Watcher]) -> None:
    """Ping and identify are acked; announce republishes announce and status."""
    _, watcher = coffin
    assert command(watcher, "ping")[0].ok
    assert command(watcher, "identify")[0].ok
    mark = watcher.mark()
    assert command(watcher, "announce")[0].ok
    watcher.wait_for(f"{BASE}/announce", since=mark)
    watcher.wait_for(f"{BASE}/status", since=mark)


def test_home_assistant_coming_online_brings_a_re_announce(
    coffin: tuple[VirtualProp, Watcher],
) -> None:
    """homeassistant/status online: announce, availability and status within 3 s."""
    _, watcher = coffin
    mark = watcher.mark()
    watcher.publish("homeassistant/status", "online")
    for kind in ("availability", "announce", "status"):
        watcher.wait_for(f"{BASE}/{kind}", since=mark, timeout=5)


def test_reboot_says_offline_and_comes_back(
    coffin: tuple[VirtualProp, Watcher],
) -> None:
    """reboot: acked, offline, then the prop starts again and is online."""
    _, watcher = coffin
    mark = watcher.mark()
    assert command(watcher, "reboot")[0].ok
    watcher.wait_for(
        f"{BASE}/availability", since=mark, match=lambda m: m.payload == b"offline"
    )
    watcher.wait_for(
        f"{BASE}/availability", since=mark, match=lambda m: m.payload == b"online"
    )


def test_power_loss_is_seen_through_the_last_will(
    broker: Broker, tmp_path: Path
) -> None:
    """SIGKILL the prop: the broker publishes its retained offline."""
    prop = VirtualProp("rgb_receiver", tmp_path, broker.host, broker.port)
    with Watcher(broker.port, "propnet/rgb_receiver/availability") as watcher:
        prop.start()
        watcher.wait_for(
            "propnet/rgb_receiver/availability", match=lambda m: m.payload == b"online"
        )
        mark = watcher.mark()
        prop.kill()
        will = watcher.wait_for("propnet/rgb_receiver/availability", since=mark)
    assert will.payload == b"offline"


def test_the_receiver_follows_and_the_sender_sends_rgb(
    broker: Broker, tmp_path: Path
) -> None:
    """The RGB receiver shows the channel's state; the sender's commands parse as the hub's."""
    receiver = VirtualProp("rgb_receiver", tmp_path / "rx", broker.host, broker.port)
    with Watcher(broker.port, "propnet/rgb_receiver/status") as watcher:
        receiver.start()
        watcher.wait_for("propnet/rgb_receiver/status")
        mark = watcher.mark()
        watcher.publish(
            "v1/demo/rgb/state",
            json.dumps(
                {
                    "r": 1,
                    "g": 2,
                    "b": 3,
                    "seq": 9,
                    "ts": 0,
                    "src": "t",
                    "cmdId": commands.new_ulid(),
                }
            ),
            retain=True,
        )
        seen = watcher.wait_for(
            "propnet/rgb_receiver/status",
            since=mark,
            match=lambda m: b"[1, 2, 3]" in m.payload,
        )
        receiver.stop()
    assert json.loads(seen.payload)["strip"]["rgb"] == [1, 2, 3]
    sender = VirtualProp("rgb_sender", tmp_path / "tx", broker.host, broker.port)
    with Watcher(broker.port, "v1/demo/rgb/cmd") as watcher:
        sender.start()
        # Knobs at rest read 0: the first reading is sent once.
        cmd = watcher.wait_for("v1/demo/rgb/cmd")
        sender.stop()
    from custom_components.propnet.protocol.rgb import parse_rgb_command

    parsed = parse_rgb_command(cmd.payload)
    assert (parsed.src, parsed.r, parsed.g, parsed.b) == ("knobs", 0, 0, 0)
