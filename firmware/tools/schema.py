"""The prop config schema: checks a YAML config and compiles it to the prop's prop.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
from typing import Any

from .contract import ROOT, messages, names
from .loader import ConfigError, LineDict, LineList, load

DEFAULT_RGB_BASE = "v1/demo/rgb"
MAX_PIN = 48
SYSTEM_SENSORS: dict[str, dict[str, Any]] = {
    "uptime": {
        "name": "Uptime",
        "unit": "s",
        "device_class": "duration",
        "state_class": "total_increasing",
    },
    "rssi": {
        "name": "Signal strength",
        "unit": "dBm",
        "device_class": "signal_strength",
        "state_class": "measurement",
        "enabled": False,
    },
    "free_memory": {
        "name": "Free memory",
        "unit": "B",
        "state_class": "measurement",
        "icon": "mdi:memory",
        "enabled": False,
    },
    "reset_reason": {"name": "Reset reason", "icon": "mdi:restart-alert"},
}


@dataclass
class _Ctx:
    file: str
    problems: list[tuple[str, int, str]] = field(default_factory=list)

    def error(self, where: Any, key: str | int | None, msg: str) -> None:
        line = getattr(where, "line", 1)
        lines = getattr(where, "lines", None)
        if isinstance(key, str) and isinstance(lines, dict):
            line = lines.get(key, line)
        elif isinstance(key, int) and isinstance(lines, list) and key < len(lines):
            line = lines[key]
        self.problems.append((self.file, line, msg))


class _BadValueError(Exception):
    """A value that fails its check; the message says what was expected."""


Check = Callable[[Any], Any]


def _int(low: int, high: int) -> Check:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise _BadValueError(f"must be a whole number from {low} to {high}")
        return v

    return check


def _num(low: float | None = None, high: float | None = None) -> Check:
    def check(v: Any) -> float | int:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _BadValueError("must be a number")
        if high is None and low is not None and v < low:
            raise _BadValueError(f"must be at least {low}")
        if (low is not None and v < low) or (high is not None and v > high):
            raise _BadValueError(f"must be from {low} to {high}")
        return v

    return check


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise _BadValueError("must be non-empty text")
    return v


def _flag(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _BadValueError("must be true or false")
    return v


def _choice(*options: str) -> Check:
    def check(v: Any) -> str:
        if v not in options:
            raise _BadValueError(f"must be one of {', '.join(options)}")
        return str(v)

    return check


def _texts(v: Any) -> list[str]:
    if not isinstance(v, list) or not v or not all(isinstance(i, str) and i for i in v):
        raise _BadValueError("must be a list of non-empty texts")
    return list(v)


def _pins(count: tuple[int, ...]) -> Check:
    pin = _int(0, MAX_PIN)

    def check(v: Any) -> list[int]:
        if not isinstance(v, list) or len(v) not in count:
            raise _BadValueError(
                f"must be a list of {' or '.join(map(str, count))} pin numbers"
            )
        return [pin(p) for p in v]

    return check


def _any(v: Any) -> Any:
    return v


PIN = _int(0, MAX_PIN)
SECONDS = _num(0, 86400)
PULL = _choice("up", "down")

# Options every component has, and where they go.
_ENTITY_COMMON: dict[str, Check] = {
    "name": _text,
    "icon": _text,
    "device_class": _text,
    "category": _choice("config", "diagnostic"),
    "enabled": _flag,
}


@dataclass(frozen=True)
class Kind:
    """One component type: its options, the required ones, and its entity."""

    entity: str | None
    options: dict[str, Check]
    required: tuple[str, ...] = ()
    # Options copied into the entity of the announce.
    entity_options: tuple[str, ...] = ()
    # Options holding sequences.
    sequences: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "switch": Kind("switch", {"pin": PIN, "invert": _flag, "pulse": SECONDS}, ("pin",)),
    "binary_sensor": Kind(
        "binary_sensor",
        {
            "pin": PIN,
            "pull": PULL,
            "invert": _flag,
            "debounce": SECONDS,
            "delayed_on": SECONDS,
            "delayed_off": SECONDS,
            "on_press": _any,
            "on_release": _any,
        },
        ("pin",),
        sequences=("on_press", "on_release"),
    ),
    "button": Kind(
        "button", {"on_press": _any}, ("on_press",), sequences=("on_press",)
    ),
    "push_button": Kind(
        "event",
        {
            "pin": PIN,
            "pull": PULL,
            "invert": _flag,
            "debounce": SECONDS,
            "long_press": SECONDS,
            "on_press": _any,
            "on_long_press": _any,
        },
        ("pin",),
        sequences=("on_press", "on_long_press"),
    ),
    "event": Kind("event", {"event_types": _texts}, ("event_types",), ("event_types",)),
    "light": Kind(
        "light",
        {
            "output": _choice("pwm", "ws2812"),
            "pins": _pins((1, 3)),
            "pin": PIN,
            "count": _int(1, 1024),
            "freq": _int(100, 40000),
            "transition": SECONDS,
            "follow_rgb": _any,
        },
    ),
    "sensor": Kind(
        "sensor",
        {
            "source": _choice("adc", "digital", "counter"),
            "pin": PIN,
            "pull": PULL,
            "interval": _num(0.01, 86400),
            "filters": _any,
            "telemetry": _flag,
            "unit": _text,
            "state_class": _choice("measurement", "total", "total_increasing"),
            "precision": _int(0, 15),
        },
        (),
        ("unit", "state_class", "precision"),
    ),
    "number": Kind(
        "number",
        {
            "min": _num(),
            "max": _num(),
            "step": _num(0.000001),
            "unit": _text,
            "mode": _choice("box", "slider"),
            "initial": _num(),
        },
        ("min", "max", "initial"),
        ("min", "max", "step", "unit", "mode"),
    ),
    "select": Kind(
        "select", {"options": _texts, "initial": _text}, ("options",), ("options",)
    ),
    "text": Kind(
        "text",
        {
            "min_len": _int(0, 255),
            "max_len": _int(0, 255),
            "pattern": _text,
            "initial": _any,
        },
        (),
        ("min_len", "max_len", "pattern"),
    ),
    "siren": Kind(
        "siren",
        {
            "tones": _any,
            "default_tone": _text,
            "pulse": SECONDS,
            "duration": SECONDS,
            "invert": _flag,
        },
        ("tones",),
    ),
    "system": Kind(
        None,
        {"sensors": _texts, "interval": _num(1, 86400)},
    ),
    "rgb_sender": Kind(
        "sensor",
        {
            "pins": _pins((3,)),
            "base": _text,
            "src": _text,
            "max_rate": _num(0.1, 100),
            "deadband": _int(0, 255),
            "interval": _num(0.005, 10),
        },
        ("pins",),
    ),
}

_FILTERS: dict[str, Check] = {
    "throttle": SECONDS,
    "heartbeat": SECONDS,
    "delta": _num(0),
    "sliding_average": _any,
    "multiply": _num(),
    "offset": _num(),
    "round": _int(0, 10),
}

_TOP: dict[str, Check] = {
    "prop": _any,
    "wifi": _any,
    "mqtt": _any,
    "components": _any,
    "actions": _any,
    "status_led": _any,
    "watchdog": _num(0, 60),
    "safe_mode_after": _int(0, 100),
    "stable_after": _num(1, 3600),
    "log_level": _choice("debug", "info", "warning", "error"),
}
_PROP: dict[str, Check] = {
    "id": _text,
    "name": _text,
    "prefix": _text,
    "model": _text,
    "manufacturer": _text,
    "hw_version": _text,
    "sw_version": _text,
}
_MQTT: dict[str, Check] = {
    "host": _text,
    "port": _int(1, 65535),
    "user": _text,
    "password": _text,
    "keepalive": _int(5, 600),
}
_WIFI: dict[str, Check] = {"ssid": _text, "password": _text}
_LED: dict[str, Check] = {"pin": PIN, "invert": _flag}


def _section(
    ctx: _Ctx,
    obj: Any,
    at: tuple[Any, str | int | None],
    spec: dict[str, Check],
    *,
    required: tuple[str, ...] = (),
    label: str = "",
) -> dict[str, Any]:
    """Check a mapping (found at ``at``: parent, key) against ``spec``; returns what passed."""
    if not isinstance(obj, dict):
        ctx.error(*at, f"{label.rstrip('.') or 'the config'}: must be a mapping")
        return {}
    out: dict[str, Any] = {}
    for name, value in obj.items():
        check = spec.get(name)
        if check is None:
            ctx.error(
                obj,
                name,
                f"{label}{name}: unknown option; expected one of {', '.join(spec)}",
            )
            continue
        try:
            out[name] = check(value)
        except _BadValueError as bad:
            ctx.error(obj, name, f"{label}{name}: {bad}")
    for name in required:
        if name not in obj:
            ctx.error(obj, None, f"{label}{name}: is required")
    return out


@dataclass
class _Build:
    ctx: _Ctx
    components: list[dict[str, Any]] = field(default_factory=list)
    component_sources: list[Any] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    # For each entity: the YAML mapping it came from, to place protocol errors.
    entity_sources: list[Any] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    pins: dict[int, str] = field(default_factory=dict)


def _claim_pin(b: _Build, obj: Any, name: str, pin: int, owner: str) -> None:
    if pin in b.pins:
        b.ctx.error(obj, name, f"{name}: pin {pin} is already used by {b.pins[pin]}")
    else:
        b.pins[pin] = owner


def _component(b: _Build, raw: Any, items: Any, index: int) -> None:
    ctx = b.ctx
    label = f"components[{index}]."
    if not isinstance(raw, dict):
        ctx.error(items, index, f"components[{index}]: must be a mapping")
        return
    kind_name = raw.get("type")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None or not isinstance(kind_name, str):
        ctx.error(
            raw, "type", f"{label}type: must be one of {', '.join(sorted(KINDS))}"
        )
        return
    spec = {"type": _any, "key": _text, **_ENTITY_COMMON, **kind.options}
    required = kind.required if kind.entity is None else ("key", *kind.required)
    if kind_name == "rgb_sender":
        required = kind.required
    values = _section(ctx, raw, (items, index), spec, required=required, label=label)
    key = values.get("key", "commands_sent" if kind_name == "rgb_sender" else None)
    if key is not None:
        if not names.is_entity_key(key):
            ctx.error(raw, "key", f"{label}key: {key!r} is not a valid entity key")
        elif key in b.types:
            ctx.error(raw, "key", f"{label}key: {key!r} is used twice")
        else:
            b.types[key] = kind_name
    owner = f"{kind_name} {key or ''}".strip()
    for name in ("pin",):
        if isinstance(values.get(name), int):
            _claim_pin(b, raw, name, values[name], owner)
    for pin in values.get("pins", []):
        _claim_pin(b, raw, "pins", pin, owner)
    device = {"kind": kind_name, "type": kind.entity or kind_name, **values}
    device.pop("name", None)
    device.pop("icon", None)
    device.pop("enabled", None)
    device.pop("category", None)
    device.pop("device_class", None)
    if key is not None:
        device["key"] = key
    _kind_specific(b, kind_name, raw, values, device, label=label)
    b.components.append(device)
    b.component_sources.append(raw)
    if kind.entity is None:
        return
    entity: dict[str, Any] = {"key": key, "type": kind.entity}
    for name in ("name", *_ENTITY_COMMON):
        if name in values:
            entity[name] = values[name]
    for name in kind.entity_options:
        if name in values:
            entity[name] = values[name]
    _entity_specific(kind_name, values, entity, device)
    b.entities.append(entity)
    b.entity_sources.append(raw)


def _kind_specific(
    b: _Build,
    kind: str,
    raw: Any,
    values: dict[str, Any],
    device: dict[str, Any],
    *,
    label: str,
) -> None:
    ctx = b.ctx
    if kind == "light":
        output = values.get("output", "pwm")
        if output == "pwm" and "pins" not in values:
            ctx.error(raw, None, f"{label}pins: a pwm light needs 1 or 3 pins")
        if output == "ws2812" and "pin" not in values:
            ctx.error(raw, None, f"{label}pin: a ws2812 light needs its data pin")
        follow = values.get("follow_rgb")
        if follow is True:
            device["follow_rgb"] = DEFAULT_RGB_BASE
        elif follow is False or follow is None:
            device.pop("follow_rgb", None)
        elif not isinstance(follow, str) or names.prefix_error(follow):
            ctx.error(
                raw, "follow_rgb", f"{label}follow_rgb: must be true or a base topic"
            )
    elif kind == "siren":
        tones = values.get("tones")
        if not isinstance(tones, dict) or not tones:
            ctx.error(raw, "tones", f"{label}tones: must map tone names to pins")
        else:
            for tone, pin in tones.items():
                try:
                    _claim_pin(b, raw, "tones", PIN(pin), f"siren tone {tone}")
                except _BadValueError as bad:
                    ctx.error(tones, tone, f"{label}tones.{tone}: {bad}")
            default = values.get("default_tone")
            if default is not None and default not in tones:
                ctx.error(
                    raw, "default_tone", f"{label}default_tone: not among the tones"
                )
    elif kind == "sensor":
        source = values.get("source", "adc")
        if source in ("adc", "digital") and "pin" not in values:
            ctx.error(raw, None, f"{label}pin: an {source} sensor needs a pin")
        device["filters"] = _filters(ctx, raw, values.get("filters", []), label)
    elif kind == "number":
        low, high = values.get("min"), values.get("max")
        initial = values.get("initial")
        if (
            low is not None
            and high is not None
            and initial is not None
            and not low <= initial <= high
        ):
            ctx.error(raw, "initial", f"{label}initial: must be from min to max")
    elif kind == "select":
        options = values.get("options", [])
        initial = values.setdefault("initial", options[0] if options else None)
        device["initial"] = initial
        if options and initial not in options:
            ctx.error(raw, "initial", f"{label}initial: must be one of the options")
    elif kind == "system":
        chosen = values.get("sensors", list(SYSTEM_SENSORS))
        unknown = [s for s in chosen if s not in SYSTEM_SENSORS]
        if unknown:
            ctx.error(
                raw,
                "sensors",
                f"{label}sensors: unknown {', '.join(unknown)}; choose from {', '.join(SYSTEM_SENSORS)}",
            )
        device["keys"] = {s: s for s in chosen if s in SYSTEM_SENSORS}
        device.pop("sensors", None)
        for s in device["keys"]:
            if s in b.types:
                ctx.error(raw, "sensors", f"{label}sensors: key {s!r} is used twice")
            b.types[s] = "sensor"
            entity: dict[str, Any] = {
                "key": s,
                "type": "sensor",
                "category": "diagnostic",
                **SYSTEM_SENSORS[s],
            }
            b.entities.append(entity)
            b.entity_sources.append(raw)
    elif kind == "rgb_sender":
        device.setdefault("base", DEFAULT_RGB_BASE)
        if names.prefix_error(device["base"]):
            ctx.error(raw, "base", f"{label}base: not a valid base topic")


def _entity_specific(
    kind: str, values: dict[str, Any], entity: dict[str, Any], device: dict[str, Any]
) -> None:
    if kind == "light":
        width = 1 if len(values.get("pins", [0, 0, 0])) == 1 else 3
        entity["color_modes"] = ["brightness"] if width == 1 else ["rgb"]
    elif kind == "push_button":
        entity["event_types"] = ["press", "long_press"]
    elif kind == "siren":
        tones = values.get("tones")
        entity["tones"] = list(tones) if isinstance(tones, dict) else []
        entity["duration"] = True
    elif kind == "sensor" and values.get("source") == "counter":
        entity.setdefault("state_class", "total_increasing")
    elif kind == "rgb_sender":
        entity.setdefault("name", "Commands sent")
        entity.setdefault("state_class", "total_increasing")
        entity.setdefault("category", "diagnostic")


def _filters(ctx: _Ctx, raw: Any, items: Any, label: str) -> list[list[Any]]:
    if not isinstance(items, list):
        ctx.error(raw, "filters", f"{label}filters: must be a list")
        return []
    out: list[list[Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1:
            ctx.error(items, i, f"{label}filters[{i}]: must be one 'name: value' pair")
            continue
        ((name, arg),) = item.items()
        check = _FILTERS.get(name)
        if check is None:
            ctx.error(
                items,
                i,
                f"{label}filters[{i}]: unknown filter {name!r}; expected one of {', '.join(_FILTERS)}",
            )
            continue
        try:
            value = check(arg)
            if name == "sliding_average":
                value = _sliding(arg)
        except _BadValueError as bad:
            ctx.error(items, i, f"{label}filters[{i}].{name}: {bad}")
            continue
        out.append([name, value])
    return out


def _sliding(arg: Any) -> list[int]:
    if isinstance(arg, dict):
        size = _int(1, 64)(arg.get("size"))
        every = _int(1, 64)(arg.get("every", 1))
        return [size, every]
    return [_int(1, 64)(arg), 1]


# Sequence steps: YAML name -> (compiled op, what the target must be).
_STEP_TARGETS = {
    "turn_on": ("on", ("switch", "light", "siren")),
    "turn_off": ("off", ("switch", "light", "siren")),
    "count": ("count", ("sensor",)),
    "press": ("press", ("button",)),
}
_TIME_STEPS = ("delay", "cooldown")
STEP_NAMES = (*_STEP_TARGETS, *_TIME_STEPS, "set", "fire", "run", "log", "when")


def _steps(
    b: _Build,
    at: tuple[Any, str | int],
    steps: Any,
    *,
    label: str,
    named: dict[str, Any],
) -> Any:
    """Check a sequence (a list of steps, or a name) found at ``at``; return its compiled form."""
    ctx = b.ctx
    where, key = at
    if isinstance(steps, str):
        if steps not in named:
            ctx.error(where, key, f"{label}: there is no action named {steps!r}")
        return steps
    if not isinstance(steps, list):
        ctx.error(where, key, f"{label}: must be an action name or a list of steps")
        return []
    out: list[list[Any]] = []
    for i, step in enumerate(steps):
        place = f"{label}[{i}]"
        if not isinstance(step, dict) or len(step) != 1:
            ctx.error(steps, i, f"{place}: a step is one 'name: value' pair")
            continue
        ((name, arg),) = step.items()
        try:
            out.append(_step(b, name, arg, named))
        except _BadValueError as bad:
            ctx.error(steps, i, f"{place}.{name}: {bad}")
    return out


def _target(b: _Build, key: Any, kinds: tuple[str, ...]) -> str:
    if not isinstance(key, str) or key not in b.types:
        raise _BadValueError(f"{key!r} is not a component of this prop")
    found = b.types[key]
    if found not in kinds:
        raise _BadValueError(
            f"{key} is a {found}; this step needs a {' or '.join(kinds)}"
        )
    return key


def _step(b: _Build, name: str, arg: Any, named: dict[str, Any]) -> list[Any]:
    if name in _STEP_TARGETS:
        op, kinds = _STEP_TARGETS[name]
        if isinstance(arg, dict):
            options = dict(arg)
            key = _target(b, options.pop("key", None), kinds)
            if "transition" in options:
                SECONDS(options["transition"])
            return [op, key, options]
        return [op, _target(b, arg, kinds)]
    if name in _TIME_STEPS:
        if isinstance(arg, str):
            return [name, _target(b, arg, ("number",))]
        return [name, SECONDS(arg)]
    if name == "set":
        if not isinstance(arg, dict) or "key" not in arg or "value" not in arg:
            raise _BadValueError("needs key and value")
        kinds = ("switch", "light", "number", "select", "text", "siren")
        return ["set", _target(b, arg["key"], kinds), arg["value"]]
    if name == "fire":
        if not isinstance(arg, dict):
            raise _BadValueError("needs key and type")
        key = _target(b, arg.get("key"), ("event",))
        return ["event", key, _text(arg.get("type"))]
    if name == "run":
        if arg not in named:
            raise _BadValueError(f"there is no action named {arg!r}")
        return ["run", arg]
    if name == "log":
        if isinstance(arg, dict):
            return [
                "log",
                _choice("debug", "info", "warning", "error")(arg.get("level", "info")),
                _text(arg.get("msg")),
            ]
        return ["log", "info", _text(arg)]
    if name == "when":
        if not isinstance(arg, dict) or "key" not in arg or "is" not in arg:
            raise _BadValueError("needs key and is")
        kinds = (
            "select",
            "switch",
            "binary_sensor",
            "number",
            "text",
            "light",
            "siren",
        )
        return ["when", _target(b, arg["key"], kinds), arg["is"]]
    raise _BadValueError(f"unknown step; expected one of {', '.join(STEP_NAMES)}")


def _place_protocol_error(b: _Build, err: messages.ProtocolError) -> None:
    text = str(err)
    match = re.match(r"entities\[(\d+)\]\.?(\w*)", text)
    if match and int(match.group(1)) < len(b.entity_sources):
        source = b.entity_sources[int(match.group(1))]
        field_name = match.group(2)
        b.ctx.error(
            source, field_name or None, f"the announce would break the contract: {text}"
        )
    else:
        b.ctx.problems.append(
            (b.ctx.file, 1, f"the announce would break the contract: {text}")
        )


def compile_config(
    path: Path, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return prop.json's content for the config at ``path``, or raise ConfigError."""
    raw = load(path)
    ctx = _Ctx(str(path))
    if not isinstance(raw, dict):
        raise ConfigError([(str(path), 1, "a prop config is a mapping")])
    top = _section(ctx, raw, (raw, None), _TOP, required=("prop", "components"))
    prop = _section(
        ctx,
        raw.get("prop", {}),
        (raw, "prop"),
        _PROP,
        required=("id", "name"),
        label="prop.",
    )
    prop_id = prop.get("id", "")
    if prop_id and not names.is_prop_id(prop_id):
        ctx.error(raw["prop"], "id", f"prop.id: {prop_id!r} is not a valid prop id")
    prefix = prop.get("prefix", names.DEFAULT_PREFIX)
    if (problem := names.prefix_error(prefix)) is not None:
        ctx.error(raw["prop"], "prefix", f"prop.prefix: {problem}")
    mqtt = _section(
        ctx,
        raw.get("mqtt", {}),
        (raw, "mqtt"),
        _MQTT,
        required=("host",),
        label="mqtt.",
    )
    wifi = None
    if "wifi" in raw:
        wifi = _section(
            ctx, raw["wifi"], (raw, "wifi"), _WIFI, required=("ssid",), label="wifi."
        )
    led = None
    if "status_led" in raw:
        led = _section(
            ctx,
            raw["status_led"],
            (raw, "status_led"),
            _LED,
            required=("pin",),
            label="status_led.",
        )
    b = _Build(ctx)
    if led and "pin" in led:
        b.pins[led["pin"]] = "the status LED"
    items = raw.get("components", [])
    if not isinstance(items, list):
        ctx.error(raw, "components", "components: must be a list")
        items = []
    for index, item in enumerate(items):
        _component(b, item, items, index)
    named_raw = raw.get("actions", {}) or {}
    if not isinstance(named_raw, dict):
        ctx.error(raw, "actions", "actions: must map names to lists of steps")
        named_raw = {}
    for name in named_raw:
        if not names.is_entity_key(name):
            ctx.error(
                named_raw, name, f"actions.{name}: names follow the entity key rule"
            )
        if name in ("set", "press", "ping", "identify", "reboot", "announce"):
            ctx.error(named_raw, name, f"actions.{name}: is a built-in command")
    named: dict[str, Any] = {}
    for name, steps in named_raw.items():
        named[name] = _steps(
            b, (named_raw, name), steps, label=f"actions.{name}", named=named_raw
        )
    for device, item in zip(b.components, b.component_sources, strict=True):
        for option in KINDS[device["kind"]].sequences:
            if option in device:
                device[option] = _steps(
                    b,
                    (item, option),
                    device[option],
                    label=f"{device.get('key')}.{option}",
                    named=named_raw,
                )
    announce: dict[str, Any] = {"v": messages.PROTOCOL_VERSION, "id": prop_id}
    for name in ("name", "model", "manufacturer", "sw_version", "hw_version"):
        if name in prop:
            announce[name] = prop[name]
    announce.setdefault("manufacturer", "PropNet")
    announce.setdefault("sw_version", firmware_version())
    announce["entities"] = b.entities
    if not ctx.problems:
        try:
            messages.parse_announce(json.dumps(announce), prop_id)
        except messages.ProtocolError as err:
            _place_protocol_error(b, err)
    if ctx.problems:
        raise ConfigError(ctx.problems)
    out: dict[str, Any] = {
        "id": prop_id,
        "prefix": prefix,
        "announce": announce,
        "mqtt": mqtt,
        "wifi": wifi,
        "status_led": led,
        "components": b.components,
        "actions": named,
    }
    for name in ("watchdog", "safe_mode_after", "stable_after", "log_level"):
        if name in top:
            out[name] = top[name]
    out.setdefault("watchdog", 10)
    if overrides:
        for section, values in overrides.items():
            if isinstance(values, dict) and isinstance(out.get(section), dict):
                out[section].update(values)
            else:
                out[section] = values
    return out


def firmware_version() -> str:
    """Return the firmware's VERSION, read from its package without importing it."""
    text = (ROOT / "firmware" / "propnet" / "__init__.py").read_text()
    match = re.search(r'^VERSION = "([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "unknown"


def plain(value: Any) -> Any:
    """Return ``value`` with the line-keeping containers turned into plain ones."""
    if isinstance(value, (LineDict, dict)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (LineList, list)):
        return [plain(v) for v in value]
    return value
