"""ULIDs for RGB commands: 48 bits of milliseconds and 80 random bits, Crockford base32."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Ports whose clock counts from 2000 need this added to reach the Unix epoch.
_EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0


def now_ms():
    """Return milliseconds since the Unix epoch by the board's clock."""
    if hasattr(time, "time_ns"):
        return time.time_ns() // 1000000 + _EPOCH_OFFSET * 1000
    return (int(time.time()) + _EPOCH_OFFSET) * 1000


def new(ms=None):
    """Return a new ULID string."""
    n = now_ms() if ms is None else ms
    rnd = os.urandom(10)
    r = 0
    for b in rnd:
        r = (r << 8) | b
    value = (n << 80) | r
    out = []
    for _ in range(26):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    out.reverse()
    return "".join(out)
