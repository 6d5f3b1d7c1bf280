"""sACN and Art-Net on loopback, each checked by a receiver or sender that is not PropNet's."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from typing import Any

from homeassistant.core import HomeAssistant
from hypothesis import given, strategies as st
from pyartnet.impl_sacn.node import SacnNode
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
import pytest_socket
import sacn
from stupidArtnet import StupidArtnetServer

from custom_components.propnet.lighting.inputs.sacn_input import SacnInput
from custom_components.propnet.lighting.outputs.network import (
    NetworkOutput,
    NetworkOutputError,
    NetworkStatus,
    NetworkTarget,
    Protocol,
    parse_network_outputs,
)
from custom_components.propnet.lighting.outputs.ports import (
    PortListError,
    parse_widgets,
)
from tests.harness.procs import free_port, wait_until

from .test_coordinator import caught_up, lighting_entry, start


def test_outputs_are_read_one_per_line() -> None:
    """Multicast or unicast sACN, unicast Art-Net, with their options."""
    assert parse_network_outputs(
        "# the yard\nsacn multicast priority=120\n\n"
        "sacn 192.168.1.50:5570 universes=2,3 fps=30\n"
        "artnet 192.168.1.60\nartnet node.local offset=9\n"
    ) == [
        NetworkTarget(Protocol.SACN, None, 5568, priority=120),
        NetworkTarget(Protocol.SACN, "192.168.1.50", 5570, universes=(2, 3), fps=30),
        NetworkTarget(Protocol.ARTNET, "192.168.1.60", 6454, offset=-1),
        NetworkTarget(Protocol.ARTNET, "node.local", 6454, offset=9),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sacn", "line 1: write sacn or artnet"),
        ("dmx 10.0.0.1", "'dmx' is neither sacn nor artnet"),
        ("artnet multicast", "multicast is sACN's"),
        ("sacn 10.0.0.1:0", "the port must be 1 to 65535"),
        ("sacn multicast priority=201", "priority must be 0 to 200"),
        ("artnet 10.0.0.1 priority=100", "unknown option 'priority=100'"),
        ("sacn multicast fps=60", "fps must be 1 to 44"),
        ("sacn multicast universes=0", "a universe must be 1 to 63999"),
        ("\n\nsacn multicast colour=red", "line 3: unknown option"),
    ],
)
def test_bad_outputs_name_the_line(text: str, words: str) -> None:
    """Each mistake says which line and what is wrong."""
    with pytest.raises(NetworkOutputError, match=words):
        parse_network_outputs(text)


@given(st.text(max_size=200))
def test_any_text_is_outputs_or_a_clear_error(text: str) -> None:
    """Whatever is typed into the option, the parser answers or says why not."""
    try:
        targets = parse_network_outputs(text)
    except NetworkOutputError as err:
        message = str(err)
    else:
        assert all(isinstance(target, NetworkTarget) for target in targets)
        return
    assert message.startswith("line ")


@pytest.fixture
def sockets(socket_enabled: None) -> None:
    """Let these tests open UDP sockets on loopback."""
    pytest_socket.enable_socket()


class SacnCatcher:
    """The sacn library's receiver on a loopback port: what a node would get."""

    def __init__(self, port: int, universe: int) -> None:
        """Listen to ``universe`` on ``port``."""
        self.packets: queue.Queue[tuple[float, Any]] = queue.Queue()
        self.receiver = sacn.sACNreceiver(bind_address="127.0.0.1", bind_port=port)
        self.receiver.register_listener(
            "universe",
            lambda packet: self.packets.put((time.monotonic(), packet)),
            universe=universe,
        )
        self.receiver.start()

    def until(self, check: Any, timeout: float = 5) -> Any:
        """Return the first packet that passes ``check``."""
        deadline = time.monotonic() + timeout
        while True:
            _, packet = self.packets.get(timeout=max(0.01, deadline - time.monotonic()))
            if check(packet):
                return packet

    def close(self) -> None:
        """Stop listening."""
        self.receiver.stop()


async def run_output(output: NetworkOutput) -> asyncio.Task[None]:
    """Start ``output`` and wait until it sends."""
    task = asyncio.create_task(output.run())
    for _ in range(200):
        if output.status is NetworkStatus.SENDING:
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the output never started")


