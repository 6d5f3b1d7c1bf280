"""A TCP proxy on loopback that can stop forwarding without closing: a half-open link on demand."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType
from typing import Self

from .procs import LOOPBACK, free_port


class _Link:
    """One client connection and its connection to the server."""

    def __init__(self, client: socket.socket, server: socket.socket | None) -> None:
        self.client = client
        self.server = server
        # Directions that no longer forward: "up" is client to server.
        self.stalled: set[str] = set()


class StallingProxy:
    """Forwards to ``port``; ``stall`` makes today's connections go silent, one way or both.

    One thread serves every connection (a selector), so a test that opens
    connections does not leave threads behind.
    """

    def __init__(self, port: int) -> None:
        """Listen on a free loopback port (``self.port``)."""
        self.target = port
        self.port = free_port()
        self.links: list[_Link] = []
        # New connections are accepted but never forwarded while set.
        self.black_hole = False
        # New connections are closed at once while set (the network is down).
        self.refusing = False
        self._listener = socket.create_server((LOOPBACK, self.port))
        self._listener.setblocking(False)
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

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

    def cut(self) -> None:
        """Drop every connection and refuse new ones until ``heal``."""
        self.refusing = True
        for link in self.links:
            for sock in (link.client, link.server):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def heal(self) -> None:
        """Forward new connections again."""
        self.refusing = False

    def close(self) -> None:
        """Stop serving and drop every connection."""
        self._stop = True
        self._thread.join(5)
        self._listener.close()
        for link in self.links:
            for sock in (link.client, link.server):
                if sock is not None:
                    sock.close()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stop:
                for key, _ in selector.select(0.05):
                    if key.fileobj is self._listener:
                        self._accept(selector)
                    else:
                        self._forward(selector, key.data)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        if self.refusing:
            client.close()
            return
        if self.black_hole:
            # Kept open and silent: a broker that took the connection and hung.
            self.links.append(_Link(client, None))
            return
        server = socket.create_connection((LOOPBACK, self.target))
        link = _Link(client, server)
        self.links.append(link)
        selector.register(client, selectors.EVENT_READ, (link, client, server, "up"))
        selector.register(server, selectors.EVENT_READ, (link, server, client, "down"))

    @staticmethod
    def _forward(
        selector: selectors.BaseSelector,
        data: tuple[_Link, socket.socket, socket.socket, str],
    ) -> None:
        link, src, dst, direction = data
        if direction in link.stalled:
            # Not reading any more: the sender's data waits in buffers, unanswered.
            selector.unregister(src)
            return
        try:
            chunk = src.recv(65536)
            if chunk:
                dst.sendall(chunk)
                return
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(sock)
            sock.close()
