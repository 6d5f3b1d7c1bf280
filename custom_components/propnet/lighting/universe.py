"""Fixtures patched on DMX universes, and fades rendered frame by frame from where they are."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import re
from typing import Final

MAX_CHANNEL: Final = 512
MAX_UNIVERSE: Final = 63999
MIN_FADE: Final = 0.001
DEFAULT_KELVIN: Final = (2700, 6500)
_CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class Kind(StrEnum):
    """What a fixture is, which decides its channels and its colour modes."""

    DIMMER = "dimmer"  # d: brightness only (a dimmer pack, a fog light, a strobe)
    RGB = "rgb"  # r g b
    RGBW = "rgbw"  # r g b w: white set on its own
    RGBWW = "rgbww"  # r g b c w: cold and warm white
    CCT = "cct"  # c w: cold and warm white mixed by colour temperature
    DIMMER_RGB = "dimmer_rgb"  # d r g b: a master dimmer and a colour
    CHANNELS = "channels"  # named channels set one by one (a mover, a hazer)


# Each kind's channel letters in their usual order; ``order=`` may permute them.
LETTERS: Final = {
    Kind.DIMMER: "d",
    Kind.RGB: "rgb",
    Kind.RGBW: "rgbw",
    Kind.RGBWW: "rgbcw",
    Kind.CCT: "cw",
    Kind.DIMMER_RGB: "drgb",
}
# Kinds whose dimmer may be 16-bit (coarse and fine channels).
FINE_KINDS: Final = frozenset({Kind.DIMMER, Kind.DIMMER_RGB})
KELVIN_KINDS: Final = frozenset({Kind.CCT, Kind.RGBWW})


class FixtureError(ValueError):
    """A fixture list that cannot be patched."""


@dataclass(frozen=True, slots=True)
class Fixture:
    """One light on a universe: a name, where it starts, what it is."""

    name: str
    start: int
    kind: Kind
    universe: int = 1
    fine: bool = False  # a 16-bit dimmer: coarse then fine channel
    order: str = ""  # the channel letters in the fixture's order
    channels: tuple[str, ...] = ()  # the names, for the channels kind
    kelvin: tuple[int, int] = DEFAULT_KELVIN  # cold white is the high end

    @property
    def letters(self) -> str:
        """Return the fixture's channel letters in its order."""
        return self.order or LETTERS[self.kind]

    @property
    def width(self) -> int:
        """Return how many channels the fixture takes."""
        if self.kind is Kind.CHANNELS:
            return len(self.channels)
        return len(self.letters) + (1 if self.fine else 0)

    @property
    def end(self) -> int:
        """Return the fixture's last channel."""
        return self.start + self.width - 1


def _fixture(number: int, line: str) -> Fixture:
    parts = [part.strip() for part in line.split(",")]
    if len(parts) < 3 or not parts[0]:
        raise FixtureError(f"line {number}: write name, [universe/]start channel, kind")
    name, where, kind_text, *extras = parts
    universe_text, _, start_text = where.rpartition("/")
    universe = 1
    if universe_text:
        if not universe_text.isdigit() or not 1 <= int(universe_text) <= MAX_UNIVERSE:
            raise FixtureError(
                f"line {number}: the universe must be 1 to {MAX_UNIVERSE}"
            )
        universe = int(universe_text)
    if not start_text.isdigit() or not 1 <= int(start_text) <= MAX_CHANNEL:
        raise FixtureError(f"line {number}: the start channel must be 1 to 512")
    try:
        kind = Kind(kind_text.lower().replace("+", "_"))
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise FixtureError(
            f"line {number}: kind {kind_text!r} is not one of {kinds}"
        ) from None
    fixture = Fixture(name, int(start_text), kind, universe)
    if kind is Kind.CHANNELS:
        names = tuple(extra.lower() for extra in extras)
        if not names:
            raise FixtureError(f"line {number}: a channels fixture names its channels")
        for channel in names:
            if not _CHANNEL_NAME.fullmatch(channel):
                raise FixtureError(
                    f"line {number}: channel {channel!r} must be a letter, then "
                    "letters, digits or _"
                )
        if len(set(names)) != len(names):
            raise FixtureError(f"line {number}: a channel name is used twice")
        return replace(fixture, channels=names)
    for extra in extras:
        fixture = _option(number, fixture, extra)
    return fixture


