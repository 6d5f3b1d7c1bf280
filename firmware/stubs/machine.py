"""Host stand-in for MicroPython's machine module: pins hold values tests can set."""

import os
import sys
import time

# PROPNET_SIM_ADC=sweep makes analog inputs no test has set sweep slowly up
# and down (phase-shifted per pin), so a simulated knob moves by itself.
_getenv = getattr(os, "getenv", lambda name: None)
_SWEEP = _getenv("PROPNET_SIM_ADC") == "sweep"
_PERIOD_MS = 24000

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

# Exit code that asks `propnet simulate` to start the prop again.
RESET_EXIT = 75

pins = {}
writes = []


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
            writes.append((id, value))
        elif id not in pins:
            pins[id] = 1 if pull == Pin.PULL_UP else 0

    def value(self, v=None):
        if v is None:
            return pins.get(self.id, 0)
        pins[self.id] = 1 if v else 0
        writes.append((self.id, pins[self.id]))
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class PWM:
    duty = {}

    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin
        self.freq_hz = freq
        PWM.duty[pin.id] = duty_u16

    def duty_u16(self, v=None):
        if v is None:
            return PWM.duty[self.pin.id]
        PWM.duty[self.pin.id] = v
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
        phase = (time.ticks_ms() + self.pin.id * 7919) % _PERIOD_MS
        half = _PERIOD_MS // 2
        level = phase if phase < half else _PERIOD_MS - phase
        return level * 65535 // half


class WDT:
    fed = 0

    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout

    def feed(self):
        WDT.fed += 1


def reset():
    sys.exit(RESET_EXIT)


def reset_cause():
    return PWRON_RESET


def unique_id():
    return b"\xa4\xcf\x12\x00\x00\x01"


def freq():
    return 240000000
