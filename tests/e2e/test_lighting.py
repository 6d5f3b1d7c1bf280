"""Show lighting in a real Home Assistant: MQTT senders and receivers, a DMX widget, restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
import json
from pathlib import Path
import queue
import threading
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import pytest
import pytest_socket

from custom_components.propnet.protocol.commands import new_ulid
from tests.e2e.conftest import RUN
from tests.harness.broker import Broker
from tests.harness.demo import set_lighting_options
from tests.harness.hass import Hass
from tests.harness.procs import wait_until
from tests.harness.pty_widget import PtyWidget
from tests.harness.watcher import Watcher

LIGHT = "light.show_lighting"


class Receiver:
    """An MQTT client that, like an LED strip, follows the retained state."""

    def __init__(self, broker: Broker) -> None:
        """Connect and subscribe to the state and the hub's online topic."""
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.messages.put(
            (m.topic, m.payload, m.retain)
        )
        self.client.connect(broker.host, broker.port)
        self.client.subscribe([("v1/demo/rgb/state", 1), ("v1/devices/hub/state", 1)])
        self.client.loop_start()

    def send(self, r: int, g: int, b: int, cmd_id: str | None = None) -> str:
        """Publish a sender's command; return its cmdId."""
        cmd_id = cmd_id or new_ulid()
        self.client.publish(
            "v1/demo/rgb/cmd",
            json.dumps({"cmdId": cmd_id, "src": "knob", "r": r, "g": g, "b": b}),
            qos=1,
        ).wait_for_publish(5)
        return cmd_id

    def next_state(self, timeout: float = 10) -> dict[str, Any]:
        """Return the next RGB state received."""
        deadline = time.monotonic() + timeout
        while True:
            topic, payload, _ = self.messages.get(
                timeout=max(0.01, deadline - time.monotonic())
            )
            if topic == "v1/demo/rgb/state":
                state: dict[str, Any] = json.loads(payload)
                return state

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


class LightingStack:
    """A broker, Home Assistant with show lighting on a fake DMX widget, and a receiver."""

    def __init__(self, folder: Path) -> None:
        """Start everything and set lighting up through the UI's REST flows."""
        self.broker = Broker(folder / "broker").start()
        self.widget = PtyWidget(folder / "usb-ENTTEC_DMX_USB_PRO_EN777-if00-port0")
        self.hass = Hass(folder / "hass", RUN).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        result = self.hass.config_flow(
            "propnet", {"next_step_id": "lighting"}, {"base": "v1/demo/rgb"}
        )
        assert result["type"] == "create_entry", result
        set_lighting_options(
            self.hass, result["result"]["entry_id"], self.widget.link, None
        )
        self.receiver = Receiver(self.broker)
        # The hub's subscription reaches the broker a moment after set-up;
        # a command sent before then is lost, as MQTT commands are. Probe
        # until one comes back; the stories count seq from there.
        self.seq = self.probe()

    def probe(self) -> int:
        """Send commands until the hub answers one; return that state's seq."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cmd_id = self.receiver.send(0, 0, 0)
            try:
                while True:
                    state = self.receiver.next_state(0.5)
                    if state["cmdId"] == cmd_id:
                        return int(state["seq"])
            except queue.Empty:
                continue
        raise AssertionError("the lighting hub never answered")

    def wait_light(self, check: Any, timeout: float = 20) -> dict[str, Any]:
        """Wait until the RGB light's state passes ``check``."""
        return wait_until(
            lambda: (s := self.hass.states().get(LIGHT)) and check(s) and s,
            timeout,
            "the lighting state",
            0.1,
        )

    def stop(self) -> None:
        """Stop everything."""
        self.receiver.close()
        self.hass.stop()
        self.widget.close()
        self.broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LightingStack]:
    """Start a lighting stack for this module's stories, which run in order."""
    pytest_socket.enable_socket()
    running = LightingStack(tmp_path_factory.mktemp("lighting"))
    yield running
    running.stop()


def test_a_sender_changes_what_every_receiver_shows(stack: LightingStack) -> None:
    """A command on the broker comes back as the retained state, on HA's light and on DMX."""
    cmd_id = stack.receiver.send(255, 64, 0)
    state = stack.receiver.next_state()
    assert (state["r"], state["g"], state["b"], state["cmdId"]) == (255, 64, 0, cmd_id)
    assert state["seq"] == stack.seq + 1
    light = stack.wait_light(lambda s: s["state"] == "on")
    assert light["attributes"]["rgb_color"] == [255, 64, 0]
    wait_until(
        lambda: any(f[1:4] == bytes([255, 64, 0]) for _, f in stack.widget.received()),
        10,
        "the colour on the DMX widget",
    )
    stack.receiver.send(1, 1, 1, cmd_id=cmd_id)  # a replay
    stack.receiver.send(0, 0, 200)
    assert stack.receiver.next_state()["seq"] == stack.seq + 2


def test_the_home_assistant_light_goes_through_the_same_queue(
    stack: LightingStack,
) -> None:
    """Turning the light on publishes a state like any sender's, with the next seq."""
    stack.hass.post(
        "/api/services/light/turn_on",
        {"entity_id": LIGHT, "rgb_color": [0, 255, 0], "brightness": 255},
    )
    state = stack.receiver.next_state()
    assert (state["g"], state["seq"], state["src"]) == (
        255,
        stack.seq + 3,
        "home-assistant",
    )


