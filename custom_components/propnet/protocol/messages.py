"""Parse and check the messages props send (protocol.md sections 3 to 6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import math
from typing import Any, Final, Literal

from .names import is_entity_key

PROTOCOL_VERSION: Final = 1
MAX_ANNOUNCE_BYTES: Final = 16 * 1024
MAX_PAYLOAD_BYTES: Final = 4 * 1024
MAX_ENTITIES: Final = 64
MAX_OPTIONS: Final = 64
MAX_NAME: Final = 64

ENTITY_TYPES: Final = frozenset(
    {
        "binary_sensor",
        "sensor",
        "switch",
        "button",
        "light",
        "number",
        "select",
        "text",
        "event",
        "siren",
    }
)
# Types whose entities hold a value in status; buttons and events do not.
STATEFUL_TYPES: Final = ENTITY_TYPES - {"button", "event"}
COLOR_MODES: Final = frozenset({"onoff", "brightness", "rgb", "rgbw", "color_temp"})
CATEGORIES: Final = frozenset({"config", "diagnostic"})
NUMBER_MODES: Final = frozenset({"box", "slider", "auto"})
LOG_LEVELS: Final = frozenset({"debug", "info", "warning", "error"})
ACK_ERRORS: Final = frozenset(
    {"unknown_key", "bad_value", "unsupported_action", "busy", "internal"}
)
AVAILABILITY_PAYLOADS: Final = frozenset({"online", "offline"})

type Reason = Literal[
    "too_large",
    "not_utf8",
    "invalid_json",
    "not_an_object",
    "invalid",
    "id_mismatch",
    "unsupported_version",
]


class ProtocolError(ValueError):
    """A message that breaks the contract.

    ``reason`` is a short code for counting drops; the message says exactly
    what is wrong, naming the field.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        """Keep the reason code next to the message."""
        super().__init__(message)
        self.reason: Reason = reason


