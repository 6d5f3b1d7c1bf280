"""A hobby servo on PWM: an angle as a number, smooth moves, a safe angle at boot, lip sync."""

import asyncio
import time

from . import Component as Base, number

FRAME_MS = 20  # one 50 Hz servo frame


class Component(Base):
    """A jaw, a door latch, a head that turns."""

    stateful = True

    def __init__(self, node, cfg):
        """Drive the servo to its safe angle from the first frame."""
        super().__init__(node, cfg)
        self.low = cfg.get("min_angle", 0)
        self.high = cfg.get("max_angle", 180)
        self.min_us = cfg.get("min_us", 500)
        self.max_us = cfg.get("max_us", 2500)
        self.freq = cfg.get("freq", 50)
        self.speed = cfg.get("speed", 0)  # degrees a second; 0 jumps
        self.detach_ms = int(cfg.get("detach", 0) * 1000)
        self.safe_angle = cfg.get("safe_angle", self.low)
        self.pwm = node.hw.pwm(cfg["pin"], self.freq)
        self.target = self.safe_angle
        self.angle = self.safe_angle
        self.attached = False
        self._mover = None
        self._idle_since = time.ticks_ms()
        self.lipsync = cfg.get("lipsync")
        self.write(self.safe_angle)

    def duty(self, angle):
        """Return the 16-bit duty cycle whose pulse holds ``angle``."""
        span = self.high - self.low
        us = self.min_us + (angle - self.low) * (self.max_us - self.min_us) / span
        return int(us * self.freq * 65535 / 1000000 + 0.5)

    def write(self, angle):
        """Put out the pulse for ``angle`` now."""
        self.angle = angle
        self.attached = True
        self.pwm.duty_u16(self.duty(angle))

    def detach(self):
        """Stop the pulses: the servo goes limp and quiet."""
        self.attached = False
        self.pwm.duty_u16(0)

    def state(self):
        """Return the angle the servo is at or moving to."""
        return self.target

    def goto(self, angle, report=True):
        """Move to ``angle`` at the configured speed."""
        self.target = number(angle, self.low, self.high)
        if report:
            self.node.changed(self.key)
        if self.speed <= 0:
            self.write(self.target)
            self._idle_since = time.ticks_ms()
        elif self._mover is None:
            self._mover = asyncio.create_task(self._move())

    async def _move(self):
        step = self.speed * FRAME_MS / 1000
        while self.angle != self.target:
            gap = self.target - self.angle
            if -step <= gap <= step:
                self.write(self.target)
            else:
                self.write(self.angle + (step if gap > 0 else -step))
            await asyncio.sleep_ms(FRAME_MS)
        self._mover = None
        self._idle_since = time.ticks_ms()

    def start(self):
        """Detach when idle, and follow the voice if lip sync is set."""
        if self.detach_ms:
            self.forever(self._detach_when_idle)
        if self.lipsync:
            self.forever(self._follow_voice)

    async def _detach_when_idle(self):
        while True:
            await asyncio.sleep_ms(FRAME_MS * 5)
            if (
                self.attached
                and self._mover is None
                and time.ticks_diff(time.ticks_ms(), self._idle_since) >= self.detach_ms
            ):
                self.detach()

    async def _follow_voice(self):
        # The jaw opens with the loudness of an envelope follower on an ADC:
        # quiet keeps it at the safe (closed) angle, loud opens it fully.
        ls = self.lipsync
        adc = self.node.hw.adc(ls["pin"])
        quiet = int(ls.get("quiet", 0.05) * 65535)
        loud = int(ls.get("loud", 0.5) * 65535)
        opened = ls.get("open", self.high)
        player = None
        while True:
            await asyncio.sleep_ms(FRAME_MS)
            if player is None:
                player = self.node.component(ls["player"])
            if not player.playing:
                if self.angle != self.target:
                    self.write(self.target)
                continue
            level = 0
            for _ in range(4):
                v = adc.read_u16()
                level = max(level, v)
            share = (min(max(level, quiet), loud) - quiet) / (loud - quiet)
            self.write(self.safe_angle + (opened - self.safe_angle) * share)
            self._idle_since = time.ticks_ms()

    def command(self, action, value, params):
        """Accept ``set`` with an angle."""
        if action != "set":
            return super().command(action, value, params)
        self.goto(value)
        return None

    def act(self, op, arg):
        """``move`` to an angle; ``stop`` where it is."""
        if op == "move":
            self.goto(arg)
        elif op == "stop":
            self.goto(self.angle)
        else:
            super().act(op, arg)

    async def idle(self):
        """Return once the servo has reached its target."""
        while self._mover is not None:
            await asyncio.sleep_ms(FRAME_MS)

    def safe(self):
        """Back to the safe angle at once."""
        if self._mover is not None:
            self._mover.cancel()
            self._mover = None
        self.target = self.safe_angle
        self.write(self.safe_angle)
