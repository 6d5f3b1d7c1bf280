"""The hub's clock on the prop: offset and rate from timestamped UDP exchanges, slewed, never backwards.

The prop sends ``t0`` (its own microseconds); the hub stamps ``t1`` when the
request arrives and ``t2`` when its answer leaves; the prop stamps ``t3`` on
arrival. Each exchange gives an offset ``((t1 - t0) + (t2 - t3)) / 2`` that
is off by half the difference of the two one-way delays, and a round trip
``(t3 - t0) - (t2 - t1)`` that bounds that error. Delay only ever adds, so
the exchanges with the shortest round trips are the true ones. The clock
keeps the shortest of each quarter second over the last 30 s; the rate (the
two crystals' drift) is the line through the shortest of each sixth of that
time, and the offset comes from the exchange whose error is likely least:
a short round trip, and recent (an old one carries the rate's own error).
The show clock follows the estimate: stepped once, at the first sync, then
slewed (at most 1 %), so it never runs backwards.
"""

import asyncio
import socket
import struct
import time

MAGIC = b"PNT1"
REQUEST = "!4sIq"  # magic, sequence, t0
REPLY = "!4sIqqq"  # magic, sequence, t0, t1, t2
REPLY_SIZE = 32
BUCKET_US = 250000  # the shortest exchange of each quarter second is kept
WINDOW_US = 30000000
RATE_SLOTS = 6
MIN_SPAN_US = 2000000  # a rate needs exchanges spread over this much time
# How fast an estimate ages: the rate may still be off by this much.
RATE_DOUBT = 0.0001
SLEW_MAX = 0.01
RATE_MAX = 0.0005  # 500 ppm: no crystal is further off
STEP_US = 1000000  # off by more than this after a sync: step (the hub changed)


class LocalClock:
    """The prop's own microseconds as one growing number (ticks wrap on a board)."""

    def __init__(self):
        """Start counting from the ticks now."""
        self._last = time.ticks_us()
        self._total = 0

    def __call__(self):
        """Return microseconds since this clock was made."""
        now = time.ticks_us()
        self._total += time.ticks_diff(now, self._last)
        self._last = now
        return self._total


def fit(points):
    """Return (y0, d, slope): the least-squares line through (x, y) is y0 + d + slope * (x - x0).

    (x0, y0) is the first point, kept whole; only differences are floats,
    centred, since the board's floats are single precision.
    """
    x0, y0 = points[0]
    n = len(points)
    mx = sum(x - x0 for x, _ in points) / n
    my = sum(y - y0 for _, y in points) / n
    sxx = sxy = 0.0
    for x, y in points:
        dx = (x - x0) - mx
        sxx += dx * dx
        sxy += dx * ((y - y0) - my)
    if sxx <= 0:
        return y0, my, 0.0
    b = sxy / sxx
    return y0, my - b * mx, b


