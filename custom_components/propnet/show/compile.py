"""Show files: YAML read node by node into a checked Show, every error with its file and line.

A prop cue is spelled as in a prop's own sequences (``turn_on: eyes``,
``move: {key: head, to: 30}``, ``run: scare``); a ``light`` cue names a show
lighting fixture with its colour, brightness, fade and flash; any other cue
is a Home Assistant ``action`` with its ``target`` and ``data``. Instants
are seconds from the show's start (``at: 1.5``) or ``m:ss.fff``
(``at: "1:02.5"``). A ``cycle`` section makes the show a haunt room's:
trigger, cooldown, quiet hours, runs an hour and an idle loop.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import re
from typing import Any, Final

import yaml

from ..protocol.cues import Cue, check_cue
from ..protocol.names import PROP_ID, is_entity_key
from .fseq import FseqError, read_fseq
from .jaw import JawError, JawShape, jaw_track
from .model import (
    DEFAULT_LEAD_MS,
    DEFAULT_TOLERANCE_MS,
    ActionCue,
    Cycle,
    LightCue,
    PropCue,
    SequenceCue,
    Show,
    Trigger,
    Where,
)

MAX_CUES: Final = 5000
MAX_FILE_BYTES: Final = 1024 * 1024
NAME: Final = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
ACTION: Final = re.compile(r"([a-z0-9_]+)\.([a-z0-9_]+)")
CLOCK: Final = re.compile(r"(?:(\d+):)?(\d+(?:\.\d+)?)")
DAYTIME: Final = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
ENTITY_ID: Final = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
EVENT_TYPE: Final = re.compile(r"[A-Za-z0-9_.]{1,64}")
# Prop cue spellings and the ops they send.
PROP_OPS: Final = {
    "turn_on": "on",
    "turn_off": "off",
    "set": "set",
    "press": "press",
    "move": "move",
    "stop": "stop",
    "home": "home",
    "play": "play",
    "run": "run",
}
SHOW_KEYS: Final = ("name", "cues", "duration", "restart", "lead", "cycle")
LIGHT_KEYS: Final = ("rgb", "brightness", "fade", "flash")
CHASE_KEYS: Final = ("step", "times")
FRAME_MS: Final = 25  # show lighting's frame, the shortest a chase's step can be
# A chase's steps are cues too: as many as a show may hold in all.
MAX_CHASE_STEPS: Final = 1000
SEQUENCE_KEYS: Final = ("universe", "channel")
SEQUENCE_FILE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_. -]{0,127}\.fseq")
AUDIO_FILE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_. -]{0,127}\.wav")
JAW_KEYS: Final = (
    "key",
    "audio",
    "closed",
    "open",
    "attack",
    "release",
    "rate",
    "floor",
)
CUE_KEYS: Final = frozenset(
    {
        "at",
        "prop",
        "tolerance",
        "action",
        "target",
        "data",
        "lead",
        "light",
        *LIGHT_KEYS,
        "chase",
        *CHASE_KEYS,
        "sequence",
        *SEQUENCE_KEYS,
        "jaw",
        *PROP_OPS,
    }
)
CYCLE_KEYS: Final = ("trigger", "cooldown", "armed", "quiet", "per_hour", "idle")
IDLE_KEYS: Final = ("cues", "duration")
# Cues are grouped by kind as they are read.
type Cues = tuple[list[PropCue], list[ActionCue], list[LightCue], list[SequenceCue]]
# Reads a file beside the show file (an FSEQ sequence), by name.
type Reader = Callable[[str], bytes]


class ShowError(Exception):
    """Problems in a show file, each with its file and line."""

    def __init__(self, problems: list[tuple[Where, str]]) -> None:
        """Keep (where, message) pairs."""
        self.problems = problems
        super().__init__("\n".join(f"{where}: {msg}" for where, msg in problems))


class _Reader:
    """Walks the YAML nodes, turning leaves into values and gathering problems."""

    def __init__(self, file: str, read: Reader | None = None) -> None:
        self.file = file
        self.read = read
        self.problems: list[tuple[Where, str]] = []
        self._loader = yaml.SafeLoader("")

    def where(self, node: yaml.Node) -> Where:
        return Where(self.file, node.start_mark.line + 1)

    def error(self, node: yaml.Node, message: str) -> None:
        self.problems.append((self.where(node), message))

    def value(self, node: yaml.Node) -> Any:
        return self._loader.construct_object(node, deep=True)  # type: ignore[no-untyped-call]

    def mapping(self, node: yaml.Node, label: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{label}: must be a mapping")
            return None
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.error(key_node, f"{label}: keys must be text")
            elif key in out:
                self.error(key_node, f"{label}.{key}: appears twice")
            else:
                out[key] = value_node
        return out

    def seconds(self, node: yaml.Node, label: str, high: float = 86_400) -> int | None:
        """Return milliseconds from seconds or m:ss.fff, or None after an error."""
        raw = self.value(node)
        if isinstance(raw, str) and (m := CLOCK.fullmatch(raw.strip())):
            seconds = int(m.group(1) or 0) * 60 + float(m.group(2))
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            seconds = float(raw)
        else:
            self.error(node, f'{label}: must be seconds (1.5) or m:ss.fff ("1:02.5")')
            return None
        if not 0 <= seconds <= high:
            self.error(node, f"{label}: must be from 0 to {high:g} seconds")
            return None
        return round(seconds * 1000)


def load_show(text: str, file: str, name: str, read: Reader | None = None) -> Show:
    """Return the show in ``text`` (from ``file``, called ``name``), or raise ShowError.

    ``read`` gives the bytes of files the show names (its sequences); it
    runs file I/O, so call this in an executor when it is given.
    """
    reader = _Reader(file, read)
    if len(text.encode()) > MAX_FILE_BYTES:
        raise ShowError(
            [(Where(file, 1), f"a show file is at most {MAX_FILE_BYTES} bytes")]
        )
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 1
        raise ShowError([(Where(file, line), f"not YAML: {err.problem}")]) from None
    except yaml.YAMLError as err:
        raise ShowError([(Where(file, 1), f"not YAML: {err}")]) from None
    if root is None:
        raise ShowError([(Where(file, 1), "the file is empty")])
    if not NAME.fullmatch(name):
        reader.error(root, f"the file name {name!r} is no show name: a-z, 0-9 and _")
    top = reader.mapping(root, "the show")
    if top is None:
        raise ShowError(reader.problems)
    for key, node in top.items():
        if key not in SHOW_KEYS:
            reader.error(
                node, f"{key}: unknown; expected one of {', '.join(SHOW_KEYS)}"
            )
    title = name
    if "name" in top:
        raw = reader.value(top["name"])
        if isinstance(raw, str) and 1 <= len(raw) <= 64:
            title = raw
        else:
            reader.error(top["name"], "name: must be text of 1 to 64 characters")
    restart = False
    if "restart" in top:
        raw = reader.value(top["restart"])
        if raw not in (True, False):
            reader.error(
                top["restart"],
                "restart: must be true (a start restarts) or false (refused)",
            )
        else:
            restart = raw
    lead = 500
    if "lead" in top:
        lead = reader.seconds(top["lead"], "lead", 10) or 500
    cues = _cue_list(reader, top.get("cues"), root, "cues")
    duration = _duration(reader, top.get("duration"), cues, "duration")
    cycle = None
    if "cycle" in top:
        cycle = _cycle(reader, top["cycle"], name)
    if reader.problems:
        raise ShowError(reader.problems)
    return _show(
        name,
        title,
        cues,
        duration,
        reader.where(root),
        restart=restart,
        lead_ms=lead,
        cycle=cycle,
    )


def _show(
    name: str, title: str, cues: Cues, duration: int, where: Where, **extra: Any
) -> Show:
    props, actions, lights, sequences = cues
    return Show(
        name=name,
        title=title,
        prop_cues=tuple(sorted(props, key=lambda c: c.at_ms)),
        action_cues=tuple(sorted(actions, key=lambda c: c.at_ms)),
        light_cues=tuple(sorted(lights, key=lambda c: c.at_ms)),
        sequence_cues=tuple(sorted(sequences, key=lambda c: c.at_ms)),
        duration_ms=duration,
        where=where,
        **extra,
    )


def _cue_list(
    reader: _Reader, node: yaml.Node | None, parent: yaml.Node, label: str
) -> Cues:
    cues: Cues = ([], [], [], [])
    if node is None:
        reader.error(parent, f"{label}: is required")
    elif not isinstance(node, yaml.SequenceNode):
        reader.error(node, f"{label}: must be a list")
    else:
        if len(node.value) > MAX_CUES:
            reader.error(node, f"{label}: a show holds at most {MAX_CUES}")
        for index, item in enumerate(node.value[:MAX_CUES]):
            _cue(reader, item, f"{label}[{index}]", cues)
    return cues


def _duration(reader: _Reader, node: yaml.Node | None, cues: Cues, label: str) -> int:
    props, actions, lights, sequences = cues
    instants: list[int] = [c.at_ms for c in props]
    instants += [c.at_ms for c in actions]
    instants += [c.at_ms for c in lights]
    instants += [c.end_ms for c in sequences]
    last = max([*instants, 0])
    if node is None:
        # Left out, the show lasts until its last flash (a chase's last
        # step) is over too.
        return max([last, *(c.at_ms + c.flash_ms for c in lights)])
    given = reader.seconds(node, label)
    if given is None:
        return last
    if given < last:
        reader.error(node, f"{label}: the last cue is at {last / 1000:g} s")
    return max(given, last)


def _cycle(reader: _Reader, node: yaml.Node, name: str) -> Cycle | None:
    fields = reader.mapping(node, "cycle")
    if fields is None:
        return None
    for key, value in fields.items():
        if key not in CYCLE_KEYS:
            reader.error(
                value, f"cycle.{key}: unknown; expected one of {', '.join(CYCLE_KEYS)}"
            )
    trigger = _trigger(reader, fields["trigger"]) if "trigger" in fields else None
    cooldown = 0
    if "cooldown" in fields:
        cooldown = reader.seconds(fields["cooldown"], "cycle.cooldown", 86_400) or 0
    armed = True
    if "armed" in fields:
        raw = reader.value(fields["armed"])
        if raw not in (True, False):
            reader.error(fields["armed"], "cycle.armed: must be true or false")
        else:
            armed = raw
    quiet = _quiet(reader, fields["quiet"]) if "quiet" in fields else None
    per_hour = None
    if "per_hour" in fields:
        raw = reader.value(fields["per_hour"])
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 3600:
            reader.error(
                fields["per_hour"], "cycle.per_hour: must be a whole number, 1 to 3600"
            )
        else:
            per_hour = raw
    idle = _idle(reader, fields["idle"], name) if "idle" in fields else None
    return Cycle(
        trigger=trigger,
        cooldown_ms=cooldown,
        armed=armed,
        quiet=quiet,
        per_hour=per_hour,
        idle=idle,
    )


def _trigger(reader: _Reader, node: yaml.Node) -> Trigger | None:
    fields = reader.mapping(node, "cycle.trigger")
    if fields is None:
        return None
    unknown = [k for k in fields if k not in ("entity_id", "to", "event")]
    for key in unknown:
        reader.error(fields[key], f"cycle.trigger.{key}: unknown")
    entity_id = reader.value(fields["entity_id"]) if "entity_id" in fields else None
    event = reader.value(fields["event"]) if "event" in fields else None
    to = reader.value(fields["to"]) if "to" in fields else None
    if (entity_id is None) == (event is None):
        reader.error(
            node, "cycle.trigger: needs an entity_id (and optionally to) or an event"
        )
        return None
    if entity_id is not None and (
        not isinstance(entity_id, str) or not ENTITY_ID.fullmatch(entity_id)
    ):
        reader.error(
            fields["entity_id"],
            f"cycle.trigger.entity_id: {entity_id!r} is no entity id",
        )
        return None
    if event is not None and (
        not isinstance(event, str) or not EVENT_TYPE.fullmatch(event)
    ):
        reader.error(
            fields["event"], f"cycle.trigger.event: {event!r} is no event type"
        )
        return None
    if to is not None:
        if event is not None:
            reader.error(fields["to"], "cycle.trigger.to: only for an entity_id")
            return None
        if isinstance(to, bool):
            # YAML reads a bare on/off as true/false; a state is the word.
            to = "on" if to else "off"
        if not isinstance(to, str | int | float):
            reader.error(fields["to"], "cycle.trigger.to: must be a state")
            return None
        to = str(to)
    return Trigger(entity_id=entity_id, to=to, event=event)


def _quiet(reader: _Reader, node: yaml.Node) -> tuple[int, int] | None:
    fields = reader.mapping(node, "cycle.quiet")
    if fields is None:
        return None
    out: list[int] = []
    for key in ("from", "until"):
        raw = reader.value(fields[key]) if key in fields else None
        match = DAYTIME.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if match is None:
            reader.error(
                fields.get(key, node), f'cycle.quiet.{key}: must be a time like "23:00"'
            )
            return None
        out.append(int(match.group(1)) * 60 + int(match.group(2)))
    for key in fields:
        if key not in ("from", "until"):
            reader.error(fields[key], f"cycle.quiet.{key}: unknown")
    return out[0], out[1]


def _idle(reader: _Reader, node: yaml.Node, name: str) -> Show | None:
    fields = reader.mapping(node, "cycle.idle")
    if fields is None:
        return None
    for key, value in fields.items():
        if key not in IDLE_KEYS:
            reader.error(value, f"cycle.idle.{key}: unknown")
    cues = _cue_list(reader, fields.get("cues"), node, "cycle.idle.cues")
    duration = _duration(reader, fields.get("duration"), cues, "cycle.idle.duration")
    if duration < 1000:
        reader.error(node, "cycle.idle: a loop runs at least 1 s (set its duration)")
        return None
    return _show(f"{name}_idle", f"{name} idle", cues, duration, reader.where(node))


def _cue(reader: _Reader, node: yaml.Node, label: str, cues: Cues) -> None:
    fields = reader.mapping(node, label)
    if fields is None:
        return
    for key, value in fields.items():
        if key not in CUE_KEYS:
            reader.error(value, f"{label}.{key}: unknown")
    if "at" not in fields:
        reader.error(node, f"{label}.at: is required")
        return
    at = reader.seconds(fields["at"], f"{label}.at")
    tolerance = DEFAULT_TOLERANCE_MS
    if "tolerance" in fields:
        tolerance = reader.seconds(fields["tolerance"], f"{label}.tolerance", 60) or 0
    prop_cues, action_cues, light_cues, sequence_cues = cues
    ops = [k for k in fields if k in PROP_OPS]
    where = reader.where(node)
    kinds = [k for k in ("prop", "action", "light", "chase", "sequence") if k in fields]
    if len(kinds) > 1:
        reader.error(
            node,
            f"{label}: a cue is one of a prop's actions, a light or a Home Assistant"
            f" action, not {' and '.join(kinds)}",
        )
        return
    lighting = [k for k in LIGHT_KEYS if k in fields]
    if "light" not in fields and "chase" not in fields and lighting:
        reader.error(fields[lighting[0]], f"{label}.{lighting[0]}: only for a light")
        return
    chasing = [k for k in CHASE_KEYS if k in fields]
    if "chase" not in fields and chasing:
        reader.error(fields[chasing[0]], f"{label}.{chasing[0]}: only for a chase")
        return
    placing = [k for k in SEQUENCE_KEYS if k in fields]
    if "sequence" not in fields and placing:
        reader.error(fields[placing[0]], f"{label}.{placing[0]}: only for a sequence")
        return
    if "sequence" in fields:
        if ops:
            reader.error(fields[ops[0]], f"{label}.{ops[0]}: not for a sequence")
            return
        if at is not None and (
            played := _sequence_cue(
                reader, fields, label, at=at, tolerance=tolerance, where=where
            )
        ):
            sequence_cues.append(played)
        return
    if "chase" in fields:
        if ops:
            reader.error(fields[ops[0]], f"{label}.{ops[0]}: not for a chase")
            return
        if at is not None:
            light_cues += _chase(
                reader, fields, label, at=at, tolerance=tolerance, where=where
            )
        return
    if "light" in fields:
        if ops:
            reader.error(fields[ops[0]], f"{label}.{ops[0]}: not for a light")
            return
        if at is not None and (
            light := _light_cue(
                reader, fields, label, at=at, tolerance=tolerance, where=where
            )
        ):
            light_cues.append(light)
        return
    if "action" in fields:
        if ops:
            reader.error(
                node,
                f"{label}: a cue is a prop's action or a Home Assistant action, not both",
            )
            return
        _action_cue(
            reader,
            fields,
            label,
            at=at,
            tolerance=tolerance,
            where=where,
            out=action_cues,
        )
        return
    if "prop" not in fields:
        reader.error(
            node, f"{label}: needs a prop (with what it does), a light or an action"
        )
        return
    prop = reader.value(fields["prop"])
    if not isinstance(prop, str) or not PROP_ID.fullmatch(prop):
        reader.error(fields["prop"], f"{label}.prop: {prop!r} is no prop id")
        return
    if len(ops) != 1:
        reader.error(
            node, f"{label}: says what the prop does with one of {', '.join(PROP_OPS)}"
        )
        return
    spelled = ops[0]
    if "jaw" in fields and spelled != "play":
        reader.error(
            fields["jaw"], f"{label}.jaw: only with play (the track it follows)"
        )
        return
    cue = _prop_cue(
        reader,
        fields[spelled],
        f"{label}.{spelled}",
        spelled=spelled,
        at=at,
        tolerance=tolerance,
    )
    if cue is not None:
        prop_cues.append(PropCue(prop, cue, where))
        if "jaw" in fields:
            prop_cues.extend(
                PropCue(prop, move, where)
                for move in _jaw(reader, fields["jaw"], f"{label}.jaw", cue)
            )


def _prop_cue(
    reader: _Reader,
    node: yaml.Node,
    label: str,
    *,
    spelled: str,
    at: int | None,
    tolerance: int,
) -> Cue | None:
    raw = reader.value(node)
    options: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {"key": raw}
    key = options.pop("key", None)
    if not isinstance(key, str) or not is_entity_key(key):
        what = "a sequence name" if spelled == "run" else "an entity key of the prop"
        reader.error(node, f"{label}: needs {what}")
        return None
    value: Any = None
    if spelled == "set":
        if "value" not in options:
            reader.error(node, f"{label}: needs key and value")
            return None
        value = options.pop("value")
    elif spelled == "move":
        value = options.pop("to", None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            reader.error(node, f"{label}: needs key and to (a position)")
            return None
    elif spelled == "play":
        value = options.pop("track", None)
    elif spelled in ("turn_on", "turn_off") and options:
        value, options = options, {}
    if options:
        reader.error(node, f"{label}: unknown option {next(iter(options))!r}")
        return None
    if at is None:
        return None
    cue = Cue(at, PROP_OPS[spelled], key, value, tolerance)
    try:
        check_cue(cue)
    except ValueError as err:
        reader.error(node, f"{label}: {err}")
        return None
    return cue


def _jaw(reader: _Reader, node: yaml.Node, label: str, play: Cue) -> list[Cue]:
    """Return the jaw servo's move cues that follow the played track's WAV."""
    fields = reader.mapping(node, label)
    if fields is None:
        return []
    for name, value in fields.items():
        if name not in JAW_KEYS:
            reader.error(
                value, f"{label}.{name}: unknown; expected {', '.join(JAW_KEYS)}"
            )
            return []
    key = reader.value(fields["key"]) if "key" in fields else None
    if not isinstance(key, str) or not is_entity_key(key):
        reader.error(node, f"{label}.key: must be the jaw servo's key")
        return []
    audio = reader.value(fields["audio"]) if "audio" in fields else None
    if not isinstance(audio, str) or not AUDIO_FILE.fullmatch(audio):
        reader.error(
            fields.get("audio", node),
            f"{label}.audio: must be a .wav file beside the show",
        )
        return []
    numbers: dict[str, float] = {}
    for name, low, high in (
        ("closed", -3600, 3600),
        ("open", -3600, 3600),
        ("rate", 5, 100),
        ("floor", 0, 0.95),
    ):
        if name in fields:
            raw = reader.value(fields[name])
            if (
                isinstance(raw, bool)
                or not isinstance(raw, int | float)
                or not low <= raw <= high
            ):
                reader.error(fields[name], f"{label}.{name}: must be {low} to {high}")
                return []
            numbers[name] = float(raw)
    times: dict[str, int] = {}
    for name in ("attack", "release"):
        if name in fields:
            ms = reader.seconds(fields[name], f"{label}.{name}", 2)
            if ms is None:
                return []
            times[name] = ms
    shape = JawShape(
        rate_hz=round(numbers.get("rate", 25)),
        attack_ms=times.get("attack", 15),
        release_ms=times.get("release", 90),
        closed=numbers.get("closed", 0.0),
        opened=numbers.get("open", 30.0),
        floor=numbers.get("floor", 0.12),
    )
    if reader.read is None:
        reader.error(fields["audio"], f"{label}.audio: no folder to read {audio} from")
        return []
    try:
        keys = jaw_track(reader.read(audio), shape)
    except OSError as err:
        reader.error(fields["audio"], f"{label}.audio: {audio}: {err.strerror or err}")
        return []
    except JawError as err:
        reader.error(fields["audio"], f"{label}.audio: {audio}: {err}")
        return []
    return [
        Cue(play.at_ms + at, "move", key, position, play.tolerance_ms)
        for at, position in keys
    ]


def _sequence_cue(
    reader: _Reader,
    fields: dict[str, yaml.Node],
    label: str,
    *,
    at: int,
    tolerance: int,
    where: Where,
) -> SequenceCue | None:
    name = reader.value(fields["sequence"])
    if not isinstance(name, str) or not SEQUENCE_FILE.fullmatch(name):
        reader.error(
            fields["sequence"],
            f"{label}.sequence: must be the name of an .fseq file beside the show",
        )
        return None
    place: dict[str, int] = {"universe": 1, "channel": 1}
    for key, high in (("universe", 63999), ("channel", 16_777_216)):
        if key in fields:
            raw = reader.value(fields[key])
            if (
                isinstance(raw, bool)
                or not isinstance(raw, int)
                or not 1 <= raw <= high
            ):
                reader.error(fields[key], f"{label}.{key}: must be 1 to {high}")
                return None
            place[key] = raw
    if reader.read is None:
        reader.error(
            fields["sequence"], f"{label}.sequence: no folder to read {name} from"
        )
        return None
    try:
        data = reader.read(name)
        sequence = read_fseq(data)
    except OSError as err:
        reader.error(
            fields["sequence"], f"{label}.sequence: {name}: {err.strerror or err}"
        )
        return None
    except FseqError as err:
        reader.error(fields["sequence"], f"{label}.sequence: {name}: {err}")
        return None
    return SequenceCue(
        at,
        name,
        place["universe"],
        place["channel"],
        tolerance,
        where,
        hashlib.blake2b(data, digest_size=16).hexdigest(),
        sequence,
    )


def _colour(
    reader: _Reader, fields: dict[str, yaml.Node], label: str
) -> tuple[bool, tuple[int, int, int] | None, int | None]:
    """Return (ok, rgb, brightness) of a light or chase cue."""
    ok = True
    rgb = None
    if "rgb" in fields:
        raw = reader.value(fields["rgb"])
        if (
            isinstance(raw, list)
            and len(raw) == 3
            and all(
                isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255
                for c in raw
            )
        ):
            rgb = (raw[0], raw[1], raw[2])
        else:
            reader.error(
                fields["rgb"], f"{label}.rgb: must be [red, green, blue], 0-255"
            )
            ok = False
    brightness = None
    if "brightness" in fields:
        raw = reader.value(fields["brightness"])
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 255:
            brightness = raw
        else:
            reader.error(fields["brightness"], f"{label}.brightness: must be 0-255")
            ok = False
    return ok, rgb, brightness


def _fixture(reader: _Reader, node: yaml.Node, label: str) -> str | None:
    fixture = reader.value(node)
    if not isinstance(fixture, str) or not 1 <= len(fixture) <= 64:
        reader.error(node, f"{label}: must be a fixture's name")
        return None
    return fixture


def _light_cue(
    reader: _Reader,
    fields: dict[str, yaml.Node],
    label: str,
    *,
    at: int,
    tolerance: int,
    where: Where,
) -> LightCue | None:
    fixture = _fixture(reader, fields["light"], f"{label}.light")
    ok, rgb, brightness = _colour(reader, fields, label)
    if fixture is None:
        return None
    if rgb is None and brightness is None:
        reader.error(fields["light"], f"{label}: a light cue needs rgb or brightness")
        ok = False
    fade = flash = 0
    if "fade" in fields:
        fade = reader.seconds(fields["fade"], f"{label}.fade", 3600) or 0
    if "flash" in fields:
        flash = reader.seconds(fields["flash"], f"{label}.flash", 60) or 0
        if flash and fade >= flash:
            reader.error(
                fields["flash"], f"{label}.flash: must be longer than the fade"
            )
            ok = False
    if not ok:
        return None
    return LightCue(at, fixture, rgb, brightness, fade, flash, tolerance, where)


def _chase(
    reader: _Reader,
    fields: dict[str, yaml.Node],
    label: str,
    *,
    at: int,
    tolerance: int,
    where: Where,
) -> list[LightCue]:
    """Return a chase as its steps: each fixture in turn on for one step, then back."""
    for key in ("fade", "flash"):
        if key in fields:
            reader.error(fields[key], f"{label}.{key}: a chase's steps are its step")
            return []
    node = fields["chase"]
    if not isinstance(node, yaml.SequenceNode) or len(node.value) < 2:
        reader.error(node, f"{label}.chase: must list two fixtures or more")
        return []
    fixtures = [
        _fixture(reader, item, f"{label}.chase[{index}]")
        for index, item in enumerate(node.value)
    ]
    ok, rgb, brightness = _colour(reader, fields, label)
    if "step" not in fields:
        reader.error(node, f"{label}.step: a chase needs the seconds of each step")
        return []
    step = reader.seconds(fields["step"], f"{label}.step", 60)
    if step is not None and step < FRAME_MS:
        reader.error(
            fields["step"], f"{label}.step: at least {FRAME_MS / 1000:g} s (one frame)"
        )
        step = None
    times = 1
    if "times" in fields:
        raw = reader.value(fields["times"])
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
            times = raw
        else:
            reader.error(
                fields["times"], f"{label}.times: must be a whole number, 1 or more"
            )
            ok = False
    if step is None or not ok or None in fixtures:
        return []
    steps = times * len(fixtures)
    if steps > MAX_CHASE_STEPS:
        reader.error(
            fields.get("times", node),
            f"{label}: a chase runs at most {MAX_CHASE_STEPS} steps, not {steps}",
        )
        return []
    return [
        LightCue(
            at + index * step,
            fixtures[index % len(fixtures)] or "",
            rgb,
            brightness,
            0,
            step,
            tolerance,
            where,
        )
        for index in range(steps)
    ]


def _action_cue(
    reader: _Reader,
    fields: dict[str, yaml.Node],
    label: str,
    *,
    at: int | None,
    tolerance: int,
    where: Where,
    out: list[ActionCue],
) -> None:
    action = reader.value(fields["action"])
    match = ACTION.fullmatch(action) if isinstance(action, str) else None
    if match is None:
        reader.error(
            fields["action"],
            f"{label}.action: must be domain.action, like light.turn_on",
        )
        return
    parts: dict[str, dict[str, Any]] = {}
    for part in ("data", "target"):
        raw = reader.value(fields[part]) if part in fields else {}
        if not isinstance(raw, dict):
            reader.error(fields[part], f"{label}.{part}: must be a mapping")
            return
        parts[part] = raw
    lead = DEFAULT_LEAD_MS
    measured = False
    if "lead" in fields:
        if reader.value(fields["lead"]) == "measured":
            measured = True
        else:
            lead = (
                reader.seconds(
                    fields["lead"], f"{label}.lead (seconds, or measured)", 10
                )
                or 0
            )
    if at is None:
        return
    out.append(
        ActionCue(
            at_ms=at,
            domain=match.group(1),
            service=match.group(2),
            data=parts["data"],
            target=parts["target"],
            lead_ms=lead,
            tolerance_ms=tolerance,
            where=where,
            measured=measured,
        )
    )