class UnsupportedVersionError(ProtocolError):
    """An announce of a newer major version than this hub understands."""

    def __init__(self, version: int) -> None:
        """Remember the version the prop speaks."""
        super().__init__(
            "unsupported_version",
            f"protocol version {version} is newer than {PROTOCOL_VERSION}",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Announce:
    """What a prop says about itself."""

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
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def entity(self, key: str) -> EntitySpec | None:
        """Return the entity with ``key``, if the prop has one."""
        for spec in self.entities:
            if spec.key == key:
                return spec
        return None

    @property
    def configuration_url(self) -> str | None:
        """Return where the prop serves its own page, if it says."""
        if self.url:
            return self.url
        return f"http://{self.ip}/" if self.ip else None


@dataclass(frozen=True, slots=True)
class Event:
    """An event an event entity fired."""

    key: str
    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Ack:
    """A prop's answer to one command."""

    correlation_id: str
    ok: bool
    error: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    """A log line a prop sent."""

    level: str
    msg: str


def decode(payload: str | bytes | bytearray, limit: int = MAX_PAYLOAD_BYTES) -> Any:
    """Return the JSON value in ``payload``, enforcing the size limit."""
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    if len(raw) > limit:
        raise ProtocolError(
            "too_large", f"payload of {len(raw)} bytes is over the {limit} byte limit"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError("not_utf8", f"payload is not UTF-8: {err}") from None
    try:
        return json.loads(text)
    except ValueError as err:
        raise ProtocolError("invalid_json", f"payload is not JSON: {err}") from None
    except RecursionError:
        raise ProtocolError("invalid_json", "payload nests too deeply") from None


def decode_object(
    payload: str | bytes | bytearray, limit: int = MAX_PAYLOAD_BYTES
) -> dict[str, Any]:
    """Return the JSON object in ``payload``."""
    value = decode(payload, limit)
    if not isinstance(value, dict):
        raise ProtocolError(
            "not_an_object", f"payload must be a JSON object, not {_kind(value)}"
        )
    return value


def _kind(value: object) -> str:
    """Name the JSON kind of ``value`` for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _invalid(path: str, problem: str) -> ProtocolError:
    return ProtocolError("invalid", f"{path}: {problem}")


def is_number(value: object) -> bool:
    """Return whether ``value`` is a finite JSON number (booleans are not)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def is_integer(value: object) -> bool:
    """Return whether ``value`` is a JSON number without a fraction."""
    return isinstance(value, int) and not isinstance(value, bool)


class _Fields:
    """Typed access to an object's fields, each error naming its path."""

    def __init__(self, obj: Mapping[str, Any], path: str) -> None:
        self.obj = obj
        self.path = path

    def _at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def text(
        self, name: str, *, required: bool = False, max_len: int | None = None
    ) -> str | None:
        value = self.obj.get(name)
        if value is None:
            if required:
                raise _invalid(self._at(name), "is required")
            return None
        if not isinstance(value, str):
            raise _invalid(self._at(name), f"must be a string, not {_kind(value)}")
        if max_len is not None and not 1 <= len(value) <= max_len:
            raise _invalid(self._at(name), f"must be 1 to {max_len} characters")
        return value

    def choice(self, name: str, allowed: frozenset[str]) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            raise _invalid(
                self._at(name), f"must be one of {', '.join(sorted(allowed))}"
            )
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.obj.get(name, default)
        if not isinstance(value, bool):
            raise _invalid(self._at(name), f"must be true or false, not {_kind(value)}")
        return value

    def number(self, name: str) -> float | None:
        value = self.obj.get(name)
        if value is None:
            return None
        if not is_number(value):
            raise _invalid(self._at(name), f"must be a number, not {_kind(value)}")
        return float(value)

    def integer(self, name: str, low: int = 0, high: int = 1 << 31) -> int | None:
        value = self.obj.get(name)
        if value is None:
            return None
        if not is_integer(value) or not low <= value <= high:
            raise _invalid(self._at(name), f"must be a whole number {low}..{high}")
        return int(value)

    def strings(
        self,
        name: str,
        *,
        required: bool = False,
        allowed: frozenset[str] | None = None,
    ) -> tuple[str, ...]:
        value = self.obj.get(name)
        if value is None:
            if required:
                raise _invalid(self._at(name), "is required")
            return ()
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value
        ):
            raise _invalid(self._at(name), "must be a list of non-empty strings")
        if required and not value:
            raise _invalid(self._at(name), "must not be empty")
        if len(value) > MAX_OPTIONS:
            raise _invalid(self._at(name), f"must have at most {MAX_OPTIONS} items")
        if len(set(value)) != len(value):
            raise _invalid(self._at(name), "must not repeat an item")
        if allowed is not None and (unknown := set(value) - allowed):
            raise _invalid(
                self._at(name),
                f"{', '.join(sorted(unknown))} not among {', '.join(sorted(allowed))}",
            )
        return tuple(value)


def _entity(
    raw: object,
    path: str,
    device_classes: Mapping[str, frozenset[str]] | None,
    warnings: list[str],
) -> EntitySpec:
    if not isinstance(raw, dict):
        raise _invalid(path, f"must be an object, not {_kind(raw)}")
    f = _Fields(raw, path)
    key = f.text("key", required=True)
    assert key is not None
    if not is_entity_key(key):
        raise _invalid(f"{path}.key", f"{key!r} is not a valid entity key")
    kind = f.choice("type", ENTITY_TYPES)
    if kind is None:
        raise _invalid(f"{path}.type", "is required")
    if "name" in raw and raw["name"] is None:
        name = None
    else:
        name = f.text("name", max_len=MAX_NAME) or key.replace("_", " ").capitalize()
    device_class = f.text("device_class")
    if device_class is not None and device_classes is not None:
        known = device_classes.get(kind, frozenset())
        if device_class not in known:
            warnings.append(
                f"{path}.device_class: {device_class!r} is not a {kind} device class"
                " here; ignored"
            )
            device_class = None
    spec: dict[str, Any] = {
        "key": key,
        "type": kind,
        "name": name,
        "icon": f.text("icon"),
        "device_class": device_class,
        "category": f.choice("category", CATEGORIES),
        "enabled": f.flag("enabled", default=True),
    }
    if kind == "sensor":
        spec["unit"] = f.text("unit")
        spec["state_class"] = f.text("state_class")
        spec["precision"] = f.integer("precision", 0, 15)
        options = f.strings("options")
        spec["options"] = options or None
    elif kind == "select":
        spec["options"] = f.strings("options", required=True)
    elif kind == "light":
        modes = f.strings("color_modes", allowed=COLOR_MODES) or ("onoff",)
        spec["color_modes"] = modes
        spec["effects"] = f.strings("effects")
        spec["min_kelvin"] = f.integer("min_kelvin", 1000, 20000)
        spec["max_kelvin"] = f.integer("max_kelvin", 1000, 20000)
        if (
            spec["min_kelvin"] is not None
            and spec["max_kelvin"] is not None
            and spec["min_kelvin"] > spec["max_kelvin"]
        ):
            raise _invalid(f"{path}.min_kelvin", "must not exceed max_kelvin")
    elif kind == "number":
        spec["min"] = f.number("min")
        spec["max"] = f.number("max")
        spec["step"] = f.number("step")
        spec["unit"] = f.text("unit")
        spec["mode"] = f.choice("mode", NUMBER_MODES)
        if spec["step"] is not None and spec["step"] <= 0:
            raise _invalid(f"{path}.step", "must be above 0")
        if (
            spec["min"] is not None
            and spec["max"] is not None
            and spec["min"] > spec["max"]
        ):
            raise _invalid(f"{path}.min", "must not exceed max")
    elif kind == "text":
        spec["min_len"] = f.integer("min_len", 0, 255)
        spec["max_len"] = f.integer("max_len", 0, 255)
        spec["pattern"] = f.text("pattern")
    elif kind == "event":
        spec["event_types"] = f.strings("event_types", required=True)
    elif kind == "siren":
        spec["tones"] = f.strings("tones")
        spec["volume"] = f.flag("volume", default=False)
        spec["duration"] = f.flag("duration", default=False)
    return EntitySpec(**spec)


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
    f = _Fields(obj, "")
    version = obj.get("v")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid("v", "must be a whole number from 1")
    if version > PROTOCOL_VERSION:
        raise UnsupportedVersionError(version)
    prop_id = f.text("id", required=True)
    if prop_id != topic_id:
        raise ProtocolError(
            "id_mismatch", f"id {prop_id!r} differs from the topic's id {topic_id!r}"
        )
    name = f.text("name", required=True, max_len=MAX_NAME)
    assert name is not None
    raw_entities = obj.get("entities")
    if not isinstance(raw_entities, list):
        raise _invalid("entities", "must be a list")
    if len(raw_entities) > MAX_ENTITIES:
        raise _invalid("entities", f"must have at most {MAX_ENTITIES} entities")
    warnings: list[str] = []
    entities = tuple(
        _entity(raw, f"entities[{index}]", device_classes, warnings)
        for index, raw in enumerate(raw_entities)
    )
    seen: set[str] = set()
    for index, spec in enumerate(entities):
        if spec.key in seen:
            raise _invalid(f"entities[{index}].key", f"{spec.key!r} is used twice")
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
        warnings=tuple(warnings),
    )


