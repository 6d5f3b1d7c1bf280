"""Fixtures on a DMX universe, and fades rendered frame by frame from where they are."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

MAX_CHANNEL: Final = 512
MIN_FADE: Final = 0.001


class Layout(StrEnum):
    """The channel order of a fixture."""

    RGB = "rgb"
    RGBW = "rgbw"
    DIMMER_RGB = "dimmer_rgb"
    DIMMER = "dimmer"


WIDTH: Final = {Layout.RGB: 3, Layout.RGBW: 4, Layout.DIMMER_RGB: 4, Layout.DIMMER: 1}


class FixtureError(ValueError):
    """A fixture list that cannot be patched."""


@dataclass(frozen=True, slots=True)
class Fixture:
    """One light on the universe: a name, its first channel and its layout."""

    name: str
    start: int
    layout: Layout

    @property
    def end(self) -> int:
        """Return the fixture's last channel."""
        return self.start + WIDTH[self.layout] - 1


def parse_fixtures(text: str) -> list[Fixture]:
    """Read fixtures, one ``name, start channel, layout`` per line.

    Blank lines and lines starting with ``#`` are skipped. Errors name the
    line: a bad channel, an unknown layout, a fixture past channel 512, a
    repeated name or two fixtures on the same channels.
    """
    fixtures: list[Fixture] = []
    layouts = ", ".join(layout.value for layout in Layout)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 3 or not parts[0]:
            raise FixtureError(f"line {number}: write name, start channel, layout")
        name, start_text, layout_text = parts
        if not start_text.isdigit() or not 1 <= int(start_text) <= MAX_CHANNEL:
            raise FixtureError(f"line {number}: the start channel must be 1 to 512")
        try:
            layout = Layout(layout_text.lower().replace("+", "_"))
        except ValueError:
            raise FixtureError(
                f"line {number}: layout {layout_text!r} is not one of {layouts}"
            ) from None
        fixture = Fixture(name, int(start_text), layout)
        if fixture.end > MAX_CHANNEL:
            raise FixtureError(f"line {number}: {name} runs past channel 512")
        for other in fixtures:
            if other.name.casefold() == name.casefold():
                raise FixtureError(f"line {number}: the name {name!r} is used twice")
            if fixture.start <= other.end and other.start <= fixture.end:
                raise FixtureError(
                    f"line {number}: {name} shares channels with {other.name}"
                )
        fixtures.append(fixture)
    return fixtures


@dataclass(frozen=True, slots=True)
class Level:
    """What a fixture shows: a colour and a brightness (0 when off)."""

    r: float = 0.0
    g: float = 0.0
    b: float = 0.0
    brightness: float = 0.0

    def toward(self, target: Level, fraction: float) -> Level:
        """Return the level ``fraction`` of the way from this one to ``target``."""
        return Level(
            self.r + (target.r - self.r) * fraction,
            self.g + (target.g - self.g) * fraction,
            self.b + (target.b - self.b) * fraction,
            self.brightness + (target.brightness - self.brightness) * fraction,
        )


def render(layout: Layout, level: Level) -> tuple[int, ...]:
    """Return a fixture's channel values for ``level``."""
    scale = level.brightness / 255
    if layout is Layout.DIMMER:
        return (round(level.brightness),)
    if layout is Layout.DIMMER_RGB:
        return (round(level.brightness), round(level.r), round(level.g), round(level.b))
    r, g, b = level.r * scale, level.g * scale, level.b * scale
    if layout is Layout.RGBW:
        white = min(r, g, b)
        return (round(r - white), round(g - white), round(b - white), round(white))
    return (round(r), round(g), round(b))


@dataclass(slots=True)
class _Fade:
    start: Level
    target: Level
    began: float
    seconds: float

    def at(self, now: float) -> Level:
        if self.seconds <= 0 or now >= self.began + self.seconds:
            return self.target
        return self.start.toward(self.target, max(0.0, now - self.began) / self.seconds)


class Universe:
    """The fixtures of one universe and their fades.

    Times are the caller's monotonic seconds, so a test can step them. A new
    fade starts from what the fixture shows at that moment, never from zero,
    so changing a fade midway does not flicker.
    """

    def __init__(self, fixtures: list[Fixture]) -> None:
        """Patch ``fixtures``; every one starts dark."""
        self.fixtures = {fixture.name: fixture for fixture in fixtures}
        self._fades = {
            name: _Fade(Level(), Level(), 0.0, 0.0) for name in self.fixtures
        }
        self.size = max((fixture.end for fixture in fixtures), default=0)

    def level(self, name: str, now: float) -> Level:
        """Return what fixture ``name`` shows at ``now``."""
        return self._fades[name].at(now)

    def target(self, name: str) -> Level:
        """Return where fixture ``name`` is going."""
        return self._fades[name].target

    def set(self, name: str, target: Level, now: float, seconds: float = 0.0) -> None:
        """Fade fixture ``name`` to ``target`` over ``seconds`` from ``now``.

        Under a millisecond is no fade at all: the fixture changes at once.
        """
        seconds = seconds if seconds >= MIN_FADE else 0.0
        self._fades[name] = _Fade(self.level(name, now), target, now, seconds)

    def fading(self, now: float) -> bool:
        """Return whether any fixture is still between levels at ``now``."""
        return any(
            fade.seconds > 0 and now < fade.began + fade.seconds
            for fade in self._fades.values()
        )

    def frame(self, now: float) -> bytes:
        """Return the channel values of the whole patched range at ``now``."""
        channels = bytearray(self.size)
        for name, fixture in self.fixtures.items():
            values = render(fixture.layout, self.level(name, now))
            channels[fixture.start - 1 : fixture.end] = bytes(
                min(255, max(0, v)) for v in values
            )
        return bytes(channels)