def _option(number: int, fixture: Fixture, extra: str) -> Fixture:
    """Apply one option (``16bit``, ``order=...``, ``kelvin=...``) to ``fixture``."""
    key, _, value = extra.lower().partition("=")
    kind = fixture.kind
    if key == "16bit" and not value:
        if kind not in FINE_KINDS:
            raise FixtureError(f"line {number}: only a dimmer channel can be 16-bit")
        return replace(fixture, fine=True)
    if key == "order" and value:
        if sorted(value) != sorted(LETTERS[kind]):
            raise FixtureError(
                f"line {number}: order must use the letters {LETTERS[kind]} once each"
            )
        return replace(fixture, order=value)
    if key == "kelvin" and value:
        low, _, high = value.partition("-")
        if kind not in KELVIN_KINDS:
            raise FixtureError(f"line {number}: only cct and rgbww take kelvin")
        if not (low.isdigit() and high.isdigit() and 1000 <= int(low) < int(high)):
            raise FixtureError(f"line {number}: write kelvin=warm-cold, as 2700-6500")
        return replace(fixture, kelvin=(int(low), int(high)))
    raise FixtureError(
        f"line {number}: unknown option {extra!r}; "
        "options are 16bit, order=<letters>, kelvin=<warm>-<cold>"
    )


def parse_fixtures(text: str) -> list[Fixture]:
    """Read fixtures, one ``name, [universe/]start, kind[, options]`` per line.

    Blank lines and lines starting with ``#`` are skipped. Errors name the
    line: a bad channel or universe, an unknown kind or option, a fixture
    past channel 512 (a fixture never spans universes), a repeated name or
    two fixtures on the same channels. The first fixture follows the RGB
    channel, so it cannot be a channels fixture.
    """
    fixtures: list[Fixture] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fixture = _fixture(number, line)
        name = fixture.name
        if fixture.end > MAX_CHANNEL:
            raise FixtureError(
                f"line {number}: {name} runs past channel 512; a fixture stays "
                "in one universe"
            )
        if not fixtures and fixture.kind is Kind.CHANNELS:
            raise FixtureError(
                f"line {number}: the first fixture follows the RGB channel, so it "
                "cannot be a channels fixture"
            )
        for other in fixtures:
            if other.name.casefold() == name.casefold():
                raise FixtureError(f"line {number}: the name {name!r} is used twice")
            if (
                fixture.universe == other.universe
                and fixture.start <= other.end
                and other.start <= fixture.end
            ):
                raise FixtureError(
                    f"line {number}: {name} shares channels with {other.name}"
                )
        fixtures.append(fixture)
    return fixtures


@dataclass(frozen=True, slots=True)
class Level:
    """What a fixture shows: a colour, whites and a brightness (0 when off).

    Colours and whites are at full strength (0..255); ``brightness`` scales
    them. ``kelvin`` is a CCT or RGBWW fixture's white temperature (0: the
    middle of its range); ``values`` are a channels fixture's channels.
    """

    r: float = 0.0
    g: float = 0.0
    b: float = 0.0
    brightness: float = 0.0
    w: float = 0.0
    cold: float = 0.0
    warm: float = 0.0
    kelvin: float = 0.0
    values: tuple[float, ...] = ()

    def toward(self, target: Level, fraction: float) -> Level:
        """Return the level ``fraction`` of the way from this one to ``target``."""

        def between(a: float, b: float) -> float:
            return a + (b - a) * fraction

        start = self.values
        if len(start) != len(target.values):
            start = (0.0,) * len(target.values)
        return Level(
            r=between(self.r, target.r),
            g=between(self.g, target.g),
            b=between(self.b, target.b),
            brightness=between(self.brightness, target.brightness),
            w=between(self.w, target.w),
            cold=between(self.cold, target.cold),
            warm=between(self.warm, target.warm),
            kelvin=between(self.kelvin, target.kelvin),
            values=tuple(map(between, start, target.values)),
        )