async def test_sacn_unicast_reaches_a_receiver_with_universe_priority_and_rate(
    sockets: None,
) -> None:
    """Values, universe (with the offset), priority; frames capped at the fps set."""
    port = free_port()
    catcher = SacnCatcher(port, universe=3)
    (target,) = parse_network_outputs(
        f"sacn 127.0.0.1:{port} priority=150 fps=20 offset=2"
    )
    statuses: list[NetworkStatus] = []
    output = NetworkOutput(target, [1], statuses.append)
    task = await run_output(output)
    try:
        output.update(1, bytes([10, 20, 30, 40]))
        packet = await asyncio.to_thread(
            catcher.until, lambda p: p.dmxData[:4] == (10, 20, 30, 40)
        )
        assert (packet.universe, packet.priority, packet.sourceName) == (
            3,
            150,
            "PropNet",
        )
        while not catcher.packets.empty():
            catcher.packets.get()
        began = time.monotonic()
        for n in range(100):  # 100 changes a second for a second
            output.update(1, bytes([n % 256]))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        elapsed = time.monotonic() - began
        arrived = catcher.packets.qsize()
        assert 5 <= arrived <= 20 * elapsed + 2, (arrived, elapsed)
        assert statuses == [NetworkStatus.SENDING]
    finally:
        task.cancel()
        catcher.close()


async def test_a_cue_right_after_a_change_leaves_at_once_other_changes_wait_their_frame(
    sockets: None,
) -> None:
    """A show's cue is not held by the frame-rate cap; an ordinary change right after it is, and the newest wins.

    At 2 frames a second, so waiting and not waiting cannot be mistaken for
    each other on a busy machine.
    """
    port = free_port()
    catcher = SacnCatcher(port, universe=1)
    (target,) = parse_network_outputs(f"sacn 127.0.0.1:{port} fps=2")
    output = NetworkOutput(target, [1])
    task = await run_output(output)
    try:
        await asyncio.sleep(1.1)  # the bucket fills again after the first frame
        while not catcher.packets.empty():
            catcher.packets.get()
        began = time.monotonic()
        for level, cue in ((1, False), (2, True), (3, False), (4, False)):
            output.update(1, bytes([level]), cue=cue)
        seen: dict[int, float] = {}
        while 4 not in seen:
            at, packet = await asyncio.to_thread(catcher.packets.get, True, 5)
            seen.setdefault(packet.dmxData[0], at)
        # 1 goes (the bucket was full), the cue 2 at once after it; 3 is held
        # for the frame, and 4, newer, is what then leaves.
        assert list(seen) == [1, 2, 4], seen
        assert seen[2] - began < 0.2, seen
        assert seen[4] - began > 0.3, seen
    finally:
        task.cancel()
        catcher.close()


async def test_artnet_reaches_a_receiver_on_universe_zero(sockets: None) -> None:
    """The patch's universe 1 is Art-Net universe 0, as nodes count them."""
    port = free_port()
    got: queue.Queue[list[int]] = queue.Queue()
    server = StupidArtnetServer(port=port)
    # The receiver calls back with one argument only when the callable takes one.
    server.register_listener(
        universe=0,
        callback_function=lambda data: got.put(data),  # noqa: PLW0108
    )
    (target,) = parse_network_outputs(f"artnet 127.0.0.1:{port}")
    output = NetworkOutput(target, [1, 2])
    task = await run_output(output)
    try:
        output.update(1, bytes([255, 128, 0]))
        output.update(3, bytes([9]))  # not patched here: ignored
        deadline = time.monotonic() + 5
        while True:
            data = await asyncio.to_thread(got.get, True, 5)
            if data[:3] == [255, 128, 0]:
                break
            assert time.monotonic() < deadline
        assert output.universes == [1, 2]
    finally:
        task.cancel()
        server.close()


