"""What a show is: its cues (a prop's own action, a show lighting fixture, any Home Assistant action) on one timeline, and its haunt cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ..protocol.cues import Cue
from .fseq import Sequence

DEFAULT_TOLERANCE_MS: Final = 20
# Home Assistant actions leave the hub this early unless the show says.
DEFAULT_LEAD_MS: Final = 0


@dataclass(frozen=True, slots=True)
class Where:
    """The file and line a part of a show came from, for its errors."""

    file: str
    line: int

    def __str__(self) -> str:
        """Return ``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class PropCue:
    """One of a prop's own actions; the prop fires it from its own clock."""

    prop: str
    cue: Cue
    where: Where

    @property
    def at_ms(self) -> int:
        """Return the cue's instant in the show."""
        return self.cue.at_ms


@dataclass(frozen=True, slots=True)
class ActionCue:
    """Any Home Assistant action, called ``lead_ms`` before its instant (or as long before as it was measured to take)."""

    at_ms: int
    domain: str
    service: str
    data: dict[str, Any]
    target: dict[str, Any]
    lead_ms: int
    tolerance_ms: int
    where: Where
    measured: bool = False  # lead: measured; lead_ms is the lead until a measure

    @property
    def measure_key(self) -> str:
        """Return what a measured lead is kept under: the action and its entities."""
        entities = self.target.get("entity_id", ())
        if isinstance(entities, str):
            entities = [entities]
        return " ".join([f"{self.domain}.{self.service}", *sorted(map(str, entities))])


@dataclass(frozen=True, slots=True)
class LightCue:
    """A show lighting fixture going to a colour or level, over a fade, and back after a flash."""

    at_ms: int
    fixture: str
    rgb: tuple[int, int, int] | None
    brightness: int | None  # 0..255; None keeps the fixture's
    fade_ms: int
    flash_ms: int  # 0: the fixture stays; else it goes back after this long
    tolerance_ms: int
    where: Where


@dataclass(frozen=True, slots=True)
class SequenceCue:
    """An xLights sequence played frame by frame onto show lighting's universes from its instant.

    FSEQ channel ``channel`` (1-based) lands on channel 1 of ``universe``;
    the channels after it run on through that universe and the next ones.
    """

    at_ms: int
    file: str
    universe: int
    channel: int
    tolerance_ms: int
    where: Where
    # Compared by the file's digest, not frame by frame: the same file read
    # again is the same show, a new export is a new one.
    digest: str
    sequence: Sequence = field(compare=False, repr=False)

    @property
    def end_ms(self) -> int:
        """Return the instant its last frame ends."""
        return self.at_ms + self.sequence.duration_ms

    def slices(self) -> list[tuple[int, int, int, int]]:
        """Return (from, to) of a frame's bytes with the universe and 0-based channel they go to."""
        out: list[tuple[int, int, int, int]] = []
        at = 0
        for first, count in self.sequence.ranges:
            for source in _split(first, count, self.channel - 1):
                offset, length, target = source
                universe, start = divmod(target, 512)
                out.append(
                    (at + offset, at + offset + length, self.universe + universe, start)
                )
            at += count
        return out


def _split(first: int, count: int, origin: int) -> list[tuple[int, int, int]]:
    """Cut channels [first, first+count) at universe edges: (offset in range, length, target channel)."""
    out: list[tuple[int, int, int]] = []
    offset = max(0, origin - first)
    while offset < count:
        target = first + offset - origin
        length = min(count - offset, 512 - target % 512)
        out.append((offset, length, target))
        offset += length
    return out


@dataclass(frozen=True, slots=True)
class Trigger:
    """What starts a show in its haunt cycle: an entity's change (to a state), or an event."""

    entity_id: str | None = None
    to: str | None = None
    event: str | None = None


@dataclass(frozen=True, slots=True)
class Cycle:
    """The haunt cycle: armed or not, a trigger, a cooldown, quiet hours, runs an hour, an idle loop."""

    trigger: Trigger | None
    cooldown_ms: int
    armed: bool = True
    # Minutes after midnight (local time) from which, and until which, a
    # trigger does not start the show; from > until spans midnight.
    quiet: tuple[int, int] | None = None
    per_hour: int | None = None
    idle: Show | None = None


@dataclass(frozen=True, slots=True)
class Show:
    """A checked show: cues by instant, how long it runs, what a second start does."""

    name: str
    title: str
    prop_cues: tuple[PropCue, ...]
    action_cues: tuple[ActionCue, ...]
    duration_ms: int
    restart: bool = False
    lead_ms: int = 500
    where: Where = field(default_factory=lambda: Where("", 0))
    light_cues: tuple[LightCue, ...] = ()
    sequence_cues: tuple[SequenceCue, ...] = ()
    cycle: Cycle | None = None

    @property
    def props(self) -> tuple[str, ...]:
        """Return the props the show needs, in the order they first appear."""
        return tuple(dict.fromkeys(c.prop for c in self.prop_cues))

    @property
    def fixtures(self) -> tuple[str, ...]:
        """Return the show lighting fixtures the show uses, in the order they first appear."""
        return tuple(dict.fromkeys(c.fixture for c in self.light_cues))

    def cues_of(self, prop: str) -> list[Cue]:
        """Return one prop's cues, by instant."""
        return [c.cue for c in self.prop_cues if c.prop == prop]
