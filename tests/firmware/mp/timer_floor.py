"""A bare MicroPython timer loop: how late asyncio wakes when nothing else runs; for bench.show.

Usage: timer_floor.py SECONDS. Prints ``floor p50 p99 max`` in microseconds.
"""

import asyncio
import random
import sys
import time


async def main(seconds):
    late = []
    end = time.ticks_add(time.ticks_ms(), int(seconds * 1000))
    while time.ticks_diff(end, time.ticks_ms()) > 0:
        wait = 20 + random.getrandbits(7) % 80
        due = time.ticks_add(time.ticks_us(), wait * 1000)
        await asyncio.sleep_ms(wait)
        late.append(time.ticks_diff(time.ticks_us(), due))
    late.sort()
    n = len(late)
    print("floor %d %d %d" % (late[n // 2], late[min(n - 1, n * 99 // 100)], late[-1]))


asyncio.run(main(float(sys.argv[1])))