def _rgb_list(value: object, size: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == size
        and all(is_integer(c) and 0 <= c <= 255 for c in value)
    )


def light_problem(value: object, partial: bool = False) -> str | None:
    """Return what is wrong with a Light object, or None when it is valid.

    ``partial`` allows leaving out ``on``, as a command may.
    """
    if not isinstance(value, dict):
        return f"must be a light object, not {_kind(value)}"
    if ("on" in value or not partial) and not isinstance(value.get("on"), bool):
        return "on must be true or false"
    checks: dict[str, tuple[Any, str]] = {
        "brightness": (
            lambda v: is_integer(v) and 0 <= v <= 255,
            "a whole number 0..255",
        ),
        "rgb": (lambda v: _rgb_list(v, 3), "three whole numbers 0..255"),
        "rgbw": (lambda v: _rgb_list(v, 4), "four whole numbers 0..255"),
        "color_temp_kelvin": (
            lambda v: is_integer(v) and 1000 <= v <= 20000,
            "a whole number of kelvin",
        ),
        "effect": (lambda v: isinstance(v, str), "a string"),
        "transition": (lambda v: is_number(v) and 0 <= v <= 3600, "seconds 0..3600"),
    }
    for name, item in value.items():
        if name == "on":
            continue
        check = checks.get(name)
        if check is None or (name == "transition" and not partial):
            return f"{name} is not a light field"
        if not check[0](item):
            return f"{name} must be {check[1]}"
    return None


