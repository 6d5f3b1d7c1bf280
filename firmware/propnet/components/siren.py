"""A siren or sound trigger: pulses a board's trigger pin per tone, on for a duration."""

import asyncio

from . import CommandError, Component as Base, flag, number


class Component(Base):
    """A sound board (one trigger pin per track) or a buzzer."""

    stateful = True

    def __init__(self, node, cfg):
        """Drive every trigger pin to idle at boot."""
        super().__init__(node, cfg)
        self.invert = cfg.get("invert", False)
        idle = 1 if self.invert else 0
        self.pins = {}
        for tone, pin in cfg["tones"].items():
            self.pins[tone] = node.hw.output(pin, idle)
        self.default_tone = cfg.get("default_tone") or next(iter(cfg["tones"]))
        self.pulse_ms = int(cfg.get("pulse", 0.2) * 1000)
        self.duration = cfg.get("duration", 3)
        self.on = False
        self._task = None

    def state(self):
        """Return whether a sound is playing."""
        return self.on

    def play(self, tone=None, duration=None):
        """Trigger ``tone`` and stay on for ``duration`` seconds."""
        tone = tone or self.default_tone
        if tone not in self.pins:
            raise CommandError("bad_value", "unknown tone " + str(tone))
        self.stop()
        self.on = True
        self.node.changed(self.key)
        self._task = asyncio.create_task(
            self._run(self.pins[tone], self.duration if duration is None else duration)
        )

    async def _run(self, pin, duration):
        pin.value(0 if self.invert else 1)
        await asyncio.sleep_ms(self.pulse_ms)
        pin.value(1 if self.invert else 0)
        await asyncio.sleep_ms(max(0, int(duration * 1000) - self.pulse_ms))
        self._task = None
        self.on = False
        self.node.changed(self.key)

    def stop(self):
        """Stop a running sound."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            for pin in self.pins.values():
                pin.value(1 if self.invert else 0)
        if self.on:
            self.on = False
            self.node.changed(self.key)

    def identify(self):
        """Beep the default tone briefly."""
        self.play(duration=0.3)
        return True

    def command(self, action, value, params):
        """Accept ``set`` with ``{"on": bool, "tone": str, "duration": s}``."""
        if action != "set":
            return super().command(action, value, params)
        if not isinstance(value, dict):
            raise CommandError("bad_value", "expected an object")
        if flag(value.get("on", True)):
            duration = value.get("duration")
            self.play(
                value.get("tone"),
                None if duration is None else number(duration, 0, 3600),
            )
        else:
            self.stop()
        return None

    def safe(self):
        """Silence."""
        self.stop()
