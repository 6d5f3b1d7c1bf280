"""PWM (one or three channels) and WS2812 lights with transitions; can follow the RGB channel."""

import asyncio
import json

from . import CommandError, Component as Base, flag, number

STEP_MS = 20
IDENTIFY_BLINKS = 10


def _level_list(value, size):
    if not isinstance(value, list) or len(value) != size:
        raise CommandError("bad_value", "expected %d levels" % size)
    for v in value:
        number(v, 0, 255)
    return [int(v) for v in value]


class Component(Base):
    """Eyes that glow, a strip that follows the show's colour."""

    stateful = True

    def __init__(self, node, cfg):
        """Set up the outputs dark."""
        super().__init__(node, cfg)
        self.output = cfg.get("output", "pwm")
        if self.output == "ws2812":
            self.strip = node.hw.pixels(cfg["pin"], cfg.get("count", 1))
            self.channels = None
            self.width = 3
        else:
            freq = cfg.get("freq", 1000)
            self.channels = [node.hw.pwm(p, freq) for p in cfg["pins"]]
            self.width = len(self.channels)
        self.on = False
        self.brightness = 255
        self.rgb = [255, 255, 255]
        self.default_transition = cfg.get("transition", 0.0)
        self.level = [0.0] * self.width
        self._task = None
        self.frames = 0

    def state(self):
        """Return the Light object of the contract."""
        s = {"on": self.on, "brightness": self.brightness}
        if self.width == 3:
            s["rgb"] = list(self.rgb)
        return s

    def start(self):
        """Follow the RGB channel's state when configured to."""
        base = self.cfg.get("follow_rgb")
        if base:
            self.node.subscribe(base + "/state", self._on_rgb)

    def _on_rgb(self, topic, payload):
        try:
            data = json.loads(payload)
            rgb = _level_list([data["r"], data["g"], data["b"]], 3)
        except (ValueError, KeyError, TypeError, CommandError):
            self.node.drop("rgb_state")
            return
        self.apply({"on": any(rgb), "rgb": rgb, "brightness": 255}, None)

    def _target(self):
        if not self.on:
            return [0] * self.width
        scale = self.brightness / 255
        if self.width == 3:
            return [c * scale for c in self.rgb]
        return [255 * scale]

    def apply(self, value, transition):
        """Apply a partial Light object, fading over ``transition`` seconds."""
        if not isinstance(value, dict):
            raise CommandError("bad_value", "expected a light object")
        on = flag(value["on"]) if "on" in value else None
        brightness = value.get("brightness")
        if brightness is not None:
            brightness = int(number(brightness, 0, 255))
        rgb = _level_list(value["rgb"], 3) if "rgb" in value else None
        if rgb is not None and self.width != 3:
            raise CommandError("bad_value", "this light has no colour")
        # Everything is checked before anything changes.
        if brightness is not None:
            self.brightness = brightness
            if on is None:
                on = brightness > 0
        if rgb is not None:
            self.rgb = rgb
            if on is None:
                on = True
        if on is not None:
            self.on = on
        if transition is None:
            transition = self.default_transition
        self.node.changed(self.key)
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._fade(self._target(), transition))

    async def _fade(self, target, seconds):
        start = list(self.level)
        steps = max(1, int(seconds * 1000) // STEP_MS)
        for i in range(1, steps + 1):
            f = i / steps
            self._write([s + (t - s) * f for s, t in zip(start, target)])
            if i < steps:
                await asyncio.sleep_ms(STEP_MS)
        self._task = None

    def _write(self, levels):
        self.level = levels
        self.frames += 1
        if self.channels is None:
            px = tuple(int(v + 0.5) for v in levels)
            self.strip.fill(px)
            self.strip.write()
        else:
            for ch, v in zip(self.channels, levels):
                ch.duty_u16(int(v * 257 + 0.5))

    def identify(self):
        """Blink at full for a few seconds, then show the light's own state again."""
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._blink())
        return True

    async def _blink(self):
        for i in range(IDENTIFY_BLINKS * 2):
            self._write([0.0 if i % 2 else 255.0] * self.width)
            await asyncio.sleep_ms(250)
        self._write(self._target())
        self._task = None

    def command(self, action, value, params):
        """Accept ``set`` with a partial Light object and an optional ``transition``."""
        if action != "set":
            return super().command(action, value, params)
        transition = None
        if isinstance(value, dict) and "transition" in value:
            transition = number(value["transition"], 0, 3600)
        self.apply(value, transition)
        return None

    def safe(self):
        """Go dark at once."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.on = False
        self._write([0] * self.width)
