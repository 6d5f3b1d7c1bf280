"""Drives the firmware's MQTT client for tests/firmware/test_mqtt_client.py.

Usage: mqtt_session.py PORT [KEEPALIVE]. It prints what happens as lines the test reads:
``up N`` on each connection, ``down`` when it notices a lost broker (and
the client's own ``log warning broker connection lost: why``); when the
file ``publish`` appears it publishes a retained QoS 1 message and prints
``published inflight=N``; ``delivered`` once the broker acknowledged it.
While the file ``chatter`` exists it publishes QoS 0 telemetry every 100 ms.
It subscribes to ``session/in/#`` and prints ``got TOPIC LENGTH`` for each
message, and ``oversize N`` when the client drops one too large to read.
"""

import asyncio
import os
import sys
import time

from propnet.mqtt import MQTTClient

port = int(sys.argv[1])
client = MQTTClient(
    "mqtt-session",
    "127.0.0.1",
    port,
    keepalive=int(sys.argv[2]) if len(sys.argv) > 2 else 30,
    will=("session/state", "offline", True, 1),
    on_connect=lambda: [("session/state", "online", True, 1)],
    log=lambda level, msg: print("log", level, msg, time.ticks_ms()),
    on_message=lambda topic, payload: print("got", topic, len(payload)),
)
client.subscribe("session/in/#")


def exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


async def chatter():
    n = 0
    while True:
        if exists("chatter"):
            n += 1
            client.publish("session/telemetry", {"n": n})
        await asyncio.sleep_ms(100)


async def main():
    asyncio.create_task(client.run())
    asyncio.create_task(chatter())
    seen = 0
    was_up = False
    published = False
    oversize = 0
    while True:
        if client.stats["oversize"] > oversize:
            oversize = client.stats["oversize"]
            print("oversize", oversize)
        if client.stats["connects"] > seen:
            # Counted, not sampled: a reconnect can be quicker than this loop.
            seen = client.stats["connects"]
            print("up", seen, time.ticks_ms())
        elif was_up and not client.connected:
            print("down", time.ticks_ms())
        was_up = client.connected
        if not published and exists("publish"):
            client.publish("session/pending", "kept", retain=True, qos=1)
            await asyncio.sleep_ms(50)
            published = True
            print("published inflight=%d" % len(client._inflight))
        if published and client.pending() == 0:
            print("delivered", time.ticks_ms(), "resent=%d" % client.stats["resent"])
            published = None
        await asyncio.sleep_ms(5)


asyncio.run(main())
