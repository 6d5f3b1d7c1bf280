"""Drives the firmware's MQTT client for tests/firmware/test_mqtt_client.py.

Usage: mqtt_session.py PORT. It prints what happens as lines the test reads:
``up N`` on each connection, ``down`` when it notices a lost broker; when the
file ``publish`` appears it publishes a retained QoS 1 message and prints
``published inflight=N``; ``delivered`` once the broker acknowledged it.
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
    keepalive=30,
    will=("session/state", "offline", True, 1),
    on_connect=lambda: [("session/state", "online", True, 1)],
)


def exists(name):
    try:
        os.stat(name)
        return True
    except OSError:
        return False


async def main():
    asyncio.create_task(client.run())
    seen = 0
    was_up = False
    published = False
    while True:
        if client.connected and not was_up:
            seen += 1
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
