"""The hub's clock on the prop: offset and rate from timestamped UDP exchanges, slewed, never backwards.

The prop sends ``t0`` (its own microseconds); the hub stamps ``t1`` when the
request arrives and ``t2`` when its answer leaves; the prop stamps ``t3`` on
arrival. Delay only ever adds, so each exchange bounds the offset (hub minus
prop) on both sides: it is at most ``t1 - t0`` (the request took some time)
and at least ``t2 - t3`` (so did the reply), and the two bounds come from
the two directions separately. The clock keeps, for each quarter second of
the last 30 s, the best bound of each direction; the rate (the two
crystals' drift) is the line through the tightest bounds of each sixth of
that time; the offset lies where every kept bound, carried to now by the
rate and widened by the rate's own doubt, overlaps, and half that overlap
is the error bound the prop reports. A path whose delays are uneven in one
direction only (Wi-Fi retries, a busy broker host) then costs nothing: the
quick replies pin the lower bound whatever the requests do.
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
# The least a fitted drift is taken to be off by: 5 ppm.
RATE_FLOOR = 0.000005
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
    """Return (slope, its standard error) of the least-squares line through (x, y) points.

    Only differences from the first point are floats, centred, since the
    board's floats are single precision.
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
    if sxx <= 0 or n < 3:
        return 0.0, RATE_MAX
    b = sxy / sxx
    res = 0.0
    for x, y in points:
        r = (y - y0) - my - b * ((x - x0) - mx)
        res += r * r
    return b, (res / (n - 2) / sxx) ** 0.5


