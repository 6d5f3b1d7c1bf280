"""The board behind a thin interface, so components never import machine themselves."""

import gc

import machine

try:
    import neopixel
except ImportError:  # a board without the module has no addressable LEDs
    neopixel = None

_PULLS = {"up": machine.Pin.PULL_UP, "down": machine.Pin.PULL_DOWN, None: None}

_RESET_CAUSES = {}
for _name, _label in (
    ("PWRON_RESET", "power_on"),
    ("HARD_RESET", "hard"),
    ("WDT_RESET", "watchdog"),
    ("DEEPSLEEP_RESET", "deep_sleep"),
    ("SOFT_RESET", "soft"),
):
    if hasattr(machine, _name):
        _RESET_CAUSES[getattr(machine, _name)] = _label


def output(pin, level):
    """Return an output pin that is driven to ``level`` from its first instant."""
    return machine.Pin(pin, machine.Pin.OUT, value=level)


def input(pin, pull=None):
    """Return an input pin with an optional 'up' or 'down' pull."""
    p = _PULLS[pull]
    if p is None:
        return machine.Pin(pin, machine.Pin.IN)
    return machine.Pin(pin, machine.Pin.IN, p)


def pwm(pin, freq=1000):
    """Return a PWM output that starts dark."""
    return machine.PWM(
        machine.Pin(pin, machine.Pin.OUT, value=0), freq=freq, duty_u16=0
    )


def adc(pin):
    """Return an analog input reading 0..65535."""
    a = machine.ADC(machine.Pin(pin))
    if hasattr(a, "atten") and hasattr(machine.ADC, "ATTN_11DB"):
        a.atten(machine.ADC.ATTN_11DB)
    return a


# Step pulses last this long; drivers need 1 to 2 us (A4988, DRV8825).
STEP_HIGH_US = 5
_rmt_channels = [0]


class StepTrain:
    """Step pulses sent by the RMT peripheral, evenly spaced while the loop runs on."""

    def __init__(self, rmt):
        """Drive ``rmt``, a channel already set up on the step pin."""
        self.rmt = rmt

    def done(self):
        """Return whether the last train has gone out (never waits)."""
        return self.rmt.wait_done()

    def send(self, n, period_us):
        """Start ``n`` pulses ``period_us`` apart; returns at once."""
        period_us = max(period_us, 2 * STEP_HIGH_US)
        self.rmt.write_pulses((STEP_HIGH_US, period_us - STEP_HIGH_US) * n, True)


def step_train(pin):
    """Return a StepTrain on ``pin``, or None where there is no RMT channel left.

    Every ESP32 family has RMT (8 channels on the ESP32, 4 on the S3, 2 on
    the C3); the host has none, and steps there go out from the loop.
    """
    try:
        import esp32
    except ImportError:
        return None
    channel = _rmt_channels[0]
    try:
        rmt = esp32.RMT(
            channel,
            pin=machine.Pin(pin, machine.Pin.OUT, value=0),
            clock_div=80,  # 1 us per tick from the 80 MHz APB clock
            idle_level=False,
        )
    except (ValueError, OSError):
        return None
    _rmt_channels[0] = channel + 1
    return StepTrain(rmt)


def uart(id, tx, rx=None, baud=9600):
    """Return a serial port on ``tx`` (and ``rx``, if it has one)."""
    if rx is None:
        return machine.UART(id, baudrate=baud, tx=tx, timeout=0)
    return machine.UART(id, baudrate=baud, tx=tx, rx=rx, timeout=0)


def spi(id, sck, mosi, miso, baud=1000000):
    """Return an SPI bus in mode 0."""
    return machine.SPI(
        id,
        baudrate=baud,
        polarity=0,
        phase=0,
        sck=machine.Pin(sck),
        mosi=machine.Pin(mosi),
        miso=machine.Pin(miso),
    )


def pixels(pin, count):
    """Return a WS2812 strip of ``count`` pixels, or raise if the board has none."""
    if neopixel is None:
        raise OSError("no neopixel module")
    return neopixel.NeoPixel(machine.Pin(pin, machine.Pin.OUT, value=0), count)


def pulse_us(pin, level, timeout_us):
    """Return how long ``pin`` stays at ``level`` (µs), or a negative number on timeout."""
    return machine.time_pulse_us(pin, level, timeout_us)


def watchdog(timeout_ms):
    """Return a started hardware watchdog."""
    return machine.WDT(timeout=timeout_ms)


def reset():
    """Restart the board."""
    machine.reset()


def reset_reason():
    """Return why the board last started, as a word."""
    return _RESET_CAUSES.get(machine.reset_cause(), "unknown")


def unique_id():
    """Return the board's unique id as hex."""
    return "".join("%02x" % b for b in machine.unique_id())


def mem_free():
    """Return the free heap in bytes."""
    return gc.mem_free()