def test_a_wash_fixture_fades_on_the_dmx_line(stack: LightingStack) -> None:
    """A second fixture's light fades its dimmer channel in steps."""
    stack.widget.frames.clear()
    stack.hass.post(
        "/api/services/light/turn_on",
        {"entity_id": "light.show_lighting_wash", "brightness": 255, "transition": 1},
    )
    frames = wait_until(
        lambda: (
            (fs := [f[4] for _, f in stack.widget.received()]) and fs[-1] == 255 and fs
        ),
        10,
        "the wash reaching full",
    )
    steps = sorted(set(frames))
    assert len(steps) >= 5, steps  # a fade, not a jump


def test_a_restart_keeps_seq_memory_and_light(stack: LightingStack) -> None:
    """After Home Assistant restarts: the state is republished, seq goes on, replays are ignored."""
    old = stack.receiver.send(9, 9, 9)
    assert stack.receiver.next_state()["seq"] == stack.seq + 4
    stack.hass.restart()
    republished = stack.receiver.next_state(30)
    assert (republished["r"], republished["seq"]) == (9, stack.seq + 4)
    light = stack.wait_light(lambda s: s["state"] == "on")
    assert light["attributes"]["rgb_color"] == [255, 255, 255]
    after = stack.probe()  # waits for the restarted hub's subscription
    assert after == stack.seq + 5
    stack.receiver.send(2, 2, 2, cmd_id=old)  # remembered across the restart
    stack.receiver.send(3, 3, 3)
    state = stack.receiver.next_state()
    assert (state["r"], state["seq"]) == (3, after + 1)


def drain(receiver: Receiver, seconds: float) -> list[dict[str, Any]]:
    """Return every RGB state that arrives within ``seconds`` of quiet."""
    found = []
    while True:
        try:
            found.append(receiver.next_state(seconds))
        except queue.Empty:
            return found


def test_200_commands_a_second_with_the_recorder_on(stack: LightingStack) -> None:
    """Every command applied and published; the recorder stores the light throttled.

    Home Assistant here records as users run it (recorder on, with its
    defaults). The latency figures are bench.lighting's; this story holds the
    behaviour: no command lost, seq without a gap, the light's history at most
    about ten rows a second, and its last recorded state the last command's.
    """
    drain(stack.receiver, 0.5)
    began = datetime.now(UTC)
    sent: list[str] = []
    start = time.perf_counter()
    for n in range(2000):
        while time.perf_counter() < start + n / 200:
            time.sleep(0.0005)
        cmd_id = new_ulid()
        stack.receiver.client.publish(
            "v1/demo/rgb/cmd",
            json.dumps({"cmdId": cmd_id, "src": "load", "r": n % 256, "g": 1, "b": 2}),
            qos=1,
        )
        sent.append(cmd_id)
    got = drain(stack.receiver, 3)
    assert [s["cmdId"] for s in got] == sent
    seqs = [s["seq"] for s in got]
    assert seqs == list(range(seqs[0], seqs[0] + 2000))
    last = got[-1]
    light = stack.wait_light(lambda s: s["attributes"].get("seq") == last["seq"])
    assert light["attributes"]["command_id"] == last["cmdId"]
    elapsed = time.perf_counter() - start
    query = (
        f"/api/history/period/{began.isoformat()}"
        f"?filter_entity_id={LIGHT}&significant_changes_only=0"
    )

    def recorded() -> list[dict[str, Any]] | None:
        history: list[list[dict[str, Any]]] = stack.hass.get(query)
        rows = history[0] if history else []
        return (
            rows if rows and rows[-1]["attributes"].get("seq") == last["seq"] else None
        )

    # The recorder commits every 5 s (Home Assistant's default).
    rows = wait_until(recorded, 20, "the recorder keeping the light's last state")
    assert len(rows) <= 10 * elapsed + 5, (len(rows), elapsed)


def test_a_kill_during_commands_never_sends_seq_backwards(
    stack: LightingStack,
) -> None:
    """SIGKILL Home Assistant mid-stream; after it starts, seq is above all sent."""
    drain(stack.receiver, 0.5)
    stop = threading.Event()

    def publish() -> None:
        n = 0
        while not stop.is_set():
            stack.receiver.client.publish(
                "v1/demo/rgb/cmd",
                json.dumps(
                    {"cmdId": new_ulid(), "src": "crash", "r": n % 256, "g": 0, "b": 0}
                ),
                qos=1,
            )
            n += 1
            time.sleep(0.01)

    publisher = threading.Thread(target=publish)
    publisher.start()
    time.sleep(2)
    stack.hass.process.kill()
    stop.set()
    publisher.join()
    before = drain(stack.receiver, 1)
    assert len(before) > 50
    highest = max(s["seq"] for s in before)
    stack.hass.start()
    republished = stack.receiver.next_state(60)
    assert republished["seq"] > highest
    after = stack.probe()
    assert after == republished["seq"] + 1


def test_a_clean_stop_leaves_each_channel_offline_on_its_own_topic(
    stack: LightingStack,
) -> None:
    """Two lighting entries; SIGTERM Home Assistant: both say offline, retained, then online again."""
    result = stack.hass.config_flow(
        "propnet", {"next_step_id": "lighting"}, {"base": "v1/stage/rgb"}
    )
    assert result["type"] == "create_entry", result
    topics = ("v1/devices/hub/state", "v1/devices/hub.v1.stage.rgb/state")

    def retained() -> dict[str, bytes]:
        with Watcher(stack.broker.port, *topics) as watcher:
            return {t: watcher.wait_for(t, timeout=5).payload for t in topics}

    assert retained() == dict.fromkeys(topics, b"online")
    stack.hass.stop()
    assert retained() == dict.fromkeys(topics, b"offline")
    stack.hass.start()
    wait_until(
        lambda: retained() == dict.fromkeys(topics, b"online"), 60, "both online again"
    )
