"""The hub's time service for tests, with an optional proxy that delays one direction unevenly."""

from __future__ import annotations

import asyncio
import random
import threading
from types import TracebackType
from typing import Any, Self

from custom_components.propnet.protocol.timesync import TimeService, hub_us

from .procs import LOOPBACK


class _DelayProxy(asyncio.DatagramProtocol):
    """Forwards requests to the service after 0 to ``max_ms`` and replies at once."""

    def __init__(self, service: tuple[str, int], max_ms: float, seed: int) -> None:
        self.service = service
        self.max_ms = max_ms
        self.random = random.Random(seed)  # noqa: S311 - delays, not secrets
        self.transport: asyncio.DatagramTransport | None = None
        self.upstream: asyncio.DatagramTransport | None = None
        self.clients: dict[bytes, Any] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        # A request's sequence and t0 (bytes 4..16) come back in its answer:
        # together they tell the props apart, whose sequences all start at 1.
        self.clients[data[4:16]] = addr
        delay = self.random.uniform(0, self.max_ms) / 1000
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self._forward, data)

    def _forward(self, data: bytes) -> None:
        assert self.upstream is not None
        self.upstream.sendto(data, self.service)

    def answer(self, data: bytes) -> None:
        addr = self.clients.pop(data[4:16], None)
        if addr is not None and self.transport is not None:
            self.transport.sendto(data, addr)


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, proxy: _DelayProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.proxy.answer(data)


class TimeHub:
    """Runs the time service (and the proxy) on loopback in a thread of its own.

    ``port`` is where props ask: the proxy's port when ``delay_ms`` is set,
    else the service's. The hub's clock is this process's monotonic clock,
    so a test reads the truth with ``timesync.hub_us()``.
    """

    def __init__(self, delay_ms: float = 0.0, seed: int = 7) -> None:
        """Describe the service; enter the context to run it."""
        self.delay_ms = delay_ms
        self.seed = seed
        # Bound to port 0 and read back: a port "free" for TCP may be some
        # prop's UDP port.
        self.service_port = 0
        self.port = 0
        self.service = TimeService(hub_us)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._open())
        self._ready.set()
        self._loop.run_forever()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self.service, local_addr=(LOOPBACK, 0)
        )
        self.service_port = self.port = transport.get_extra_info("sockname")[1]
        if self.delay_ms:
            proxy = _DelayProxy((LOOPBACK, self.service_port), self.delay_ms, self.seed)
            front, _ = await loop.create_datagram_endpoint(
                lambda: proxy, local_addr=(LOOPBACK, 0)
            )
            self.port = front.get_extra_info("sockname")[1]
            proxy.upstream, _ = await loop.create_datagram_endpoint(
                lambda: _Upstream(proxy), local_addr=(LOOPBACK, 0)
            )

    def __enter__(self) -> Self:
        """Start serving."""
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the loop and its thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