class Clock:
    """The hub's microseconds as the prop knows them, with how sure it is.

    Times are whole microseconds (a board's floats are single precision and
    cannot hold them); only small differences and the rate are floats.
    """

    def __init__(self, local=None):
        """No sync yet: ``synced`` is False until the first exchange."""
        self.local = local or LocalClock()
        # [local midpoint, lower bound, upper bound] of the offset, each
        # the best of its bucket, oldest first.
        self.samples = []
        self.synced = False
        self.offset_us = 0  # hub - local, at the last estimate
        self.rate = 0.0  # hub runs this much faster than the prop (0.0001: 100 ppm)
        self.rtt_us = None  # shortest round trip among the samples kept
        self.error_us = None  # half the width of the bounds the offset lies in
        self.rate_doubt = RATE_MAX  # how far off the drift may be
        self.exchanges = 0
        self.dropped = 0
        self.failed = None  # the last exchange that raised, for the log
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

    def slewing_us(self, local=None):
        """Return how far the show clock still is from the estimate, by the slew still ahead."""
        if local is None:
            local = self.local()
        left = self._slew_us - max(0, local - self._l0)
        return int(left * self._slew) if left > 0 else 0

    def bound_us(self):
        """Return how far off the hub's time may be, by the exchanges' own bounds."""
        return self.error_us

    def add(self, t0, t1, t2, t3):
        """Take one exchange (t0, t3 local; t1, t2 hub) and re-estimate."""
        # Delay only adds: the request's arrival bounds the offset from above
        # (t1 - t0), the reply's from below (t2 - t3), each whatever the
        # other direction's delay was.
        upper, lower = t1 - t0, t2 - t3
        if upper < lower:
            self.dropped += 1  # a reply out of order with its request
            return
        self.exchanges += 1
        mid = (t0 + t3) // 2
        samples = self.samples
        bucket = mid // BUCKET_US
        # Replies overtake each other (a slow request, then a quick one), so
        # an exchange may belong to an earlier bucket than the newest: the
        # buckets stay in order of time, which the window and the drift rely on.
        i = len(samples)
        while i and samples[i - 1][0] // BUCKET_US > bucket:
            i -= 1
        if i and samples[i - 1][0] // BUCKET_US == bucket:
            # One bucket keeps the best bound of each direction, moved to its
            # first instant by the drift.
            same = samples[i - 1]
            shift = int((same[0] - mid) * self.rate)
            same[1] = max(same[1], lower + shift)
            same[2] = min(same[2], upper + shift)
        else:
            samples.insert(i, [mid, lower, upper])
        newest = samples[-1][0]
        while newest - samples[0][0] > WINDOW_US:
            samples.pop(0)
        self._estimate(t3)

    def _drift(self):
        """Return the drift and how far off it may be, from the tightest bounds of each slot of time.

        Lines are fitted through the slots' lower bounds and through their
        upper bounds; the one that fits better (the direction whose delays
        vary less) gives the drift.
        """
        samples = self.samples
        first, last = samples[0][0], samples[-1][0]
        if last - first < MIN_SPAN_US:
            return self.rate, RATE_MAX
        span = last - first + 1
        rate = self.rate
        # Per slot: [instant, highest lower bound, lowest upper bound], each
        # bucket's bounds moved to the slot's first instant.
        slots = [None] * RATE_SLOTS
        for s in samples:
            i = (s[0] - first) * RATE_SLOTS // span
            slot = slots[i]
            if slot is None:
                slots[i] = [s[0], s[1], s[2]]
                continue
            shift = int((slot[0] - s[0]) * rate)
            slot[1] = max(slot[1], s[1] + shift)
            slot[2] = min(slot[2], s[2] + shift)
        slots = [s for s in slots if s is not None]
        if len(slots) < 3:
            return self.rate, RATE_MAX
        b, se = fit([(s[0], s[1]) for s in slots])
        b2, se2 = fit([(s[0], s[2]) for s in slots])
        if se2 < se:
            b, se = b2, se2
        return max(-RATE_MAX, min(RATE_MAX, b)), max(RATE_FLOOR, min(RATE_MAX, 3 * se))

    def _estimate(self, now):
        b, doubt_rate = self._drift()
        # Every bucket's bounds, carried to now by the drift and widened by
        # how wrong the drift may be, hold the offset: it lies where they all
        # overlap. If they do not (the path or the hub changed), the oldest
        # go until they do.
        while True:
            low = high = narrowest = None
            for s in self.samples:
                width = s[2] - s[1]
                if narrowest is None or width < narrowest:
                    narrowest = width
                age = now - s[0]
                move = int(age * b)
                doubt = int(age * doubt_rate)
                lo = s[1] + move - doubt
                hi = s[2] + move + doubt
                if low is None or lo > low:
                    low = lo
                if high is None or hi < high:
                    high = hi
            if low <= high or len(self.samples) == 1:
                break
            self.samples.pop(0)
        self.rate_doubt = doubt_rate
        offset = (low + high) // 2
        self.error_us = (high - low) // 2
        self.rtt_us = narrowest
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

    def __init__(self, clock, host=None, port=None, fast_ms=10, slow_ms=1000, fast=500):
        """Ask ``host:port`` (or where ``point`` says): ``fast`` requests ``fast_ms`` apart, then one every ``slow_ms``."""
        self.clock = clock
        self.addr = None
        self.fast_ms = fast_ms
        self.slow_ms = slow_ms
        self.fast = fast
        self._seq = 0
        self._burst = fast
        self._sent = {}  # sequence -> t0 of requests not yet answered
        self._pointed = asyncio.Event()
        self.heard_ms = None  # ticks_ms of the last answer
        if host is not None:
            self.point(host, port)

    def point(self, host, port):
        """Ask the service at ``host:port`` from now on; a new address starts a fast series."""
        addr = socket.getaddrinfo(host, port)[0][-1]
        if addr != self.addr:
            self.addr = addr
            self.again()
        self._pointed.set()

    def again(self):
        """Start a fast series (after a reconnect: the path may have changed)."""
        self._burst = self.fast

    def heard_within(self, ms):
        """Return whether the hub answered within the last ``ms`` milliseconds."""
        return (
            self.heard_ms is not None
            and time.ticks_diff(time.ticks_ms(), self.heard_ms) < ms
        )

    async def run(self):
        """Exchange with the hub forever; a lost reply is counted, not waited for."""
        await self._pointed.wait()
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
            try:
                times = reply_times(data)
                t0 = None if times is None else self._sent.pop(times[0], None)
                if t0 is None or t0 != times[1]:
                    clock.dropped += 1
                    continue
                self.heard_ms = time.ticks_ms()
                clock.add(t0, times[2], times[3], t3)
            except Exception as e:  # noqa: BLE001 - one bad exchange must not end the clock
                clock.dropped += 1
                clock.failed = repr(e)
