"""Sensor filters after ESPHome's: each takes a value and returns it, a new one, or None."""

import time


class Throttle:
    """Let at most one value through per period."""

    def __init__(self, ms):
        """Pass one value per ``ms`` milliseconds."""
        self.ms = ms
        self.last = None

    def __call__(self, v):
        """Return ``v`` when the period since the last one is over, else None."""
        now = time.ticks_ms()
        if self.last is not None and time.ticks_diff(now, self.last) < self.ms:
            return None
        self.last = now
        return v


class Delta:
    """Let a value through only when it moved at least ``delta`` from the last one sent."""

    def __init__(self, delta):
        """Pass values that differ by ``delta`` or more."""
        self.delta = delta
        self.last = None

    def __call__(self, v):
        """Return ``v`` if far enough from the last one passed, else None."""
        if self.last is not None and abs(v - self.last) < self.delta:
            return None
        self.last = v
        return v


class SlidingAverage:
    """Average the last ``size`` values; emit every ``every`` values."""

    def __init__(self, size, every=1):
        """Keep a ring of ``size`` samples."""
        self.size = size
        self.every = every
        self.ring = []
        self.count = 0

    def __call__(self, v):
        """Add ``v``; return the window's mean every ``every`` samples."""
        self.ring.append(v)
        if len(self.ring) > self.size:
            self.ring.pop(0)
        self.count += 1
        if self.count < self.every:
            return None
        self.count = 0
        return sum(self.ring) / len(self.ring)


class Multiply:
    """Scale a value."""

    def __init__(self, factor):
        """Multiply by ``factor``."""
        self.factor = factor

    def __call__(self, v):
        """Return the scaled value."""
        return v * self.factor


class Offset:
    """Shift a value."""

    def __init__(self, offset):
        """Add ``offset``."""
        self.offset = offset

    def __call__(self, v):
        """Return the shifted value."""
        return v + self.offset


class Round:
    """Round to a number of decimals."""

    def __init__(self, digits):
        """Keep ``digits`` decimals."""
        self.digits = digits

    def __call__(self, v):
        """Return the rounded value."""
        return round(v, self.digits) if self.digits else int(round(v))


_KINDS = {
    "throttle": lambda a: Throttle(int(a * 1000)),
    "delta": Delta,
    "sliding_average": lambda a: SlidingAverage(a[0], a[1]),
    "multiply": Multiply,
    "offset": Offset,
    "round": Round,
}


class Chain:
    """Filters in order, plus a heartbeat that repeats the last value on schedule."""

    def __init__(self, specs):
        """Build from ``[[name, arg], ...]``; ``heartbeat`` sets the repeat period."""
        self.filters = []
        self.heartbeat_ms = 0
        for name, arg in specs:
            if name == "heartbeat":
                self.heartbeat_ms = int(arg * 1000)
            else:
                self.filters.append(_KINDS[name](arg))
        self.last = None
        self.sent_at = None

    def __call__(self, v):
        """Return what to publish for a new reading, or None."""
        for f in self.filters:
            v = f(v)
            if v is None:
                return self._beat()
        self.last = v
        self.sent_at = time.ticks_ms()
        return v

    def _beat(self):
        if (
            self.heartbeat_ms
            and self.last is not None
            and time.ticks_diff(time.ticks_ms(), self.sent_at) >= self.heartbeat_ms
        ):
            self.sent_at = time.ticks_ms()
            return self.last
        return None

    def due(self):
        """Return the last value when the heartbeat is due without a new reading."""
        return self._beat()
