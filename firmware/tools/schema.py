"""Compiling a prop config: components, entities and actions into the prop's prop.json."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
import json
from pathlib import Path
import re
from typing import Any

from .boards import BOARDS, DEFAULT_BOARD, Board
from .checks import PIN, BadValueError, Ctx, anything, section, text
from .connection import check_mqtt
from .contract import ROOT, announce as contract, decode, names
from .devices import DEVICES, Device
from .kinds import (
    DEFAULT_RGB_BASE,
    ENTITY_COMMON,
    KINDS,
    LED,
    MQTT,
    PROP,
    PROP_MODES,
    SHOW,
    SHOW_ENTITIES,
    SHOW_HUB,
    SYSTEM_SENSORS,
    TOP,
    WIFI,
)
from .loader import ConfigError, LineDict, LineList, load
from .pins import PIN_USE, PinClaims
from .sequences import filters, steps

# Where compile_config hands files (the CA) to the build.
FILES = "_files"
BUILT_IN_ACTIONS = (
    "set",
    "press",
    "ping",
    "identify",
    "reboot",
    "announce",
    "log_level",
)


@dataclass
class Build:
    """What compiling one config has gathered: components, entities, keys, pins."""

    ctx: Ctx
    components: list[dict[str, Any]] = field(default_factory=list)
    component_sources: list[Any] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    # For each entity: the YAML mapping it came from, to place protocol errors.
    entity_sources: list[Any] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    pins: PinClaims = field(init=False)
    # Each component's compiled config by key, for steps that check a target's options.
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    board: InitVar[Board] = BOARDS[DEFAULT_BOARD]

    def __post_init__(self, board: Board) -> None:
        """Claim pins on ``board``."""
        self.pins = PinClaims(self.ctx, board)


def _component(b: Build, raw: Any, items: Any, index: int) -> None:
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
    spec = {"type": anything, "key": text, **ENTITY_COMMON, **kind.options}
    required = kind.required if kind.entity is None else ("key", *kind.required)
    if kind_name == "rgb_sender":
        required = kind.required
    values = section(ctx, raw, (items, index), spec, required=required, label=label)
    key = values.get("key", "commands_sent" if kind_name == "rgb_sender" else None)
    if key is not None:
        if not names.is_entity_key(key):
            ctx.error(raw, "key", f"{label}key: {key!r} is not a valid entity key")
        elif key in b.types:
            ctx.error(raw, "key", f"{label}key: {key!r} is used twice")
        else:
            b.types[key] = kind_name
    owner = f"{kind_name} {key or ''}".strip()
    use = PIN_USE.get(kind_name, "input")
    if kind_name == "sensor" and values.get("source", "adc") == "adc":
        use = "adc"
    if isinstance(values.get("pin"), int):
        b.pins.claim(raw, "pin", values["pin"], owner, use=use)
        b.pins.check_pull(raw, values)
    for pin in values.get("pins", []):
        b.pins.claim(raw, "pins", pin, owner, use=use)
    dev = DEVICES.get(kind_name)
    if dev is not None:
        _device_pins_and_parts(b, dev, raw, values, owner=owner, label=label)
    device = {"kind": kind_name, "type": kind.entity or kind_name, **values}
    if dev is not None:
        for name, default in dev.defaults.items():
            device.setdefault(name, default)
    device.pop("name", None)
    device.pop("icon", None)
    device.pop("enabled", None)
    device.pop("category", None)
    device.pop("device_class", None)
    if key is not None:
        device["key"] = key
        b.details[key] = device
    _kind_specific(b, kind_name, raw, values, device, label=label)
    b.components.append(device)
    b.component_sources.append(raw)
    if kind.entity is None:
        return
    entity: dict[str, Any] = {"key": key, "type": kind.entity}
    if dev is not None:
        entity.update(dev.main(values))
    for name in ("name", *ENTITY_COMMON):
        if name in values:
            entity[name] = values[name]
    for name in kind.entity_options:
        if name in values:
            entity[name] = values[name]
    _entity_specific(kind_name, values, entity, device)
    b.entities.append(entity)
    b.entity_sources.append(raw)
    if dev is not None and key is not None:
        _faces(
            b,
            dev,
            raw,
            values,
            kind_name=kind_name,
            key=key,
            device=device,
            label=label,
        )


def _device_pins_and_parts(
    b: Build, dev: Device, raw: Any, values: dict[str, Any], *, owner: str, label: str
) -> None:
    for name in dev.pins:
        if isinstance(values.get(name), int):
            shared = name in dev.shared_pins
            pin = values[name]
            if not (shared and b.pins.owner(pin) == f"the SPI bus ({name})"):
                b.pins.claim(
                    raw,
                    name,
                    pin,
                    f"the SPI bus ({name})" if shared else owner,
                    use=PIN_USE.get(name, "input"),
                )
    for name, part in dev.parts.items():
        if name not in values:
            continue
        values[name] = section(
            b.ctx,
            raw[name],
            (raw, name),
            part.options,
            required=part.required,
            label=f"{label}{name}.",
        )
        if isinstance(values[name].get("pin"), int):
            b.pins.claim(
                raw[name],
                "pin",
                values[name]["pin"],
                f"{owner} {name}",
                use=PIN_USE.get(name, "input"),
            )
            # A homing switch is pulled up unless the config says otherwise.
            b.pins.check_pull(raw[name], values[name], "up" if name == "home" else None)


def _faces(
    b: Build,
    dev: Device,
    raw: Any,
    values: dict[str, Any],
    *,
    kind_name: str,
    key: str,
    device: dict[str, Any],
    label: str,
) -> None:
    keys: dict[str, str] = {}
    name = values.get("name") or key.replace("_", " ").capitalize()
    for face in dev.faces:
        if not face.when(values):
            continue
        face_key = f"{key}_{face.suffix}"
        if not names.is_entity_key(face_key):
            b.ctx.error(
                raw,
                "key",
                f"{label}key: {key!r} is too long for its {face.suffix} entity ({face_key!r})",
            )
            continue
        if face_key in b.types:
            b.ctx.error(raw, "key", f"{label}key: {face_key!r} is used twice")
            continue
        b.types[face_key] = f"{kind_name} {face.suffix}"
        keys[face.suffix] = face_key
        entity = {"key": face_key, "type": face.type, "name": f"{name} {face.name}"}
        entity.update(face.fields(values))
        if "category" in values:
            entity["category"] = values["category"]
        b.entities.append(entity)
        b.entity_sources.append(raw)
    if dev.faces:
        device["keys"] = keys


def _kind_specific(
    b: Build,
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
                    b.pins.claim(
                        raw, "tones", PIN(pin), f"siren tone {tone}", use="output"
                    )
                except BadValueError as bad:
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
        device["filters"] = filters(ctx, raw, values.get("filters", []), label)
    elif kind == "distance":
        device["filters"] = filters(ctx, raw, values.get("filters", []), label)
    elif kind == "servo":
        low, high = values.get("min_angle", 0), values.get("max_angle", 180)
        if low >= high:
            ctx.error(raw, "max_angle", f"{label}max_angle: must be above min_angle")
        elif not low <= values.get("safe_angle", low) <= high:
            ctx.error(
                raw,
                "safe_angle",
                f"{label}safe_angle: must be from min_angle to max_angle",
            )
        if values.get("min_us", 500) >= values.get("max_us", 2500):
            ctx.error(raw, "max_us", f"{label}max_us: must be above min_us")
        lipsync = values.get("lipsync")
        if isinstance(lipsync, dict):
            opened = lipsync.get("open", high)
            if not low <= opened <= high:
                ctx.error(
                    raw["lipsync"],
                    "open",
                    f"{label}lipsync.open: must be from min_angle to max_angle",
                )
            if lipsync.get("quiet", 0.05) >= lipsync.get("loud", 0.5):
                ctx.error(
                    raw["lipsync"], "loud", f"{label}lipsync.loud: must be above quiet"
                )
    elif kind == "stepper":
        if "max" in values and values.get("min", 0) >= values["max"]:
            ctx.error(raw, "max", f"{label}max: must be above min")
    elif kind == "dfplayer":
        initial = values.get("initial")
        if initial is not None and initial not in values.get("tracks", {}):
            ctx.error(raw, "initial", f"{label}initial: not among the tracks")
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
        entity.setdefault("icon", "mdi:gesture-tap-button")
    elif kind in ("event", "rfid"):
        entity.setdefault("icon", "mdi:bell-ring-outline")
    elif kind == "siren":
        tones = values.get("tones")
        entity["tones"] = list(tones) if isinstance(tones, dict) else []
        entity["duration"] = True
    elif kind == "sensor" and values.get("source") == "counter":
        entity.setdefault("state_class", "total_increasing")
        entity.setdefault("icon", "mdi:counter")
    elif kind == "select" and _is_prop_mode(values):
        entity["translation_key"] = "mode"
    elif kind == "rgb_sender":
        entity.setdefault("name", "Commands sent")
        entity.setdefault("state_class", "total_increasing")
        entity.setdefault("category", "diagnostic")
        entity.setdefault("icon", "mdi:send")


def _is_prop_mode(values: dict[str, Any]) -> bool:
    """Say whether a select is the haunt prop's mode, which Home Assistant labels itself."""
    options = values.get("options")
    return (
        values.get("key") == "mode"
        and isinstance(options, list)
        and bool(options)
        and set(options) <= PROP_MODES
    )


