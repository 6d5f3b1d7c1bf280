"""DFPlayer Mini audio over UART: a track select, a volume number, a Playing switch."""

import asyncio
import time

from . import CommandError, Component as Base, Facet, flag, number

PLAY = 0x03
VOLUME = 0x06
RESET = 0x0C
STOP = 0x16
STATUS = 0x42
FINISHED = (0x3C, 0x3D, 0x3E)  # USB, SD card, flash
ONLINE = 0x3F
ERROR = 0x40
POLL_MS = 50
# The busy line falls up to ~0.2 s after a play command.
START_MS = 500
WAKE_MS = 1500


def frame(buf, cmd, param):
    """Fill the 10-byte ``buf`` with a command frame and return it."""
    buf[0] = 0x7E
    buf[1] = 0xFF
    buf[2] = 0x06
    buf[3] = cmd
    buf[4] = 0  # no acknowledgement wanted
    buf[5] = param >> 8
    buf[6] = param & 0xFF
    total = -(0xFF + 0x06 + cmd + (param >> 8) + (param & 0xFF)) & 0xFFFF
    buf[7] = total >> 8
    buf[8] = total & 0xFF
    buf[9] = 0xEF
    return buf


def parse(buf):
    """Return (command, parameter) of a 10-byte reply, or None if it is not a good frame."""
    if buf[0] != 0x7E or buf[9] != 0xEF or buf[2] != 0x06:
        return None
    total = (buf[1] + buf[2] + buf[3] + buf[4] + buf[5] + buf[6]) & 0xFFFF
    if (total + ((buf[7] << 8) | buf[8])) & 0xFFFF:
        return None
    return buf[3], (buf[5] << 8) | buf[6]


class Component(Base):
    """The voice of a talking skull, the creak of a door."""

    stateful = True

    def __init__(self, node, cfg):
        """Open the port and say nothing: a stop goes out at boot."""
        super().__init__(node, cfg)
        self.uart = node.hw.uart(cfg.get("uart", 1), cfg["tx"], cfg.get("rx"))
        self.busy = None
        if "busy_pin" in cfg:
            self.busy = node.hw.input(cfg["busy_pin"], "up")
        self.tracks = cfg["tracks"]
        self.longest_ms = int(cfg.get("longest", 600) * 1000)
        self.track = cfg.get("initial") or next(iter(self.tracks))
        saved = node.store.get(cfg["keys"]["volume"])
        self.volume = saved if isinstance(saved, int) else cfg.get("volume", 20)
        self.playing = False
        self._busy_seen = False
        self.started = 0
        self.errors = 0
        self._out = bytearray(10)
        self._in = bytearray(10)
        self._one = bytearray(1)
        self._got = 0
        self.facets = (
            Facet(self, "volume", "number"),
            Facet(self, "playing", "switch"),
        )
        self.send(STOP, 0)

    def send(self, cmd, param):
        """Write one command frame."""
        self.uart.write(frame(self._out, cmd, param))

    def report(self, out):
        """Add the track, the volume and whether it plays."""
        keys = self.cfg["keys"]
        out[self.key] = self.track
        out[keys["volume"]] = self.volume
        out[keys["playing"]] = self.playing

    def state(self):
        """Return the chosen track."""
        return self.track

    def facet_state(self, role):
        """Return the volume, or whether it plays."""
        return self.volume if role == "volume" else self.playing

    def play(self, track=None):
        """Play ``track`` (a name from the config, or the chosen one)."""
        track = track or self.track
        number_ = self.tracks.get(track) if isinstance(track, str) else None
        if number_ is None:
            raise CommandError("bad_value", "unknown track " + str(track))
        self.track = track
        self.send(PLAY, number_)
        self.playing = True
        self._busy_seen = False
        self.started = time.ticks_ms()
        self.node.changed(self.key)

    def stop(self):
        """Stop playing."""
        self.send(STOP, 0)
        self._ended()

    def set_volume(self, level):
        """Set the volume 0..30 and keep it across restarts."""
        self.volume = int(number(level, 0, 30))
        self.send(VOLUME, self.volume)
        self.node.store.put(self.cfg["keys"]["volume"], self.volume)
        self.node.changed(self.key)

    def _ended(self):
        if self.playing:
            self.playing = False
            self.node.changed(self.key)

    def start(self):
        """Set the volume once the module has woken, then watch for the end of tracks."""
        self.forever(self._watch)

    async def _watch(self):
        # The module ignores commands for its first second or so after power-up.
        woke = time.ticks_add(time.ticks_ms(), WAKE_MS)
        asks = 0
        while True:
            await asyncio.sleep_ms(POLL_MS)
            if woke is not None and time.ticks_diff(woke, time.ticks_ms()) <= 0:
                woke = None
                self.send(VOLUME, self.volume)
            self._read()
            if not self.playing:
                continue
            played = time.ticks_diff(time.ticks_ms(), self.started)
            if played > self.longest_ms:
                self.node.log("warning", "%s: no end of track heard" % self.key)
                self._ended()
                continue
            if self.busy is not None and not self.busy.value():
                self._busy_seen = True
            if self._busy_seen:
                if played > START_MS and self.busy.value():
                    self._ended()
            else:
                # No busy line, or one that never fell (not wired, or not
                # working): ask the module twice a second.
                asks += 1
                if asks % 10 == 0 and played > START_MS:
                    self.send(STATUS, 0)

    def _read(self):
        uart = self.uart
        one = self._one
        while uart.any() and uart.readinto(one):
            byte = one[0]
            if self._got == 0 and byte != 0x7E:
                continue
            self._in[self._got] = byte
            self._got += 1
            if self._got == 10:
                self._got = 0
                self._heard(parse(self._in))

    def _heard(self, reply):
        if reply is None:
            self.node.drop("dfplayer_bad_frame")
            return
        cmd, param = reply
        if cmd in FINISHED or (cmd == STATUS and (param & 0xFF) != 1):
            self._ended()
        elif cmd == ONLINE:
            # Power came back to the module: it forgot the volume.
            self.send(VOLUME, self.volume)
        elif cmd == ERROR:
            self.errors += 1
            self.node.log("warning", "%s: module error %d" % (self.key, param))
            self._ended()

    def command(self, action, value, params):
        """Choosing a track plays it."""
        if action != "set":
            return super().command(action, value, params)
        self.play(value)
        return None

    def facet_command(self, role, action, value, params):
        """Volume, or the Playing switch: on plays the chosen track, off stops."""
        if action != "set":
            raise CommandError("unsupported_action", action + " is not a set")
        if role == "volume":
            self.set_volume(value)
        elif flag(value):
            self.play()
        else:
            self.stop()

    def act(self, op, arg):
        """``play`` a track, or ``stop``."""
        if op == "play":
            self.play(arg)
        elif op == "stop":
            self.stop()
        else:
            super().act(op, arg)

    async def idle(self):
        """Return once the track has ended."""
        while self.playing:
            await asyncio.sleep_ms(POLL_MS)

    def safe(self):
        """Silence."""
        if self.playing:
            self.stop()
