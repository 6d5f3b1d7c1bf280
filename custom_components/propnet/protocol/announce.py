"""The announce: what a prop says about itself and its entities (protocol.md section 4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
import importlib
import re
from typing import Any, Final

from .decode import Fields, ProtocolError, decode_object, invalid, kind_of
from .names import is_entity_key

PROTOCOL_VERSION: Final = 1
MAX_ANNOUNCE_BYTES: Final = 16 * 1024
MAX_ENTITIES: Final = 64
MAX_NAME: Final = 64

COLOR_MODES: Final = frozenset({"onoff", "brightness", "rgb", "rgbw", "color_temp"})
CATEGORIES: Final = frozenset({"config", "diagnostic"})
NUMBER_MODES: Final = frozenset({"box", "slider", "auto"})
MAX_PATTERN: Final = 128
# re's own parser, to see a pattern's structure; typeshed does not describe it.
sre_parse: Any = importlib.import_module("re._parser")
sre: Any = importlib.import_module("re._constants")


class UnsupportedVersionError(ProtocolError):
    """An announce of a newer major version than this hub understands."""

    def __init__(self, version: int) -> None:
        """Remember the version the prop speaks."""
        super().__init__(
            "unsupported_version",
            f"protocol version {version} is newer than {PROTOCOL_VERSION}",
            "v",
        )
        self.version = version


@dataclass(frozen=True, slots=True, kw_only=True)
class EntitySpec:
    """One entity as a prop announces it."""

    key: str
    type: str
    name: str | None
    icon: str | None = None
    device_class: str | None = None
    category: str | None = None
    enabled: bool = True
    # One of the entities PropNet names and translates itself (uptime, mode...).
    translation_key: str | None = None
    # sensor
    unit: str | None = None
    state_class: str | None = None
    precision: int | None = None
    # sensor (enum) and select
    options: tuple[str, ...] | None = None
    # light
    color_modes: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    min_kelvin: int | None = None
    max_kelvin: int | None = None
    # number
    min: float | None = None
    max: float | None = None
    step: float | None = None
    mode: str | None = None
    # text
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    # event
    event_types: tuple[str, ...] = ()
    # siren
    tones: tuple[str, ...] = ()
    volume: bool = False
    duration: bool = False


@dataclass(frozen=True, kw_only=True)
class Announce:
    """What a prop says about itself.

    Not slotted, so the entity index below can be cached on it: every status
    message looks its keys up here.
    """

    version: int
    id: str
    name: str
    entities: tuple[EntitySpec, ...]
    model: str | None = None
    manufacturer: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None
    mac: str | None = None
    ip: str | None = None
    url: str | None = None
    # False when the prop has nothing to identify itself with (no LED, light or siren).
    identify: bool = True
    # The most cues a show may hold on this prop; None: the prop runs no shows.
    show_cues: int | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def _by_key(self) -> dict[str, EntitySpec]:
        return {spec.key: spec for spec in self.entities}

    def entity(self, key: str) -> EntitySpec | None:
        """Return the entity with ``key``, if the prop has one."""
        return self._by_key.get(key)

    @property
    def configuration_url(self) -> str | None:
        """Return where the prop serves its own page, if it says."""
        if self.url:
            return self.url
        return f"http://{self.ip}/" if self.ip else None


def _no_fields(f: Fields) -> dict[str, Any]:
    return {}


def _sensor(f: Fields) -> dict[str, Any]:
    return {
        "unit": f.text("unit"),
        "state_class": f.text("state_class"),
        "precision": f.integer("precision", 0, 15),
        "options": f.strings("options") or None,
    }


def _select(f: Fields) -> dict[str, Any]:
    return {"options": f.strings("options", required=True)}


def _light(f: Fields) -> dict[str, Any]:
    color_modes = f.strings("color_modes", allowed=COLOR_MODES) or ("onoff",)
    effects = f.strings("effects")
    low = f.integer("min_kelvin", 1000, 20000)
    high = f.integer("max_kelvin", 1000, 20000)
    if low is not None and high is not None and low > high:
        raise invalid(f.at("min_kelvin"), "must not exceed max_kelvin")
    return {
        "color_modes": color_modes,
        "effects": effects,
        "min_kelvin": low,
        "max_kelvin": high,
    }


def _number(f: Fields) -> dict[str, Any]:
    low, high, step = f.number("min"), f.number("max"), f.number("step")
    unit, mode = f.text("unit"), f.choice("mode", NUMBER_MODES)
    if step is not None and step <= 0:
        raise invalid(f.at("step"), "must be above 0")
    if low is not None and high is not None and low > high:
        raise invalid(f.at("min"), "must not exceed max")
    return {"min": low, "max": high, "step": step, "unit": unit, "mode": mode}


def _text(f: Fields) -> dict[str, Any]:
    pattern = f.text("pattern", max_len=MAX_PATTERN)
    if pattern is not None and (problem := pattern_problem(pattern)) is not None:
        raise invalid(f.at("pattern"), problem)
    return {
        "min_len": f.integer("min_len", 0, 255),
        "max_len": f.integer("max_len", 0, 255),
        "pattern": pattern,
    }


def pattern_problem(pattern: str) -> str | None:
    """Return why a text entity's ``pattern`` is refused, or None.

    Home Assistant matches it in the event loop on every set, so it must
    compile, and must not backtrack without bound: a repetition inside a
    repetition, a repeated alternation or a back-reference (``(a+)+$``,
    ``(a|aa)*``) could hold the loop for minutes on 255 characters.
    """
    try:
        tree = sre_parse.parse(pattern)
    except re.error as err:
        return f"is not a regular expression: {err}"
    if _backtracks(list(tree), inside=False):
        return "must not repeat a repetition or an alternation, nor refer back"
    return None


def _backtracks(items: list[Any], *, inside: bool) -> bool:
    """Return whether a parsed pattern nests what can backtrack without bound."""
    for op, av in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            _, high, sub = av
            many = high > 1
            if (many and inside) or _backtracks(list(sub), inside=inside or many):
                return True
        elif op is sre.BRANCH:
            if inside or any(_backtracks(list(b), inside=inside) for b in av[1]):
                return True
        elif op is sre.SUBPATTERN:
            if _backtracks(list(av[3]), inside=inside):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT, sre.ATOMIC_GROUP):
            sub = av[1] if op is not sre.ATOMIC_GROUP else av
            if _backtracks(list(sub), inside=inside):
                return True
        elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            return True
    return False


def _event(f: Fields) -> dict[str, Any]:
    return {"event_types": f.strings("event_types", required=True)}


def _siren(f: Fields) -> dict[str, Any]:
    return {
        "tones": f.strings("tones"),
        "volume": f.flag("volume", default=False),
        "duration": f.flag("duration", default=False),
    }


# Each entity type and the parser of the fields only it has.
TYPE_FIELDS: Final[Mapping[str, Callable[[Fields], dict[str, Any]]]] = {
    "binary_sensor": _no_fields,
    "sensor": _sensor,
    "switch": _no_fields,
    "button": _no_fields,
    "light": _light,
    "number": _number,
    "select": _select,
    "text": _text,
    "event": _event,
    "siren": _siren,
}
ENTITY_TYPES: Final = frozenset(TYPE_FIELDS)
# Types whose entities hold a value in status; buttons and events do not.
STATEFUL_TYPES: Final = ENTITY_TYPES - {"button", "event"}


def _entity(
    raw: object,
    path: str,
    device_classes: Mapping[str, frozenset[str]] | None,
    warnings: list[str],
) -> EntitySpec:
    if not isinstance(raw, dict):
        raise invalid(path, f"must be an object, not {kind_of(raw)}")
    f = Fields(raw, path)
    key = f.text("key", required=True)
    assert key is not None
    if not is_entity_key(key):
        raise invalid(f.at("key"), f"{key!r} is not a valid entity key")
    kind = f.choice("type", ENTITY_TYPES)
    if kind is None:
        raise invalid(f.at("type"), "is required")
    if "name" in raw and raw["name"] is None:
        name = None
    else:
        name = f.text("name", max_len=MAX_NAME) or key.replace("_", " ").capitalize()
    device_class = f.text("device_class")
    if (
        device_class is not None
        and device_classes is not None
        and device_class not in device_classes.get(kind, frozenset())
    ):
        warnings.append(
            f"{f.at('device_class')}: {device_class!r} is not a {kind} device"
            " class here; ignored"
        )
        device_class = None
    translation_key = f.text("translation_key")
    if translation_key is not None and not is_entity_key(translation_key):
        raise invalid(
            f.at("translation_key"), f"{translation_key!r} is not a valid key"
        )
    return EntitySpec(
        key=key,
        type=kind,
        name=name,
        icon=f.text("icon"),
        device_class=device_class,
        category=f.choice("category", CATEGORIES),
        enabled=f.flag("enabled", default=True),
        translation_key=translation_key,
        **TYPE_FIELDS[kind](f),
    )


def _show(raw: object) -> int | None:
    """Return the cue limit of a prop that runs shows (version 1 of the show part)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid("show", "must be an object")
    version, cues = raw.get("v"), raw.get("max_cues")
    if version != 1:
        raise invalid("show.v", "must be 1")
    if not isinstance(cues, int) or isinstance(cues, bool) or not 1 <= cues <= 4096:
        raise invalid("show.max_cues", "must be a whole number from 1 to 4096")
    return cues


