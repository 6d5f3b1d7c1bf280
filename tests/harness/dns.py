"""A name server for tests, on loopback: answers A queries from a table, or stays silent."""

from __future__ import annotations

import socket
import struct
import threading
from types import TracebackType
from typing import Self

from .procs import LOOPBACK


class NameServer:
    """Answers ``names`` (name -> IPv4) over UDP; ``silent`` makes it drop every query."""

    def __init__(self, names: dict[str, str]) -> None:
        """Bind to a free loopback port; enter the context to serve."""
        self.names = names
        self.silent = False
        self.queries = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(512)
            except TimeoutError:
                continue
            self.queries += 1
            if not self.silent:
                self._sock.sendto(self._reply(data), peer)

    def _reply(self, query: bytes) -> bytes:
        ident = query[:2]
        labels, pos = [], 12
        while query[pos]:
            labels.append(query[pos + 1 : pos + 1 + query[pos]].decode())
            pos += 1 + query[pos]
        question = query[12 : pos + 5]
        address = self.names.get(".".join(labels))
        if address is None:  # NXDOMAIN
            return ident + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question
        record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4)
        record += socket.inet_aton(address)
        return ident + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + question + record

    def __enter__(self) -> Self:
        """Serve until the context ends."""
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving and close the socket."""
        self._stop.set()
        self._thread.join()
        self._sock.close()
