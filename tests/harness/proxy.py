"""A TCP proxy on loopback that can stop forwarding without closing: a half-open link on demand."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

from .procs import LOOPBACK, free_port


class _Link:
    """One client connection and its connection to the server."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        # Directions that no longer forward: "up" is client to server.
        self.stalled: set[str] = set()


class StallingProxy:
    """Forwards to ``port``; ``stall`` makes today's connections go silent, one way or both."""

    def __init__(self, port: int) -> None:
        """Listen on a free loopback port (``self.port``)."""
        self.target = port
        self.port = free_port()
        self.links: list[_Link] = []
        # New connections are accepted but never forwarded while set.
        self.black_hole = False
        self._listener = socket.create_server((LOOPBACK, self.port))
        self._listener.settimeout(0.05)
        self._stop = False
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def __enter__(self) -> Self:
        """Use as a context manager."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close everything."""
        self.close()

    def stall(self, *directions: str) -> None:
        """Stop forwarding ``up`` and/or ``down`` on the connections open now."""
        for link in self.links:
            link.stalled.update(directions)

    def close(self) -> None:
        """Stop accepting and drop every connection."""
        self._stop = True
        for thread in self._threads:
            thread.join(5)
        self._listener.close()
        for link in self.links:
            for sock in (link.client, link.server):
                sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.black_hole:
                # Keep it open and silent: a broker that took the connection and hung.
                self.links.append(_Link(client, client))
                continue
            server = socket.create_connection((LOOPBACK, self.target))
            link = _Link(client, server)
            self.links.append(link)
            for src, dst, direction in (
                (client, server, "up"),
                (server, client, "down"),
            ):
                thread = threading.Thread(
                    target=self._pump, args=(link, src, dst, direction), daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _pump(
        self, link: _Link, src: socket.socket, dst: socket.socket, direction: str
    ) -> None:
        src.settimeout(0.05)
        while not self._stop:
            if direction in link.stalled:
                # Not reading: the sender's data waits in buffers, unanswered.
                time.sleep(0.05)
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            try:
                dst.sendall(data)
            except OSError:
                return