def parse_announce(
    payload: str | bytes | bytearray,
    topic_id: str,
    device_classes: Mapping[str, frozenset[str]] | None = None,
) -> Announce:
    """Return the announce in ``payload`` sent on ``topic_id``'s topic.

    ``device_classes`` maps entity types to the device classes the caller
    knows; an unknown class is dropped with a warning rather than rejecting
    the prop, since Home Assistant versions differ in their lists.
    """
    obj = decode_object(payload, MAX_ANNOUNCE_BYTES)
    f = Fields(obj)
    version = obj.get("v")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise invalid("v", "must be a whole number from 1")
    if version > PROTOCOL_VERSION:
        raise UnsupportedVersionError(version)
    prop_id = f.text("id", required=True)
    if prop_id != topic_id:
        raise ProtocolError(
            "id_mismatch",
            f"id {prop_id!r} differs from the topic's id {topic_id!r}",
            "id",
        )
    name = f.text("name", required=True, max_len=MAX_NAME)
    assert name is not None
    raw_entities = obj.get("entities")
    if not isinstance(raw_entities, list):
        raise invalid("entities", "must be a list")
    if len(raw_entities) > MAX_ENTITIES:
        raise invalid("entities", f"must have at most {MAX_ENTITIES} entities")
    warnings: list[str] = []
    entities = tuple(
        _entity(raw, f"entities[{index}]", device_classes, warnings)
        for index, raw in enumerate(raw_entities)
    )
    seen: set[str] = set()
    for index, spec in enumerate(entities):
        if spec.key in seen:
            raise invalid(f"entities[{index}].key", f"{spec.key!r} is used twice")
        seen.add(spec.key)
    return Announce(
        version=version,
        id=prop_id,
        name=name,
        entities=entities,
        model=f.text("model"),
        manufacturer=f.text("manufacturer"),
        sw_version=f.text("sw_version"),
        hw_version=f.text("hw_version"),
        mac=f.text("mac"),
        ip=f.text("ip"),
        url=f.text("url"),
        identify=f.flag("identify", default=True),
        show_cues=_show(obj.get("show")),
        warnings=tuple(warnings),
    )