def primary_level(kind: Kind, r: int, g: int, b: int) -> Level:
    """Return what the fixture that follows the RGB channel shows for ``r, g, b``."""
    if kind in {Kind.DIMMER, Kind.CCT}:
        return Level(brightness=max(r, g, b))
    if kind in {Kind.RGBW, Kind.RGBWW}:
        # The channel is RGB: the white all three share goes to the white LEDs.
        white = min(r, g, b)
        return Level(
            r - white,
            g - white,
            b - white,
            255,
            w=white,
            cold=white / 2,
            warm=white / 2,
        )
    return Level(r, g, b, 255)


def _whites(fixture: Fixture, level: Level) -> tuple[float, float]:
    """Return (cold, warm) of a CCT fixture at its temperature, at full strength."""
    low, high = fixture.kelvin
    kelvin = level.kelvin or (low + high) / 2
    share = min(1.0, max(0.0, (kelvin - low) / (high - low)))
    return 255 * share, 255 * (1 - share)


def render(fixture: Fixture, level: Level) -> tuple[int, ...]:
    """Return the fixture's channel values for ``level``, in the fixture's order."""
    if fixture.kind is Kind.CHANNELS:
        return tuple(round(v) for v in level.values[: fixture.width]) + (0,) * max(
            0, fixture.width - len(level.values)
        )
    scale = level.brightness / 255
    if fixture.kind is Kind.DIMMER_RGB:
        # The dimmer channel carries the brightness; the colour stays full.
        scale = 1.0
    cold, warm = level.cold, level.warm
    if fixture.kind is Kind.CCT:
        cold, warm = _whites(fixture, level)
    # "w" is the white of an RGBW fixture, the warm white of the others.
    whites = {"c": cold, "w": warm} if fixture.kind in KELVIN_KINDS else {"w": level.w}
    by_letter = {
        "r": level.r * scale,
        "g": level.g * scale,
        "b": level.b * scale,
        **{letter: value * scale for letter, value in whites.items()},
    }
    values: list[int] = []
    for letter in fixture.letters:
        if letter != "d":
            values.append(round(by_letter[letter]))
        elif fixture.fine:
            wide = round(level.brightness / 255 * 65535)
            values.extend((wide >> 8, wide & 0xFF))
        else:
            values.append(round(level.brightness))
    return tuple(values)


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


class Patch:
    """The fixtures on every universe and their fades.

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
        self.sizes: dict[int, int] = {}
        for fixture in fixtures:
            self.sizes[fixture.universe] = max(
                self.sizes.get(fixture.universe, 0), fixture.end
            )
        # Channels a sequence sets over the fixtures' (the newest frame of
        # each playing sequence), by owner and universe: (first, values).
        self._layers: dict[str, dict[int, list[tuple[int, bytes]]]] = {}

    @property
    def universes(self) -> list[int]:
        """Return the universes that have fixtures or a sequence's channels, in order."""
        return sorted(
            set(self.sizes).union(*(layer.keys() for layer in self._layers.values()))
        )

    def layer(self, owner: str, channels: dict[int, list[tuple[int, bytes]]]) -> None:
        """Set ``owner``'s channels (0-based first channel, values) over the fixtures'."""
        self._layers[owner] = channels

    def clear_layer(self, owner: str) -> None:
        """Take ``owner``'s channels away: the fixtures show again."""
        self._layers.pop(owner, None)

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

    def frame(self, now: float, universe: int = 1) -> bytes:
        """Return the channel values of one universe's patched range at ``now``."""
        over = [
            part for layer in self._layers.values() for part in layer.get(universe, ())
        ]
        size = max(
            [self.sizes.get(universe, 0)] + [first + len(v) for first, v in over]
        )
        channels = bytearray(size)
        for name, fixture in self.fixtures.items():
            if fixture.universe != universe:
                continue
            values = render(fixture, self.level(name, now))
            channels[fixture.start - 1 : fixture.end] = bytes(
                min(255, max(0, v)) for v in values
            )
        for first, laid in over:
            channels[first : first + len(laid)] = laid
        return bytes(channels)

    def frames(self, now: float) -> dict[int, bytes]:
        """Return every patched universe's frame at ``now``."""
        return {universe: self.frame(now, universe) for universe in self.universes}