async def test_an_address_that_does_not_resolve_fails_open(sockets: None) -> None:
    """A node name nobody knows is FAILED, tried again, and never raises."""
    output = NetworkOutput(
        NetworkTarget(Protocol.ARTNET, "no-such-node.invalid", 6454, offset=-1), [1]
    )
    attempts: list[None] = []
    make_node = output._make_node

    def counted() -> Any:
        attempts.append(None)
        return make_node()

    output._make_node = counted  # type: ignore[method-assign]
    task = asyncio.create_task(output.run())
    try:
        await asyncio.to_thread(
            wait_until,
            lambda: output.status is NetworkStatus.FAILED and len(attempts) >= 2,
            15,
            "the output failing and trying again",
        )
        output.update(1, bytes([1]))  # the show goes on
        assert not task.done()  # it raised nothing: the task still runs
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_sacn_input_hears_an_independent_sender(sockets: None) -> None:
    """Pyartnet sends universe 7 to the input's port; frames and the source arrive."""
    port = free_port()
    frames: list[tuple[int, ...]] = []
    sources: list[bool] = []
    lock = threading.Lock()

    def on_frame(frame: tuple[int, ...]) -> None:
        with lock:
            frames.append(frame)

    listener = SacnInput(
        7, on_frame, sources.append, port=port, bind_address="127.0.0.1"
    )
    await asyncio.to_thread(listener.start)
    try:
        node = SacnNode.create("127.0.0.1", port, max_fps=40)
        async with node:
            channel = node.add_universe(7).add_channel(start=1, width=4)
            channel.set_values([0, 64, 128, 255])
            await asyncio.to_thread(
                wait_until,
                lambda: any(f[:4] == (0, 64, 128, 255) for f in list(frames)),
                5,
                "the frame at the input",
            )
        assert sources[0] is True
        assert listener.frames >= 1
    finally:
        await asyncio.to_thread(listener.stop)


async def test_a_desk_on_sacn_drives_every_output(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, sockets: None
) -> None:
    """A desk sends sACN; the engine applies it; a node gets it back over sACN."""
    node_port, desk_port = free_port(), free_port()
    catcher = SacnCatcher(node_port, universe=1)
    entry = await start(
        hass,
        lighting_entry(
            network_outputs=f"sacn 127.0.0.1:{node_port}",
            sacn_input_universe=5,
            sacn_input_channel=10,
            sacn_input_port=desk_port,
        ),
    )
    lighting = entry.runtime_data
    try:
        for _ in range(250):
            if lighting.output_status.get("network") == "sending":
                break
            await asyncio.sleep(0.02)
        assert lighting.output_status.get("network") == "sending", (
            lighting.diagnostics()
        )
        desk = SacnNode.create("127.0.0.1", desk_port, max_fps=40)
        async with desk:
            desk.add_universe(5).add_channel(start=10, width=3).set_values(
                [200, 100, 50]
            )
            for _ in range(200):
                await hass.async_block_till_done()
                if lighting.engine.state.r == 200:
                    break
                await asyncio.sleep(0.02)
        state = lighting.engine.state
        assert (state.r, state.g, state.b, state.src) == (200, 100, 50, "sacn-input")
        packet = await asyncio.to_thread(
            catcher.until, lambda p: p.dmxData[:3] == (200, 100, 50)
        )
        assert packet.universe == 1
        await caught_up(hass)
        assert hass.states.get("sensor.show_lighting_network_output").state == "sending"
        assert hass.states.get("sensor.show_lighting_sacn_input").state == "receiving"
        diagnostics = lighting.diagnostics()
        assert diagnostics["sacn_input"]["universe"] == 5
        assert diagnostics["network"][0]["status"] == "sending"
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        catcher.close()


def test_further_widgets_are_read_one_per_line() -> None:
    """``port = universe`` per line; mistakes name the line."""
    assert parse_widgets("# yard\n/dev/ttyUSB1 = 2\n\n/dev/ttyUSB2=3\n") == [
        ("/dev/ttyUSB1", 2),
        ("/dev/ttyUSB2", 3),
    ]
    for text, words in (
        ("/dev/ttyUSB1", "line 1: write the port, =, the universe"),
        ("/dev/ttyUSB1 = 0", "the universe must be 1 to 63999"),
        ("a = 1\na = 2", "line 2: a is listed twice"),
    ):
        with pytest.raises(PortListError, match=words):
            parse_widgets(text)