def _place_protocol_error(b: Build, err: decode.ProtocolError) -> None:
    text = str(err)
    # The error names the field at fault: entities[index] or entities[index].name.
    path = err.path or ""
    index, _, field_name = path.removeprefix("entities[").partition("]")
    if (
        path.startswith("entities[")
        and index.isdigit()
        and int(index) < len(b.entity_sources)
    ):
        source = b.entity_sources[int(index)]
        b.ctx.error(
            source,
            field_name.removeprefix(".") or None,
            f"the announce would break the contract: {text}",
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
    ctx = Ctx(str(path))
    if not isinstance(raw, dict):
        raise ConfigError([(str(path), 1, "a prop config is a mapping")])
    top = section(ctx, raw, (raw, None), TOP, required=("prop", "components"))
    prop = section(
        ctx,
        raw.get("prop", {}),
        (raw, "prop"),
        PROP,
        required=("id", "name"),
        label="prop.",
    )
    prop_id = prop.get("id", "")
    if prop_id and not names.is_prop_id(prop_id):
        ctx.error(raw["prop"], "id", f"prop.id: {prop_id!r} is not a valid prop id")
    prefix = prop.get("prefix", names.DEFAULT_PREFIX)
    if (problem := names.prefix_error(prefix)) is not None:
        ctx.error(raw["prop"], "prefix", f"prop.prefix: {problem}")
    mqtt = section(
        ctx,
        raw.get("mqtt", {}),
        (raw, "mqtt"),
        MQTT,
        required=("host",),
        label="mqtt.",
    )
    files: dict[str, bytes] = {}
    check_mqtt(ctx, raw.get("mqtt"), mqtt, path, files)
    wifi = None
    if "wifi" in raw:
        wifi = section(
            ctx, raw["wifi"], (raw, "wifi"), WIFI, required=("ssid",), label="wifi."
        )
    led = None
    if "status_led" in raw:
        led = section(
            ctx,
            raw["status_led"],
            (raw, "status_led"),
            LED,
            required=("pin",),
            label="status_led.",
        )
    b = Build(ctx, board=BOARDS[prop.get("board", DEFAULT_BOARD)])
    if led and "pin" in led:
        b.pins.claim(
            raw["status_led"], "pin", led["pin"], "the status LED", use="output"
        )
    items = raw.get("components", [])
    if not isinstance(items, list):
        ctx.error(raw, "components", "components: must be a list")
        items = []
    for index, item in enumerate(items):
        _component(b, item, items, index)
    for device, item in zip(b.components, b.component_sources, strict=True):
        player = (device.get("lipsync") or {}).get("player")
        if player is not None and b.types.get(player) != "dfplayer":
            ctx.error(
                item["lipsync"],
                "player",
                f"{device.get('key')}.lipsync.player: {player!r} is not a dfplayer of this prop",
            )
    named_raw = raw.get("actions", {}) or {}
    if not isinstance(named_raw, dict):
        ctx.error(raw, "actions", "actions: must map names to lists of steps")
        named_raw = {}
    for name in named_raw:
        if not names.is_entity_key(name):
            ctx.error(
                named_raw, name, f"actions.{name}: names follow the entity key rule"
            )
        if name in BUILT_IN_ACTIONS:
            ctx.error(named_raw, name, f"actions.{name}: is a built-in command")
    named: dict[str, Any] = {}
    for name, sequence in named_raw.items():
        named[name] = steps(
            b.ctx,
            b.types,
            (named_raw, name),
            sequence,
            label=f"actions.{name}",
            named=named_raw,
            details=b.details,
        )
    for device, item in zip(b.components, b.component_sources, strict=True):
        for option in KINDS[device["kind"]].sequences:
            if option in device:
                device[option] = steps(
                    b.ctx,
                    b.types,
                    (item, option),
                    device[option],
                    label=f"{device.get('key')}.{option}",
                    named=named_raw,
                    details=b.details,
                )
    show = _show(b, raw)
    announce: dict[str, Any] = {"v": contract.PROTOCOL_VERSION, "id": prop_id}
    for name in ("name", "model", "manufacturer", "sw_version", "hw_version"):
        if name in prop:
            announce[name] = prop[name]
    announce.setdefault("manufacturer", "PropNet")
    # A device page shows a model: the board's, when the config names none.
    announce.setdefault("model", f"{b.pins.board.name.upper()} prop")
    announce.setdefault("sw_version", firmware_version())
    announce.setdefault("hw_version", b.pins.board.name)
    announce["entities"] = b.entities
    if show is not None:
        announce["show"] = {"v": 1, "max_cues": show.get("max_cues", 256)}
    if not led and not any(c["kind"] in ("light", "siren") for c in b.components):
        # Nothing to blink or beep: the hub shows no Identify button.
        announce["identify"] = False
    if not ctx.problems:
        try:
            contract.parse_announce(json.dumps(announce), prop_id)
        except decode.ProtocolError as err:
            _place_protocol_error(b, err)
    if ctx.problems:
        raise ConfigError(ctx.problems)
    out: dict[str, Any] = {
        "id": prop_id,
        "prefix": prefix,
        "announce": announce,
        "mqtt": mqtt,
        # Files the build puts beside prop.json (the broker's CA certificate).
        FILES: files,
        "wifi": wifi,
        "status_led": led,
        "components": b.components,
        "actions": named,
    }
    if show is not None:
        out["show"] = show
    for name in ("watchdog", "safe_mode_after", "stable_after", "log_level"):
        if name in top:
            out[name] = top[name]
    out.setdefault("watchdog", 10)
    if overrides:
        for part, values in overrides.items():
            if isinstance(values, dict) and isinstance(out.get(part), dict):
                out[part].update(values)
            else:
                out[part] = values
    return out


def _show(b: Build, raw: dict[str, Any]) -> dict[str, Any] | None:
    """Check the ``show`` section; declare the clock's and the show's entities."""
    if "show" not in raw:
        return None
    given = raw["show"]
    if given is None or given is True:
        given = {}
    show = section(b.ctx, given, (raw, "show"), SHOW, label="show.")
    if "hub" in show:
        show["hub"] = section(
            b.ctx, given["hub"], (given, "hub"), SHOW_HUB, label="show.hub."
        )
    for entity in SHOW_ENTITIES:
        key = entity["key"]
        if key in b.types:
            b.ctx.error(
                raw,
                "show",
                f"show: the key {key!r} is the show's own; rename the component",
            )
        b.types[key] = entity["type"]
        b.entities.append(dict(entity))
        b.entity_sources.append(raw)
    return show


def firmware_version() -> str:
    """Return the firmware's VERSION, read from its package without importing it."""
    source = (ROOT / "firmware" / "propnet" / "__init__.py").read_text()
    match = re.search(r'^VERSION = "([^"]+)"', source, re.MULTILINE)
    return match.group(1) if match else "unknown"


def plain(value: Any) -> Any:
    """Return ``value`` with the line-keeping containers turned into plain ones."""
    if isinstance(value, (LineDict, dict)):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (LineList, list)):
        return [plain(v) for v in value]
    return value
