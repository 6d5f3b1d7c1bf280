"""What a prop config may hold: each component kind's options, filters and sections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import devices
from .boards import NAMES as BOARD_NAMES
from .checks import (
    PIN,
    PULL,
    SECONDS,
    Check,
    anything,
    choice,
    flag,
    number,
    pins,
    text,
    texts,
    whole,
)

DEFAULT_RGB_BASE = "v1/demo/rgb"
# A select keyed mode with only these options is the prop's mode: Home
# Assistant names it and labels its options in the user's language.
PROP_MODES = frozenset({"idle", "armed", "show"})
# The name stays beside the translation_key for hubs that do not know it.
SYSTEM_SENSORS: dict[str, dict[str, Any]] = {
    "uptime": {
        "name": "Uptime",
        "translation_key": "uptime",
        "unit": "s",
        "device_class": "duration",
        "state_class": "total_increasing",
    },
    "rssi": {
        "name": "Signal strength",
        "unit": "dBm",
        "translation_key": "rssi",
        "device_class": "signal_strength",
        "state_class": "measurement",
        "enabled": False,
    },
    "free_memory": {
        "name": "Free memory",
        "translation_key": "free_memory",
        "unit": "B",
        "state_class": "measurement",
        "icon": "mdi:memory",
        "enabled": False,
    },
    "reset_reason": {
        "name": "Reset reason",
        "translation_key": "reset_reason",
        "icon": "mdi:restart-alert",
        "device_class": "enum",
        "options": ["power_on", "hard", "watchdog", "deep_sleep", "soft", "unknown"],
    },
}


# Options every component has, and where they go.
ENTITY_COMMON: dict[str, Check] = {
    "name": text,
    "icon": text,
    "device_class": text,
    "category": choice("config", "diagnostic"),
    "enabled": flag,
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
    "switch": Kind("switch", {"pin": PIN, "invert": flag, "pulse": SECONDS}, ("pin",)),
    "binary_sensor": Kind(
        "binary_sensor",
        {
            "pin": PIN,
            "pull": PULL,
            "invert": flag,
            "debounce": SECONDS,
            "delayed_on": SECONDS,
            "delayed_off": SECONDS,
            "on_press": anything,
            "on_release": anything,
        },
        ("pin",),
        sequences=("on_press", "on_release"),
    ),
    "button": Kind(
        "button", {"on_press": anything}, ("on_press",), sequences=("on_press",)
    ),
    "push_button": Kind(
        "event",
        {
            "pin": PIN,
            "pull": PULL,
            "invert": flag,
            "debounce": SECONDS,
            "long_press": SECONDS,
            "on_press": anything,
            "on_long_press": anything,
        },
        ("pin",),
        sequences=("on_press", "on_long_press"),
    ),
    "event": Kind("event", {"event_types": texts}, ("event_types",), ("event_types",)),
    "light": Kind(
        "light",
        {
            "output": choice("pwm", "ws2812"),
            "pins": pins((1, 3)),
            "pin": PIN,
            "count": whole(1, 1024),
            "freq": whole(100, 40000),
            "transition": SECONDS,
            "follow_rgb": anything,
        },
    ),
    "sensor": Kind(
        "sensor",
        {
            "source": choice("adc", "digital", "counter"),
            "pin": PIN,
            "pull": PULL,
            "interval": number(0.01, 86400),
            "filters": anything,
            "telemetry": flag,
            "unit": text,
            "state_class": choice("measurement", "total", "total_increasing"),
            "precision": whole(0, 15),
        },
        (),
        ("unit", "state_class", "precision"),
    ),
    "number": Kind(
        "number",
        {
            "min": number(),
            "max": number(),
            "step": number(0.000001),
            "unit": text,
            "mode": choice("box", "slider"),
            "initial": number(),
        },
        ("min", "max", "initial"),
        ("min", "max", "step", "unit", "mode"),
    ),
    "select": Kind(
        "select", {"options": texts, "initial": text}, ("options",), ("options",)
    ),
    "text": Kind(
        "text",
        {
            "min_len": whole(0, 255),
            "max_len": whole(0, 255),
            "pattern": text,
            "initial": anything,
        },
        (),
        ("min_len", "max_len", "pattern"),
    ),
    "siren": Kind(
        "siren",
        {
            "tones": anything,
            "default_tone": text,
            "pulse": SECONDS,
            "duration": SECONDS,
            "invert": flag,
        },
        ("tones",),
    ),
    "system": Kind(
        None,
        {"sensors": texts, "interval": number(1, 86400)},
    ),
    "rgb_sender": Kind(
        "sensor",
        {
            "pins": pins((3,)),
            "base": text,
            "src": text,
            "max_rate": number(0.1, 100),
            "deadband": whole(0, 255),
            "interval": number(0.005, 10),
        },
        ("pins",),
    ),
}

KINDS.update(
    {
        name: Kind(
            devices.ENTITIES[name],
            options,
            devices.REQUIRED[name],
            sequences=devices.SEQUENCES.get(name, ()),
        )
        for name, options in devices.OPTIONS.items()
    }
)

FILTERS: dict[str, Check] = {
    "throttle": SECONDS,
    "heartbeat": SECONDS,
    "delta": number(0),
    "sliding_average": anything,
    "multiply": number(),
    "offset": number(),
    "round": whole(0, 10),
}

TOP: dict[str, Check] = {
    "prop": anything,
    "wifi": anything,
    "mqtt": anything,
    "components": anything,
    "actions": anything,
    "status_led": anything,
    "watchdog": number(0, 60),
    "safe_mode_after": whole(0, 100),
    "stable_after": number(1, 3600),
    "log_level": choice("debug", "info", "warning", "error"),
    "show": anything,
}
SHOW: dict[str, Check] = {
    "tolerance": number(0, 60),
    "bound": number(0.0001, 1),
    "max_cues": whole(1, 1024),
    "interval": number(1, 3600),
    "hub": anything,
}
SHOW_HUB: dict[str, Check] = {"host": text, "port": whole(1, 65535)}
SHOW_STATES = ["empty", "loaded", "running", "paused", "waiting"]
# The entities of a prop with shows: its clock's health and its show.
SHOW_ENTITIES: list[dict[str, Any]] = [
    {
        "key": "show_state",
        "type": "sensor",
        "name": "Show",
        "device_class": "enum",
        "options": SHOW_STATES,
        "icon": "mdi:movie-open-outline",
    },
    {
        "key": "clock_synced",
        "type": "binary_sensor",
        "name": "Clock synced",
        "category": "diagnostic",
        "icon": "mdi:clock-check-outline",
    },
    {
        "key": "clock_error",
        "type": "sensor",
        "name": "Clock error bound",
        "unit": "ms",
        "precision": 3,
        "state_class": "measurement",
        "category": "diagnostic",
        "icon": "mdi:plus-minus-variant",
    },
    {
        "key": "clock_offset",
        "type": "sensor",
        "name": "Clock offset",
        "unit": "ms",
        "precision": 3,
        "state_class": "measurement",
        "category": "diagnostic",
        "icon": "mdi:clock-fast",
        "enabled": False,
    },
    {
        "key": "clock_rtt",
        "type": "sensor",
        "name": "Clock round trip",
        "unit": "ms",
        "precision": 3,
        "state_class": "measurement",
        "category": "diagnostic",
        "icon": "mdi:timer-sync-outline",
    },
    {
        "key": "clock_drift",
        "type": "sensor",
        "name": "Clock drift",
        "unit": "ppm",
        "precision": 1,
        "state_class": "measurement",
        "category": "diagnostic",
        "icon": "mdi:sine-wave",
    },
    {
        "key": "cue_lateness",
        "type": "sensor",
        "name": "Last cue lateness",
        "unit": "ms",
        "precision": 3,
        "state_class": "measurement",
        "category": "diagnostic",
        "icon": "mdi:timer-alert-outline",
    },
    {
        "key": "cues_skipped",
        "type": "sensor",
        "name": "Cues skipped",
        "state_class": "total_increasing",
        "category": "diagnostic",
        "icon": "mdi:debug-step-over",
    },
]
PROP: dict[str, Check] = {
    "id": text,
    "board": choice(*BOARD_NAMES),
    "name": text,
    "prefix": text,
    "model": text,
    "manufacturer": text,
    "hw_version": text,
    "sw_version": text,
}
MQTT: dict[str, Check] = {
    "host": text,
    "port": whole(1, 65535),
    "user": text,
    "password": text,
    "keepalive": whole(5, 600),
    "dns": text,
    "tls": flag,
    "ca": text,
}
WIFI: dict[str, Check] = {"ssid": text, "password": text}
LED: dict[str, Check] = {"pin": PIN, "invert": flag}
