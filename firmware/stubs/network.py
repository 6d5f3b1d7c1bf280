"""Host stand-in for MicroPython's network module: Wi-Fi that is always up."""

STA_IF = 0
AP_IF = 1
STAT_GOT_IP = 1010

import os

# `propnet-firmware simulate` gives each virtual prop its own address.
_getenv = getattr(os, "getenv", lambda name: None)
_text = _getenv("PROPNET_MAC") or "a4:cf:12:00:00:01"
mac = bytes(int(part, 16) for part in _text.split(":"))


class WLAN:
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2
    # The power management mode set last, for tests.
    pm = PM_PERFORMANCE

    def __init__(self, interface=STA_IF):
        self._active = False
        self._connected = False

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = on
        return None

    def connect(self, ssid=None, key=None):
        self._connected = True

    def disconnect(self):
        self._connected = False

    def isconnected(self):
        return self._connected

    def status(self, param=None):
        if param == "rssi":
            return -52
        return STAT_GOT_IP if self._connected else 0

    def config(self, *args, **kwargs):
        if args and args[0] == "mac":
            return mac
        if args and args[0] == "pm":
            return WLAN.pm
        if "pm" in kwargs:
            WLAN.pm = kwargs["pm"]
        return None

    def ifconfig(self):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")
