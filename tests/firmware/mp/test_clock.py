"""The show clock's estimator on MicroPython: replies that overtake each other, an hour of exchanges, a bad reply."""

from check import eq, run, test
from propnet.clock import BUCKET_US, WINDOW_US, Clock

OFFSET = 5000000000
RATE = 0.0002  # the hub runs 200 ppm faster


class Fake:
    """A local clock the test moves."""

    def __init__(self):
        """Start at zero."""
        self.now = 0

    def __call__(self):
        """Return the time the test set."""
        return self.now


def exchange(clock, t0, up_us, down_us):
    """Feed one exchange sent at local t0 with the given one-way delays."""
    hub0 = t0 + OFFSET + int(t0 * RATE)
    t1 = hub0 + up_us
    t2 = t1 + 20
    t3 = t0 + up_us + 20 + down_us
    clock.local.now = t3
    clock.add(t0, t1, t2, t3)


@test
def replies_that_overtake_each_other_keep_the_buckets_in_order():
    clock = Clock(Fake())
    seed = 7
    # An hour at one exchange every 100 ms, the requests delayed 0-20 ms one
    # way, each fed after the next one: every reply overtakes its elder.
    t = 0
    pending = None
    for n in range(36000):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        up = seed % 20000
        item = (t, up, 30)
        if pending is not None:
            exchange(clock, *item)
            exchange(clock, *pending)
            pending = None
        else:
            pending = item
        t += 100000
        mids = [s[0] for s in clock.samples]
        if mids != sorted(mids):
            raise AssertionError("buckets out of order at %d" % n)
    eq(
        len(clock.samples) <= WINDOW_US // BUCKET_US + 2,
        True,
        "the window stays bounded",
    )
    truth = OFFSET + int(clock.local.now * RATE)
    error = abs(clock.offset_us - truth)
    if error > 1000:
        raise AssertionError("offset off by %d us after an hour" % error)
    eq(abs(clock.rate - RATE) < 0.00002, True, "drift within 20 ppm")


@test
def a_reply_older_than_the_window_does_not_break_it():
    clock = Clock(Fake())
    for n in range(400):
        exchange(clock, n * 100000, 50, 50)
    exchange(clock, 0, 50, 50)  # a stray reply from long ago
    mids = [s[0] for s in clock.samples]
    eq(mids, sorted(mids), "in order")
    eq(clock.synced, True, "still synced")


@test
def a_new_estimate_within_a_second_is_slewed_to_and_says_how_far_is_left():
    clock = Clock(Fake())
    for n in range(30):
        exchange(clock, n * 100000, 50, 50)
    eq(abs(clock.slewing_us()) <= 5, True, "nothing to catch up on")
    # The path changes: the hub is now 10 ms further ahead by every reply.
    t0 = 3000000
    clock.local.now = t0 + 120
    clock.add(
        t0,
        t0 + OFFSET + int(t0 * RATE) + 10050,
        t0 + OFFSET + int(t0 * RATE) + 10070,
        t0 + 120,
    )
    left = clock.slewing_us()
    eq(9800 <= left <= 10100, True, "about 10 ms to slew, got %d" % left)
    clock.local.now += 500000  # half-way at 1 %
    eq(4800 <= clock.slewing_us() <= 5100, True, "half left")
    clock.local.now += 600000
    eq(clock.slewing_us(), 0, "caught up")


run()
