"""Runs on MicroPython: the heap the prop runtime uses, printed as one HEAP line.

Started by bench/firmware.py inside a built prop folder; not a CPython module.
"""

import asyncio
import gc
import json
import random  # noqa: F401
import sys

# Built into the firmware of a real board (in flash, not the heap); here they
# are the host's stub files, so they load before the count starts.
import machine  # noqa: F401
import neopixel  # noqa: F401
import network  # noqa: F401

try:
    with open("romfs.img", "rb") as f:
        # On a board a ROMFS image is flash mapped into the address space and
        # its bytecode runs in place; here it is one bytes object, read
        # before the count starts, standing for that flash.
        image = f.read()
except OSError:
    image = None
if image is not None:
    import vfs

    vfs.mount(vfs.VfsRom(image), "/rom")
    sys.path.insert(0, "/rom")

gc.collect()
start = gc.mem_alloc()
from propnet.mqtt import MQTTClient

gc.collect()
client_code = gc.mem_alloc() - start

from propnet import hw
from propnet.net import Network
from propnet.node import Node
from propnet.store import Store

with open("prop.json") as f:
    cfg = json.load(f)
gc.collect()
imported = gc.mem_alloc() - start
node = Node(cfg, hw, Network("bench", None, print), Store(), None)
gc.collect()
built = gc.mem_alloc() - start

if sys.platform == "webassembly":
    # No sockets there: the 32-bit figures stop before connecting.
    print(
        "HEAP",
        json.dumps({"client_code": client_code, "imported": imported, "built": built}),
    )
    sys.exit(0)


async def main():
    asyncio.create_task(node.run())
    while not node.client.connected:
        await asyncio.sleep_ms(5)
    # Births out, subscriptions acknowledged, a few status and telemetry rounds.
    for _ in range(20):
        node.changed("lid")
        await asyncio.sleep_ms(50)
    gc.collect()
    running = gc.mem_alloc() - start
    bare = MQTTClient("bench-bare", cfg["mqtt"]["host"], cfg["mqtt"]["port"])
    gc.collect()
    before = gc.mem_alloc()
    asyncio.create_task(bare.run())
    while not bare.connected:
        await asyncio.sleep_ms(5)
    await asyncio.sleep_ms(200)
    gc.collect()
    bare_connected = gc.mem_alloc() - before + client_code
    print(
        "HEAP",
        json.dumps(
            {
                "client_code": client_code,
                "client_connected": bare_connected,
                "imported": imported,
                "built": built,
                "running": running,
            }
        ),
    )
    sys.exit(0)


asyncio.run(main())
