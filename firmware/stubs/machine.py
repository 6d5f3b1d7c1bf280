"""Host stand-in for MicroPython's machine module: pins hold values tests can set."""

import os
import sys
import time

# PROPNET_SIM_ADC=sweep makes analog inputs no test has set sweep slowly up
# and down (phase-shifted per pin), so a simulated knob moves by itself: for
# _MOVE_MS at the start of each minute, then it rests where it stopped, so a
# colour someone picks in Home Assistant holds until the next turn.
_getenv = getattr(os, "getenv", lambda name: None)
_SWEEP = _getenv("PROPNET_SIM_ADC") == "sweep"
_PERIOD_MS = 24000
_EVERY_MS = 60000
_MOVE_MS = 8000

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

# Exit code that asks `propnet simulate` to start the prop again.
RESET_EXIT = 75

pins = {}
writes = []

# PROPNET_PIN_REPORT=<port> sends "<pin> <value>" to 127.0.0.1:<port> at each
# pin write, so a test can stamp the moment with a clock outside the prop.
_report = _getenv("PROPNET_PIN_REPORT")
if _report:
    import socket as _socket

    _report_sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    _report_addr = _socket.getaddrinfo("127.0.0.1", int(_report))[0][-1]


# Tests read the latest writes; a prop that runs for hours must not keep
# them all (a list of every write grew until the heap could not hold it).
_WRITES_KEPT = 4096


def _written(id, value):
    if len(writes) >= _WRITES_KEPT:
        del writes[: _WRITES_KEPT // 2]
    writes.append((id, value))
    if _report:
        _report_sock.sendto(("%s %d" % (id, value)).encode(), _report_addr)


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=None, value=None):
        self.id = id
        self.mode = mode
        if value is not None:
            pins[id] = value
            _written(id, value)
        elif id not in pins:
            pins[id] = 1 if pull == Pin.PULL_UP else 0

    def value(self, v=None):
        if v is None:
            return pins.get(self.id, 0)
        pins[self.id] = 1 if v else 0
        _written(self.id, pins[self.id])
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class PWM:
    duty = {}
    # Every duty written, as (pin, duty), for tests of moves.
    history = []

    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin
        self.freq_hz = freq
        PWM.duty[pin.id] = duty_u16
        PWM.history.append((pin.id, duty_u16))

    def duty_u16(self, v=None):
        if v is None:
            return PWM.duty[self.pin.id]
        PWM.duty[self.pin.id] = v
        PWM.history.append((self.pin.id, v))
        return None

    def deinit(self):
        pass


class ADC:
    ATTN_11DB = 3
    levels = {}

    def __init__(self, pin):
        self.pin = pin

    def atten(self, a):
        pass

    def read_u16(self):
        if self.pin.id in ADC.levels or not _SWEEP:
            return ADC.levels.get(self.pin.id, 0)
        now = time.ticks_ms()
        turned = now // _EVERY_MS * _MOVE_MS + min(now % _EVERY_MS, _MOVE_MS)
        phase = (turned + self.pin.id * 7919) % _PERIOD_MS
        half = _PERIOD_MS // 2
        level = phase if phase < half else _PERIOD_MS - phase
        return level * 65535 // half


class UART:
    """A serial port: what is written is kept; a simulated device may answer."""

    # id -> the last port opened with it, for tests.
    ports = {}
    # A callable making the device on a new port; None: nothing answers.
    device = None

    def __init__(self, id, baudrate=9600, tx=None, rx=None, timeout=0):
        self.id = id
        self.baudrate = baudrate
        self.written = bytearray()
        self.incoming = bytearray()
        self.sim = UART.device(self) if UART.device is not None else None
        UART.ports[id] = self

    def write(self, buf):
        self.written.extend(buf)
        if self.sim is not None:
            self.sim.received(bytes(buf))
        return len(buf)

    def answer(self, data):
        self.incoming.extend(data)

    def any(self):
        if self.sim is not None:
            self.sim.tick()
        return len(self.incoming)

    def readinto(self, buf, n=None):
        n = min(len(buf) if n is None else n, len(self.incoming))
        buf[:n] = self.incoming[:n]
        self.incoming = self.incoming[n:]
        return n

    def read(self, n=-1):
        if not self.incoming:
            return None
        if n < 0:
            n = len(self.incoming)
        out = bytes(self.incoming[:n])
        self.incoming = self.incoming[n:]
        return out


class SPI:
    """An SPI bus; ``device`` (with ``exchange(tx) -> rx``) stands for the chip on it."""

    device = None
    # Every exchange as (bytes out, bytes in).
    log = []

    def __init__(self, id, baudrate=1000000, polarity=0, phase=0, **pins):
        self.id = id

    def write_readinto(self, tx, rx):
        tx = bytes(tx)
        got = SPI.device.exchange(tx) if SPI.device is not None else bytes(len(tx))
        rx[: len(got)] = got
        SPI.log.append((tx, bytes(got)))


# pin -> echo widths (µs) the next calls of time_pulse_us return, in order.
echoes = {}


def time_pulse_us(pin, level, timeout_us=1000000):
    # As MicroPython's extmod/machine_pulse.c: -2 when no pulse began within
    # the timeout (no echo), -1 when it began and outlasted the timeout.
    widths = echoes.get(pin.id)
    if not widths:
        return -2
    width = widths.pop(0)
    return width if width <= timeout_us else -1


# Written when the stub watchdog fires; the next reset_cause() reads it.
WDT_MARK = "wdt_reset"
# A test creates this file to make the prop's main loop hang.
HANG_MARK = "hang"


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _hang(_):
    while True:
        pass


class WDT:
    """Counts down in a thread like the hardware one: not fed in time, the process dies.

    The prop's restart loop (propnet-firmware simulate, the test harness)
    starts it again when WDT_MARK is there, as a board restarts after a
    watchdog reset; reset_cause() then says WDT_RESET.
    """

    fed = 0
    # Tests that stop feeding on purpose (the event loop ends) turn it off.
    countdown = True

    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        self._last = time.ticks_ms()
        if WDT.countdown:
            import _thread

            _thread.start_new_thread(self._count_down, ())

    def feed(self):
        WDT.fed += 1
        self._last = time.ticks_ms()

    def _count_down(self):
        while True:
            time.sleep_ms(20)
            if _exists(HANG_MARK):
                # Fault injection for tests: the main loop gets stuck.
                os.remove(HANG_MARK)
                import micropython

                micropython.schedule(_hang, None)
            starved = time.ticks_diff(time.ticks_ms(), self._last)
            if starved > self.timeout:
                print("watchdog: not fed for %d ms; resetting" % starved)
                with open(WDT_MARK, "w") as f:
                    f.write("%d" % starved)
                # The shell's parent is this process: gone at once, like a reset.
                os.system("kill -9 $PPID")


def reset():
    sys.exit(RESET_EXIT)


def reset_cause():
    if not _exists(WDT_MARK):
        return PWRON_RESET
    os.remove(WDT_MARK)
    return WDT_RESET


def unique_id():
    return b"\xa4\xcf\x12\x00\x00\x01"


def freq():
    return 240000000


def _dfplayer(port):
    # The only UART device props have: virtual props get a simulated DFPlayer.
    from sim_devices import DFPlayer

    return DFPlayer(port)


UART.device = _dfplayer
