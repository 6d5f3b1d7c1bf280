"""Drives the MQTT client to a broker given by name, for tests/firmware/test_mqtt_client.py.

Usage: dns_session.py NAME BROKER_PORT DNS_PORT. A second task prints
``tick MS`` every 50 ms, as a prop's sensors and outputs keep running; the
script prints ``up N`` on each connection and ``error WHY`` each time the
reason a connect failed changes.
"""

import asyncio
import sys
import time

from propnet import dns
from propnet.mqtt import MQTTClient

name, port, dns_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
client = MQTTClient(
    "dns-session",
    name,
    port,
    backoff_ms=(200, 400),
    log=lambda level, msg: print("log", level, msg),
    resolve=lambda host: dns.resolve(host, ("127.0.0.1", dns_port), timeout_ms=500),
)


async def ticker():
    while True:
        print("tick", time.ticks_ms())
        await asyncio.sleep_ms(50)


async def main():
    asyncio.create_task(client.run())
    asyncio.create_task(ticker())
    seen = 0
    error = None
    while True:
        if client.stats["connects"] > seen:
            seen = client.stats["connects"]
            print("up", seen)
        if client.last_error != error:
            error = client.last_error
            print("error", error)
        await asyncio.sleep_ms(20)


asyncio.run(main())
