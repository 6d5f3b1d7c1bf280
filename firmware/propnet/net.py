"""Wi-Fi: connect, reconnect with backoff, and report what the link looks like."""

import asyncio
import random

import network


class Network:
    """Keeps the station connected; ``up`` is set while it has an address."""

    def __init__(self, ssid, password, log, backoff_ms=(500, 30000)):
        """Describe the network to join; ``run`` does the joining."""
        self.ssid = ssid
        self.password = password
        self.log = log
        self.backoff_ms = backoff_ms
        self.wlan = network.WLAN(network.STA_IF)
        self.up = asyncio.Event()
        self.attempts = 0

    def isconnected(self):
        """Return whether the station has a link and an address."""
        return self.wlan.isconnected()

    def ip(self):
        """Return the station's address, or None."""
        return self.wlan.ifconfig()[0] if self.isconnected() else None

    def dns(self):
        """Return the name server the network gave, or None."""
        return self.wlan.ifconfig()[3] if self.isconnected() else None

    def mac(self):
        """Return the station's MAC as aa:bb:cc:dd:ee:ff."""
        return ":".join("%02x" % b for b in self.wlan.config("mac"))

    def rssi(self):
        """Return the signal strength in dBm, or None when not connected."""
        try:
            return self.wlan.status("rssi") if self.isconnected() else None
        except Exception:  # noqa: BLE001 - some ports cannot tell
            return None

    def power_save(self, on):
        """Let the radio doze between beacons (the default), or keep it awake."""
        try:
            mode = self.wlan.PM_PERFORMANCE if on else self.wlan.PM_NONE
            self.wlan.config(pm=mode)
            self.log("info", "wifi power save " + ("on" if on else "off"))
        except (AttributeError, ValueError, OSError) as e:
            self.log("warning", "wifi power save cannot change here: %r" % (e,))

    async def run(self):
        """Join the network and rejoin whenever the link drops; forever."""
        self.wlan.active(True)
        delay = self.backoff_ms[0]
        while True:
            if self.wlan.isconnected():
                if not self.up.is_set():
                    self.log("info", "wifi connected, address " + str(self.ip()))
                    self.up.set()
                delay = self.backoff_ms[0]
                await asyncio.sleep_ms(1000)
                continue
            if self.up.is_set():
                self.log("warning", "wifi lost")
                self.up.clear()
            self.attempts += 1
            try:
                self.wlan.connect(self.ssid, self.password)
            except OSError as e:
                self.log("warning", "wifi connect failed: " + repr(e))
            # Give the join time to finish before judging it.
            for _ in range(20):
                if self.wlan.isconnected():
                    break
                await asyncio.sleep_ms(250)
            if not self.wlan.isconnected():
                await asyncio.sleep_ms(
                    delay // 2 + random.getrandbits(16) % (delay // 2 + 1)
                )
                delay = min(delay * 2, self.backoff_ms[1])
