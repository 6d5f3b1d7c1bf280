"""A stepper on a step/dir/enable driver (A4988, DRV8825, TMC2209): position, ramps, homing."""

import asyncio
import time

from . import CommandError, Component as Base, Facet, number

TICK_MS = 4


def ramp(remaining, speed, max_speed, accel, dt):
    """Return (steps this tick, new speed) of a trapezoid that stops at ``remaining``.

    Speed grows by ``accel`` each second up to ``max_speed`` and is held
    below what still lets the motor stop in ``remaining`` steps.
    """
    speed = min(speed + accel * dt, max_speed, (2 * accel * remaining) ** 0.5)
    return speed * dt, speed


class Component(Base):
    """A door that creaks open, a coffin lid on a lead screw."""

    stateful = True

    def __init__(self, node, cfg):
        """Driver disabled, step and direction low: nothing moves at boot."""
        super().__init__(node, cfg)
        hw = node.hw
        self.step_pin = hw.output(cfg["step_pin"], 0)
        # The RMT peripheral spaces pulses evenly; without it (the host) a
        # tick's steps go out back to back.
        self.train = hw.step_train(cfg["step_pin"])
        self.dir_pin = hw.output(cfg["dir_pin"], 0)
        # Most drivers enable on a low EN pin.
        self.enable_on = 0 if cfg.get("enable_invert", True) else 1
        self.enable = None
        if "enable_pin" in cfg:
            self.enable = hw.output(cfg["enable_pin"], 1 - self.enable_on)
        self.low = cfg.get("min", 0)
        self.high = cfg["max"]
        self.max_speed = cfg.get("max_speed", 400)
        self.accel = cfg.get("acceleration", 800)
        self.reverse = cfg.get("invert_dir", False)
        self.hold = cfg.get("hold", False)
        home = cfg.get("home")
        self.home_cfg = home
        self.limit = None
        if home:
            self.limit = hw.input(home["pin"], home.get("pull", "up"))
        self.position = 0
        self.target = 0
        self.speed = 0.0
        self.homed = False
        self.homing = False
        self.steps = 0  # pulses sent since boot, for tests and diagnostics
        self._task = None
        self.facets = ()
        if home:
            self.facets = (Facet(self, "home", "button"),)

    def state(self):
        """Return the position the motor is at or moving to."""
        return self.target

    def _at_limit(self):
        return self.limit is not None and bool(self.limit.value()) != self.home_cfg.get(
            "invert", True
        )

    def _drive(self, on):
        if self.enable is not None:
            self.enable.value(self.enable_on if on else 1 - self.enable_on)

    def _ready(self):
        """Return whether the next pulses can start (the last train has gone out)."""
        return self.train is None or self.train.done()

    def _pulse(self, n, forward, speed):
        self.dir_pin.value(1 if forward != self.reverse else 0)
        if self.train is not None:
            self.train.send(n, int(1000000 / max(speed, 1)))
        else:
            p = self.step_pin
            for _ in range(n):
                p.value(1)
                time.sleep_us(2)
                p.value(0)
        self.steps += n

    def goto(self, position):
        """Move to ``position`` (steps) with the configured ramps."""
        if self.homing:
            raise CommandError("busy", self.key + " is homing")
        self.target = int(number(position, self.low, self.high))
        self.node.changed(self.key)
        if self._task is None:
            self._task = asyncio.create_task(self._run(self._move()))

    async def _run(self, job):
        self._drive(True)
        try:
            await job
        except CommandError as e:
            self.node.log("error", "%s: %s" % (self.key, e.message))
        finally:
            self._task = None
            self.homing = False
            self.speed = 0.0
            if not self.hold:
                self._drive(False)

    async def _move(self):
        owed = 0.0
        last = time.ticks_ms()
        while self.position != self.target:
            await asyncio.sleep_ms(TICK_MS)
            now = time.ticks_ms()
            dt = time.ticks_diff(now, last) / 1000
            last = now
            forward = self.target > self.position
            remaining = abs(self.target - self.position)
            if not forward and self._at_limit():
                # The limit switch sits at the low end: trust it over the count.
                self.position = self.target = self.low
                self.node.changed(self.key)
                return
            more, self.speed = ramp(
                remaining, self.speed, self.max_speed, self.accel, dt
            )
            owed += more
            n = min(int(owed), remaining)
            if n and self._ready():
                owed -= n
                self._pulse(n, forward, self.speed)
                self.position += n if forward else -n

    def home(self):
        """Run towards the limit switch; there the position is the low end."""
        if self.limit is None:
            raise CommandError("unsupported_action", self.key + " has no limit switch")
        if self._task is not None:
            raise CommandError("busy", self.key + " is moving")
        self.homing = True
        self._task = asyncio.create_task(self._run(self._home()))

    async def _home(self):
        h = self.home_cfg
        speed = h.get("speed", self.max_speed / 4)
        travel = h.get("max_travel", self.high - self.low + 100)
        owed = 0.0
        moved = 0
        while not self._at_limit():
            if moved >= travel:
                self.homed = False
                raise CommandError("internal", "homing found no limit switch")
            await asyncio.sleep_ms(TICK_MS)
            owed += speed * TICK_MS / 1000
            n = min(int(owed), travel - moved)
            # One step at a time near the switch would be slow; a tick's worth
            # at homing speed overshoots by at most a few steps.
            if n and self._ready():
                owed -= n
                self._pulse(n, False, speed)
                moved += n
        self.position = self.target = self.low
        self.homed = True
        self.node.changed(self.key)
        self.node.log("info", "%s homed" % self.key)

    def halt(self):
        """Stop where it is, without a ramp."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.homing = False
            self.speed = 0.0
            if not self.hold:
                self._drive(False)
        if self.target != self.position:
            self.target = self.position
            self.node.changed(self.key)

    def command(self, action, value, params):
        """Accept ``set`` with a position in steps."""
        if action != "set":
            return super().command(action, value, params)
        self.goto(value)
        return None

    def facet_state(self, role):
        """Return nothing: the Home button has no state."""
        return

    def facet_command(self, role, action, value, params):
        """Home when the Home button is pressed."""
        if action != "press":
            raise CommandError("unsupported_action", action + " is not a press")
        self.home()

    def act(self, op, arg):
        """``move`` to a position, ``home``, or ``stop``."""
        if op == "move":
            self.goto(arg)
        elif op == "home":
            self.home()
        elif op == "stop":
            self.halt()
        else:
            super().act(op, arg)

    async def idle(self):
        """Return once the motor has stopped."""
        while self._task is not None:
            await asyncio.sleep_ms(TICK_MS * 5)

    def safe(self):
        """Stop and release the driver."""
        self.halt()
        self._drive(False)
