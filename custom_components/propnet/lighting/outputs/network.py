"""sACN (E1.31) and Art-Net outputs to nodes on the network, through pyartnet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import logging
import time
from typing import Any, Final, override

from pyartnet.base.base_node import BaseNode
from pyartnet.base.network import MulticastNetworkTarget, UnicastNetworkTarget
from pyartnet.impl_artnet.node import ArtNetNode
from pyartnet.impl_sacn.node import SacnNode

_LOGGER = logging.getLogger(__name__)

UNIVERSE_SIZE: Final = 512
SACN_PORT: Final = 5568
ARTNET_PORT: Final = 6454
DEFAULT_FPS: Final = 40
DEFAULT_PRIORITY: Final = 100
# Unchanged frames are sent again this often, so a node that restarts or
# joins late shows the look (sACN receivers also time a source out at 2.5 s).
REFRESH: Final = 1.0
# The rate limit's bucket, in frames per universe: other changes keep one of
# them for a show's cue.
BURST: Final = 2.0
# The byte of an sACN data packet's framing layer that holds its priority.
_PRIORITY_AT: Final = 70
_DATA_PACKET: Final = b"\x00\x00\x00\x02"


class Protocol(StrEnum):
    """The network protocol of an output."""

    SACN = "sacn"
    ARTNET = "artnet"


class NetworkStatus(StrEnum):
    """What a network output is doing."""

    STOPPED = "stopped"
    SENDING = "sending"
    FAILED = "failed"


class NetworkOutputError(ValueError):
    """A network output line that cannot be used."""


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    """Where and how one output sends: protocol, node (None: multicast), universes."""

    protocol: Protocol
    host: str | None
    port: int
    universes: tuple[int, ...] = ()  # the patch's universes to send; () is all
    offset: int = 0  # the wire's universe is the patch's plus this
    priority: int = DEFAULT_PRIORITY
    fps: int = DEFAULT_FPS
    # The address whose interface sends sACN multicast; any lets the system choose.
    interface: str = "0.0.0.0"  # noqa: S104 - an interface to send from, not a server

    def wire_universe(self, universe: int) -> int:
        """Return the universe number sent for the patch's ``universe``."""
        return universe + self.offset


def _number(number: int, key: str, value: str, low: int, high: int) -> int:
    if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
        raise NetworkOutputError(f"line {number}: {key} must be {low} to {high}")
    return int(value)


def _target(number: int, line: str) -> NetworkTarget:
    words = line.split()
    if len(words) < 2:
        raise NetworkOutputError(
            f"line {number}: write sacn or artnet, then multicast or a node's address"
        )
    try:
        protocol = Protocol(words[0].lower())
    except ValueError:
        raise NetworkOutputError(
            f"line {number}: {words[0]!r} is neither sacn nor artnet"
        ) from None
    where = words[1]
    default_port = SACN_PORT if protocol is Protocol.SACN else ARTNET_PORT
    host: str | None
    if where.lower() == "multicast":
        if protocol is not Protocol.SACN:
            raise NetworkOutputError(
                f"line {number}: multicast is sACN's; Art-Net needs a node's address"
            )
        host, port = None, default_port
    else:
        host, _, port_text = where.partition(":")
        port = (
            _number(number, "the port", port_text, 1, 65535)
            if port_text
            else default_port
        )
    # Art-Net counts universes from 0: the patch's universe 1 is its 0.
    fields: dict[str, object] = {"offset": -1 if protocol is Protocol.ARTNET else 0}
    for word in words[2:]:
        key, _, value = word.lower().partition("=")
        if key == "universes" and value:
            fields["universes"] = tuple(
                _number(number, "a universe", part, 1, 63999)
                for part in value.split(",")
            )
        elif key == "offset" and value:
            fields["offset"] = _number(number, "offset", value, -1, 63998)
        elif key == "priority" and value and protocol is Protocol.SACN:
            fields["priority"] = _number(number, "priority", value, 0, 200)
        elif key == "fps" and value:
            fields["fps"] = _number(number, "fps", value, 1, 44)
        elif key == "interface" and value and host is None:
            fields["interface"] = value
        else:
            raise NetworkOutputError(
                f"line {number}: unknown option {word!r}; options are universes=, "
                "offset=, fps= and, for sACN, priority= (and interface= for multicast)"
            )
    return NetworkTarget(protocol, host, port, **fields)  # type: ignore[arg-type]


def parse_network_outputs(text: str) -> list[NetworkTarget]:
    """Read network outputs, one per line: ``sacn|artnet multicast|host[:port] [options]``.

    Blank lines and lines starting with ``#`` are skipped; errors name the line.
    """
    targets = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            targets.append(_target(number, line))
    return targets


class _PrioritisedSacnNode(SacnNode):
    """pyartnet's sACN node with the priority set (pyartnet 2.0 always sends 100)."""

    priority = DEFAULT_PRIORITY

    @override
    def _send_data(
        self, data: bytearray | bytes, dst: tuple[str, int] | str | None = None
    ) -> None:
        if len(data) > _PRIORITY_AT and data[2:6] == _DATA_PACKET:
            data = bytearray(data)
            data[_PRIORITY_AT] = self.priority
        super()._send_data(data, dst)