class Clock:
    """The hub's microseconds as the prop knows them, with how sure it is.

    Times are whole microseconds (a board's floats are single precision and
    cannot hold them); only small differences and the rate are floats.
    """

    def __init__(self, local=None):
        """No sync yet: ``synced`` is False until the first exchange."""
        self.local = local or LocalClock()
        # (local midpoint, offset, round trip): the shortest of each bucket, oldest first.
        self.samples = []
        self.synced = False
        self.offset_us = 0  # hub - local, at the last estimate
        self.rate = 0.0  # hub runs this much faster than the prop (0.0001: 100 ppm)
        self.rtt_us = None  # shortest round trip among the samples used
        self.exchanges = 0
        self.dropped = 0
        # The mapping in force: hub = h0 + dt + dt * (rate + slew) for the
        # first ``slew_us`` of dt = local - l0, then at ``rate`` alone.
        self._l0 = 0
        self._h0 = 0
        self._rate = 0.0
        self._slew = 0.0
        self._slew_us = 0

    def hub_us(self, local=None):
        """Return the hub's time now (or at local ``local``), in microseconds."""
        if local is None:
            local = self.local()
        dt = local - self._l0
        if dt <= self._slew_us:
            return self._h0 + dt + int(dt * (self._rate + self._slew))
        s = self._slew_us
        return self._h0 + dt + int(s * self._slew + dt * self._rate)

    def local_at(self, hub):
        """Return the local microseconds at which the hub's clock reads ``hub``."""
        local = self._l0 + (hub - self._h0)
        # The mapping rises by at least 1 - 1.05 % per microsecond: a few
        # corrections land on the microsecond.
        for _ in range(4):
            miss = hub - self.hub_us(local)
            if not miss:
                break
            local += int(miss / (1 + self._rate))
        return local

    def bound_us(self):
        """Return how far off the hub's time may be: half the best round trip."""
        return None if self.rtt_us is None else self.rtt_us // 2

    def add(self, t0, t1, t2, t3):
        """Take one exchange (t0, t3 local; t1, t2 hub) and re-estimate."""
        rtt = (t3 - t0) - (t2 - t1)
        if rtt < 0:
            self.dropped += 1  # a reply out of order with its request
            return
        self.exchanges += 1
        mid = (t0 + t3) // 2
        sample = (mid, ((t1 - t0) + (t2 - t3)) // 2, rtt)
        samples = self.samples
        if samples and samples[-1][0] // BUCKET_US == mid // BUCKET_US:
            if rtt < samples[-1][2]:
                samples[-1] = sample
        else:
            samples.append(sample)
        while mid - samples[0][0] > WINDOW_US:
            samples.pop(0)
        self._estimate(t3)

    def _drift(self):
        """Return the drift: the line through the shortest exchange of each slot of time."""
        samples = self.samples
        first, last = samples[0][0], samples[-1][0]
        if last - first < MIN_SPAN_US:
            return self.rate
        span = last - first + 1
        slots = [None] * RATE_SLOTS
        for s in samples:
            i = (s[0] - first) * RATE_SLOTS // span
            if slots[i] is None or s[2] < slots[i][2]:
                slots[i] = s
        points = [(s[0], s[1]) for s in slots if s is not None]
        if len(points) < 3:
            return self.rate
        b = fit(points)[2]
        return max(-RATE_MAX, min(RATE_MAX, b))

    def _estimate(self, now):
        samples = self.samples
        rtt_min = min(s[2] for s in samples)
        self.rtt_us = rtt_min
        b = self._drift()
        pick = samples[0]
        doubt = None
        for s in samples:
            d = (s[2] - rtt_min) / 2 + (now - s[0]) * RATE_DOUBT
            if doubt is None or d < doubt:
                pick, doubt = s, d
        offset = pick[1] + int((now - pick[0]) * b)
        self.offset_us, self.rate = offset, b
        target = now + offset
        current = self.hub_us(now)
        error = target - current
        if not self.synced or abs(error) > STEP_US:
            self._l0, self._h0, self._rate = now, target, b
            self._slew = 0.0
            self._slew_us = 0
            self.synced = True
            return
        self._l0, self._h0, self._rate = now, current, b
        self._slew = SLEW_MAX if error > 0 else -SLEW_MAX
        self._slew_us = int(abs(error) / SLEW_MAX)


def request(seq, t0):
    """Return the request datagram of exchange ``seq`` sent at local ``t0``."""
    return struct.pack(REQUEST, MAGIC, seq, t0)


def reply_times(data):
    """Return (sequence, t0, t1, t2) of a reply from the hub, or None for anything else."""
    if len(data) != REPLY_SIZE:
        return None
    magic, seq, t0, t1, t2 = struct.unpack(REPLY, data)
    if magic != MAGIC:
        return None
    return seq, t0, t1, t2


class Sync:
    """Keeps a Clock in step with the hub's time service over UDP.

    Requests go out on a fixed beat without waiting for answers (the answers
    find their request by sequence and ``t0``), so a slow path does not slow
    the beat: more exchanges, and so shorter best round trips, in the first
    seconds after joining.
    """

    def __init__(self, clock, host, port, fast_ms=10, slow_ms=1000, fast=500):
        """Ask ``host:port``: ``fast`` requests ``fast_ms`` apart, then one every ``slow_ms``."""
        self.clock = clock
        self.addr = socket.getaddrinfo(host, port)[0][-1]
        self.fast_ms = fast_ms
        self.slow_ms = slow_ms
        self.fast = fast
        self._seq = 0
        self._burst = fast
        self._sent = {}  # sequence -> t0 of requests not yet answered

    def again(self):
        """Start a fast series (after a reconnect: the path may have changed)."""
        self._burst = self.fast

    async def run(self):
        """Exchange with the hub forever; a lost reply is counted, not waited for."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        asyncio.create_task(self._listen(sock))
        clock = self.clock
        while True:
            self._seq = (self._seq + 1) & 0xFFFFFFFF
            t0 = clock.local()
            if len(self._sent) >= 64:
                # Unanswered for 64 beats: lost. Forget the oldest.
                self._sent.pop(next(iter(self._sent)))
                clock.dropped += 1
            self._sent[self._seq] = t0
            try:
                sock.sendto(request(self._seq, t0), self.addr)
            except OSError:
                clock.dropped += 1  # no route yet: Wi-Fi is still joining
            if self._burst:
                self._burst -= 1
                await asyncio.sleep_ms(self.fast_ms)
            else:
                await asyncio.sleep_ms(self.slow_ms)

    async def _listen(self, sock):
        reader = asyncio.StreamReader(sock)
        clock = self.clock
        while True:
            data = await reader.read(64)
            t3 = clock.local()
            times = reply_times(data)
            t0 = None if times is None else self._sent.pop(times[0], None)
            if t0 is None or t0 != times[1]:
                clock.dropped += 1
                continue
            clock.add(t0, times[2], times[3], t3)
