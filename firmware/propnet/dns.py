"""Resolve the broker's name without stopping the prop: one A query over UDP, polled from asyncio.

MicroPython's ``socket.getaddrinfo`` (and so ``asyncio.open_connection``)
waits for the name server with every task stopped: a slow or silent one
stalls the prop's sensors and outputs, and with the watchdog on resets it
into safe mode. This module asks the name server itself on a non-blocking
socket and sleeps between looks, so the other tasks run while it waits.
It is imported only when the broker is given by name.
"""

import asyncio
import random
import socket
import struct
import time

POLL_MS = 20
TIMEOUT_MS = 2000
TRIES = 2


class DNSError(OSError):
    """The name could not be resolved; the message says why."""


def is_literal(host):
    """Return whether ``host`` is a dotted IPv4 address (nothing to resolve)."""
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts)


def server_of(text, fallback):
    """Return (address, port) of the name server from ``ip[:port]``, else ``fallback``'s."""
    text = text or fallback
    if not text:
        return None
    host, _, port = text.partition(":")
    return host, int(port) if port else 53


def query(name, ident):
    """Return a DNS query for the A record of ``name``."""
    out = bytearray(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0))
    for label in name.split("."):
        out.append(len(label))
        out += label.encode()
    out += b"\x00\x00\x01\x00\x01"
    return bytes(out)


def _skip_name(data, pos):
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:  # a pointer ends the name
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def answer(data, ident):
    """Return the first IPv4 address in a reply to query ``ident``, or None if it is not one."""
    if len(data) < 12:
        return None
    rid, flags, qd, an = struct.unpack("!HHHH", data[:8])
    if rid != ident or not flags & 0x8000:
        return None
    if flags & 0x000F:
        raise DNSError("name server answered error %d" % (flags & 0x000F))
    pos = 12
    for _ in range(qd):
        pos = _skip_name(data, pos) + 4
    for _ in range(an):
        pos = _skip_name(data, pos)
        if pos + 10 > len(data):
            raise ValueError("truncated reply")
        kind, _cls, _ttl, size = struct.unpack("!HHIH", data[pos : pos + 10])
        pos += 10
        if pos + size > len(data):
            raise ValueError("truncated reply")
        if kind == 1 and size == 4:
            return "%d.%d.%d.%d" % tuple(data[pos : pos + 4])
        pos += size
    raise DNSError("no address for the name")


async def resolve(name, server, timeout_ms=TIMEOUT_MS, tries=TRIES):
    """Return the IPv4 address of ``name`` asked of ``server`` (address, port)."""
    if server is None:
        raise DNSError("no name server known")
    # The server is a literal address: this lookup asks nobody.
    addr = socket.getaddrinfo(server[0], server[1])[0][-1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        for _ in range(tries):
            ident = random.getrandbits(16)
            sock.sendto(query(name, ident), addr)
            deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
            while time.ticks_diff(deadline, time.ticks_ms()) > 0:
                try:
                    data = sock.recv(512)
                except OSError:
                    await asyncio.sleep_ms(POLL_MS)
                    continue
                try:
                    found = answer(data, ident)
                except (IndexError, ValueError):
                    found = None  # garbled: keep waiting for the real reply
                if found is not None:
                    return found
        raise DNSError("no answer from the name server for " + name)
    finally:
        sock.close()
