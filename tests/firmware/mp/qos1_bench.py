"""Times QoS 1 publishes from publish() to PUBACK on MicroPython; used by bench/firmware.py."""

import asyncio
import json
import sys
import time

from propnet.mqtt import MQTTClient

client = MQTTClient("qos1-bench", "127.0.0.1", int(sys.argv[1]))


async def main():
    asyncio.create_task(client.run())
    await client.up.wait()
    times = []
    for i in range(200):
        t = time.ticks_us()
        client.publish("bench/qos1", str(i), qos=1)
        while client.pending():
            await asyncio.sleep_ms(0)
        times.append(time.ticks_diff(time.ticks_us(), t) / 1000)
    times.sort()
    print(
        "DONE"
        + json.dumps(
            {"count": len(times), "p50": times[len(times) // 2], "max": times[-1]}
        )
    )
    await client.disconnect()


asyncio.run(main())