def value_problem(spec: EntitySpec, value: object) -> str | None:
    """Return what is wrong with ``value`` as the state of ``spec``, or None."""
    kind = spec.type
    if kind in {"binary_sensor", "switch", "siren"}:
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "sensor":
        if value is None:
            return None
        if spec.options is not None:
            return None if value in spec.options else "must be one of its options"
        if is_number(value) or isinstance(value, str):
            return None
        return f"must be a number, a string or null, not {_kind(value)}"
    if kind == "number":
        return None if is_number(value) else f"must be a number, not {_kind(value)}"
    if kind == "select":
        assert spec.options is not None
        return None if value in spec.options else "must be one of its options"
    if kind == "text":
        return (
            None if isinstance(value, str) else f"must be a string, not {_kind(value)}"
        )
    if kind == "light":
        return light_problem(value)
    return f"a {kind} entity has no state"


def parse_values(
    payload: str | bytes | bytearray, announce: Announce | None, sensors_only: bool
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Split a status or telemetry payload into valid values and problems.

    Returns ``(values, problems)``: the values that fit an announced entity,
    and ``(key, what is wrong)`` for each one that does not. Telemetry
    (``sensors_only``) may only carry sensor readings.
    """
    obj = decode_object(payload)
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in obj.items():
        spec = announce.entity(key) if announce is not None else None
        if spec is None:
            problems.append((key, "is not an announced entity"))
        elif sensors_only and spec.type != "sensor":
            problems.append((key, "telemetry carries only sensor readings"))
        elif (problem := value_problem(spec, value)) is not None:
            problems.append((key, problem))
        else:
            values[key] = value
    return values, problems


def parse_event(payload: str | bytes | bytearray, announce: Announce | None) -> Event:
    """Return the event in ``payload``, checked against the prop's announce."""
    obj = decode_object(payload)
    f = _Fields(obj, "")
    key = f.text("key", required=True)
    kind = f.text("type", required=True)
    assert key is not None
    assert kind is not None
    data = obj.get("data", {})
    if not isinstance(data, dict):
        raise _invalid("data", f"must be an object, not {_kind(data)}")
    spec = announce.entity(key) if announce is not None else None
    if spec is None or spec.type != "event":
        raise _invalid("key", f"{key!r} is not an announced event entity")
    if kind not in spec.event_types:
        raise _invalid("type", f"{kind!r} is not among {', '.join(spec.event_types)}")
    return Event(key=key, type=kind, data=data)


def is_correlation_id(value: object) -> bool:
    """Return whether ``value`` is a valid correlation id."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 64
        and all(" " < c <= "~" for c in value)
    )


def parse_ack(payload: str | bytes | bytearray) -> Ack:
    """Return the acknowledgement in ``payload``."""
    obj = decode_object(payload)
    f = _Fields(obj, "")
    correlation_id = obj.get("correlation_id")
    if not is_correlation_id(correlation_id):
        raise _invalid("correlation_id", "must be 1 to 64 printable ASCII characters")
    assert isinstance(correlation_id, str)
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        raise _invalid("ok", "must be true or false")
    if ok:
        return Ack(correlation_id, ok=True)
    error = f.choice("error", ACK_ERRORS)
    if error is None:
        raise _invalid("error", "is required when ok is false")
    return Ack(correlation_id, ok=False, error=error, message=f.text("message"))


def parse_log(payload: str | bytes | bytearray) -> LogLine:
    """Return the log line in ``payload``."""
    obj = decode_object(payload)
    f = _Fields(obj, "")
    level = f.choice("level", LOG_LEVELS) or "info"
    msg = f.text("msg", required=True)
    assert msg is not None
    return LogLine(level, msg)


def parse_availability(payload: str | bytes | bytearray) -> bool:
    """Return True for ``online`` and False for ``offline``."""
    raw = payload.encode() if isinstance(payload, str) else bytes(payload)
    if raw == b"online":
        return True
    if raw == b"offline":
        return False
    raise _invalid("availability", f"{raw[:32]!r} is neither online nor offline")
