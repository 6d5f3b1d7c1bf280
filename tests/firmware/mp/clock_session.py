"""Keeps the prop's show clock with a hub time service, for tests/show/test_clock.py.

Usage: clock_session.py HUB_HOST HUB_PORT QUERY_PORT. A datagram to
QUERY_PORT is answered at once with ``hub_us bound_us synced exchanges``:
the prop's estimate of the hub's clock as it answers.
"""

import asyncio
import socket
import sys

from propnet.clock import Clock, Sync

host, port, query_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clock = Clock()
sync = Sync(clock, host, port)


async def answer_queries():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(socket.getaddrinfo("127.0.0.1", query_port)[0][-1])
    sock.setblocking(False)
    reader = asyncio.StreamReader(sock)
    while True:
        await reader.read(64)
        now = clock.hub_us()
        text = "%d %s %d %d %d %d %d" % (
            now,
            clock.bound_us(),
            clock.synced,
            clock.exchanges,
            int(clock.rate * 1e6),
            len(clock.samples),
            clock.dropped,
        )
        # The asker is the test on loopback, listening on QUERY_PORT + 1.
        sock.sendto(
            text.encode(), socket.getaddrinfo("127.0.0.1", query_port + 1)[0][-1]
        )


async def main():
    asyncio.create_task(sync.run())
    print("started")
    await answer_queries()


asyncio.run(main())