class NetworkOutput:
    """Sends the patch's universes to one node (or sACN multicast) at a capped rate.

    pyartnet owns the socket and the timing in the event loop: at most
    ``fps`` frames a second, and every unchanged universe again each second.
    A node that cannot be reached does not stop the show (UDP has no
    connection); an address that cannot be resolved or a socket that cannot
    be opened is the FAILED status, tried again every few seconds.
    """

    def __init__(
        self,
        target: NetworkTarget,
        universes: list[int],
        on_status: Callable[[NetworkStatus], None] | None = None,
    ) -> None:
        """Describe the output for the patch's ``universes``; run() sends."""
        self.target = target
        # Universes the line names are sent even without fixtures: a
        # sequence may fill them.
        self.universes = list(target.universes) or universes
        self.status = NetworkStatus.STOPPED
        self.frames_set = 0
        self._on_status = on_status
        self._wanted: dict[int, bytes] = {}
        self._sent: dict[int, bytes] = {}
        self._cue: dict[int, bool] = {}
        self._buckets: dict[int, tuple[float, float]] = {}  # frames, when filled
        self._held: dict[int, asyncio.TimerHandle] = {}
        self._node: BaseNode[Any] | None = None

    def _set_status(self, status: NetworkStatus) -> None:
        if status != self.status:
            self.status = status
            if self._on_status is not None:
                self._on_status(status)

    def _make_node(self) -> BaseNode[Any]:
        target = self.target
        if target.protocol is Protocol.ARTNET:
            assert target.host is not None
            return ArtNetNode.create(
                target.host, target.port, max_fps=target.fps, refresh_every=REFRESH
            )
        network: UnicastNetworkTarget | MulticastNetworkTarget = (
            MulticastNetworkTarget.create(target.interface)
            if target.host is None
            else UnicastNetworkTarget.create(target.host, target.port)
        )
        node = _PrioritisedSacnNode(
            network, max_fps=target.fps, refresh_every=REFRESH, source_name="PropNet"
        )
        node.priority = target.priority
        return node

    def update(self, universe: int, frame: bytes, cue: bool = False) -> None:
        """Make ``frame`` what the patch's ``universe`` shows; the newest wins.

        ``cue`` marks a show's timed change: it may take the frame the rate
        limit keeps in reserve, so it leaves at once however busy the line.
        """
        if universe not in self.universes:
            return
        self._wanted[universe] = frame
        self._cue[universe] = self._cue.get(universe, False) or cue
        self._push(universe)

    def _push(self, universe: int) -> None:
        """Send the universe's newest frame now, if its bucket allows; else when it will.

        The rate limit is a bucket of BURST frames per universe filled at
        fps: changes average at most fps, and other changes leave one frame
        in it for a show's cue. pyartnet gets a change only as it is sent
        (its own task would send it up to a frame later), and resends an
        unchanged universe each second.
        """
        node = self._node
        if node is None or universe in self._held:
            return
        values = bytes(self._wanted.get(universe, b"")).ljust(UNIVERSE_SIZE, b"\x00")
        if values == self._sent.get(universe):
            self._cue[universe] = False
            return
        now = time.monotonic()
        tokens, filled_at = self._buckets.get(universe, (BURST, now))
        tokens = min(BURST, tokens + (now - filled_at) * self.target.fps)
        need = 1.0 if self._cue.get(universe) else BURST
        if tokens < need:
            self._buckets[universe] = (tokens, now)
            self._held[universe] = asyncio.get_running_loop().call_later(
                (need - tokens) / self.target.fps, self._release, universe
            )
            return
        wire = node.get_universe(self.target.wire_universe(universe))
        # Into the universe's buffer at once, which its send and its
        # once-a-second refresh read: pyartnet's channel API checks and
        # converts each of the 512 values in Python, half a millisecond a
        # frame (measured) before a cue's packet could leave. The buffer is
        # pyartnet 2.0's (pinned in the manifest); the story tests receive
        # every value sent, so a pyartnet that moves it fails them.
        wire._data[:UNIVERSE_SIZE] = values[:UNIVERSE_SIZE]  # noqa: SLF001
        wire.send_data()
        self._sent[universe] = values
        self._buckets[universe] = (tokens - 1, now)
        self._cue[universe] = False
        self.frames_set += 1

    def _release(self, universe: int) -> None:
        self._held.pop(universe, None)
        self._push(universe)

    async def run(self) -> None:
        """Open the node and keep it open, until cancelled."""
        backoff = 1.0
        while True:
            try:
                node = self._make_node()
                async with node:
                    for universe in self.universes:
                        # The channel only sizes the universe: frames are
                        # written to its buffer (_push).
                        node.add_universe(
                            self.target.wire_universe(universe)
                        ).add_channel(start=1, width=UNIVERSE_SIZE, channel_name="all")
                    self._node = node
                    self._sent.clear()  # a new socket: send every universe again
                    for universe in self.universes:
                        self._push(universe)
                    self._set_status(NetworkStatus.SENDING)
                    await asyncio.Event().wait()
            except (OSError, ValueError) as err:
                _LOGGER.warning(
                    "%s output to %s cannot send: %s; trying again",
                    self.target.protocol.value,
                    self.target.host or "multicast",
                    err,
                )
                self._set_status(NetworkStatus.FAILED)
            finally:
                self._node = None
                for held in self._held.values():
                    held.cancel()
                self._held.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
