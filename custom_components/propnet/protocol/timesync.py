"""The hub's time service: answers a prop's timestamped UDP request with its own two stamps.

The wire format (docs/protocol.md, "The show clock") is one 16-byte request,
``"PNT1"``, a 32-bit sequence and the prop's 64-bit microseconds ``t0``, and
one 32-byte reply that adds the hub's microseconds ``t1`` (request in) and
``t2`` (reply out). The prop's side is ``firmware/propnet/clock.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import struct
import time
from typing import Any, Final

MAGIC: Final = b"PNT1"
REQUEST: Final = struct.Struct("!4sIq")
REPLY: Final = struct.Struct("!4sIqqq")
# Replies a second at most: a flood cannot turn the hub into a sender of
# twice its bytes to a forged address; beyond this requests are dropped and
# counted. Fifty props asking ten times a second fit.
MAX_REPLIES_PER_SECOND: Final = 1000


def hub_us() -> int:
    """Return the hub's clock: the machine's monotonic microseconds."""
    return time.monotonic_ns() // 1000


def parse_request(data: bytes) -> tuple[int, int] | None:
    """Return (sequence, t0) of a request, or None if ``data`` is not one."""
    if len(data) != REQUEST.size:
        return None
    magic, seq, t0 = REQUEST.unpack(data)
    if magic != MAGIC:
        return None
    return seq, t0


class TimeService(asyncio.DatagramProtocol):
    """Answers every request at once, from the event loop's datagram callback."""

    def __init__(self, clock: Callable[[], int] = hub_us) -> None:
        """Stamp with ``clock`` (microseconds)."""
        self.clock = clock
        self.transport: asyncio.DatagramTransport | None = None
        self.answered = 0
        self.dropped: dict[str, int] = {}
        self._second = 0
        self._in_second = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """Stamp, check and answer one request."""
        t1 = self.clock()
        second = t1 // 1_000_000
        if second != self._second:
            self._second, self._in_second = second, 0
        if self._in_second >= MAX_REPLIES_PER_SECOND:
            self._drop("rate")
            return
        request = parse_request(data)
        if request is None:
            self._drop("malformed")
            return
        seq, t0 = request
        assert self.transport is not None
        # t2 is stamped last: t2 - t1 is the hub's own time, not the network's.
        self.transport.sendto(REPLY.pack(MAGIC, seq, t0, t1, self.clock()), addr)
        self._in_second += 1
        self.answered += 1

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


async def serve(
    host: str, port: int, clock: Callable[[], int] = hub_us
) -> tuple[asyncio.DatagramTransport, TimeService]:
    """Open the time service on ``host:port``; close the transport to stop it."""
    loop = asyncio.get_running_loop()
    transport, service = await loop.create_datagram_endpoint(
        lambda: TimeService(clock), local_addr=(host, port)
    )
    return transport, service
