"""Props that move, sound and sense: servo, stepper, DFPlayer, distance and RFID kinds.

Each kind's options, nested parts, pins and the entities it shows are
declared here together; the runtime's defaults are the ones named in
each option's comment and in docs/firmware.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .checks import (
    PIN,
    PULL,
    SECONDS,
    BadValueError,
    Check,
    anything,
    flag,
    number,
    text,
    whole,
)

Fields = Callable[[dict[str, Any]], dict[str, Any]]


def _none(values: dict[str, Any]) -> dict[str, Any]:
    return {}


def _always(values: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Face:
    """One more entity of a component: its key is the component's key and ``suffix``."""

    suffix: str
    type: str
    name: str
    fields: Fields = _none
    when: Callable[[dict[str, Any]], bool] = _always


@dataclass(frozen=True)
class Part:
    """A nested mapping option (a stepper's ``home``), checked like a section."""

    options: dict[str, Check]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Device:
    """What a kind adds to the plain ones: pins, parts, extra entities, runtime defaults."""

    pins: tuple[str, ...] = ()
    parts: dict[str, Part] = field(default_factory=dict)
    main: Fields = _none
    faces: tuple[Face, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    # Options whose pins may be shared with the same option of another
    # component of this kind (an SPI bus).
    shared_pins: tuple[str, ...] = ()


def _servo(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "min": values.get("min_angle", 0),
        "max": values.get("max_angle", 180),
        "step": 1,
        "unit": "°",
        "mode": "slider",
    }


def _stepper(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "min": values.get("min", 0),
        "max": values.get("max", 0),
        "step": 1,
        "unit": values.get("unit", "steps"),
        "mode": "box",
    }


def _tracks(values: dict[str, Any]) -> dict[str, Any]:
    tracks = values.get("tracks")
    return {"options": list(tracks) if isinstance(tracks, dict) else []}


def _volume(values: dict[str, Any]) -> dict[str, Any]:
    return {"min": 0, "max": 30, "step": 1, "mode": "slider", "icon": "mdi:volume-high"}


def _distance(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "unit": "cm",
        "device_class": "distance",
        "state_class": "measurement",
        "precision": values.get("precision", 1),
    }


def _rfid_events(values: dict[str, Any]) -> dict[str, Any]:
    if "allowed" in values:
        return {"event_types": ["allowed", "denied", "removed"]}
    return {"event_types": ["scanned", "removed"]}


def _uid(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "min_len": 0,
        "max_len": 14,
        "pattern": "^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})?$",
        "icon": "mdi:card-account-details",
    }


def uid(v: Any) -> str:
    """Check a tag UID: 4 or 7 bytes in hex; returned in capitals."""
    if (
        not isinstance(v, str)
        or len(v) not in (8, 14)
        or any(c not in "0123456789abcdefABCDEF" for c in v)
    ):
        raise BadValueError(f"{v!r} is not a 4- or 7-byte UID in hex (like 04A23B5A)")
    return v.upper()


def uids(v: Any) -> list[str]:
    """Check a list of tag UIDs."""
    if not isinstance(v, list) or not v:
        raise BadValueError("must be a list of tag UIDs")
    return [uid(item) for item in v]


def tracks(v: Any) -> dict[str, int]:
    """Check a map of track names to their numbers on the card (1..2999)."""
    if not isinstance(v, dict) or not v:
        raise BadValueError("must map track names to numbers, like {hello: 1}")
    track = whole(1, 2999)
    out = {}
    for name, n in v.items():
        try:
            out[text(name)] = track(n)
        except BadValueError as bad:
            raise BadValueError(f"{name}: {bad}") from None
    return out


ANGLE = number(0, 360)

# Options of each new kind (besides those every component has).
OPTIONS: dict[str, dict[str, Check]] = {
    "servo": {
        "pin": PIN,
        "min_angle": ANGLE,  # 0
        "max_angle": ANGLE,  # 180
        "min_us": whole(100, 5000),  # 500
        "max_us": whole(100, 5000),  # 2500
        "freq": whole(40, 400),  # 50
        "speed": number(0, 10000),  # degrees a second; 0 jumps
        "detach": SECONDS,  # 0: hold
        "safe_angle": ANGLE,  # min_angle
        "lipsync": anything,
    },
    "stepper": {
        "step_pin": PIN,
        "dir_pin": PIN,
        "enable_pin": PIN,
        "enable_invert": flag,  # true: low enables (A4988, DRV8825, TMC2209)
        "invert_dir": flag,
        "min": whole(-1000000, 1000000),  # 0
        "max": whole(-1000000, 1000000),
        "max_speed": number(1, 20000),  # 400 steps a second
        "acceleration": number(1, 200000),  # 800 steps a second, per second
        "hold": flag,  # false: the driver is released when still
        "unit": text,  # steps
        "home": anything,
    },
    "dfplayer": {
        "tx": PIN,
        "rx": PIN,
        "uart": whole(1, 2),  # 1
        "busy_pin": PIN,
        "tracks": tracks,
        "initial": text,  # the first track
        "volume": whole(0, 30),  # 20
        "longest": SECONDS,  # 600: a track never plays longer
    },
    "distance": {
        "trigger_pin": PIN,
        "echo_pin": PIN,
        "interval": number(0.06, 86400),  # 0.2
        "max_distance": number(20, 400),  # 300 cm
        "near": number(2, 400),
        "hysteresis": number(0, 100),  # 10 cm
        "filters": anything,
        "telemetry": flag,  # true
        "precision": whole(0, 3),  # 1
        "on_near": anything,
        "on_far": anything,
    },
    "rfid": {
        "sck": PIN,
        "mosi": PIN,
        "miso": PIN,
        "cs": PIN,
        "spi": whole(1, 2),  # 1
        "interval": number(0.05, 60),  # 0.2
        "allowed": uids,
        "on_scan": anything,
        "on_allowed": anything,
        "on_denied": anything,
        "on_removed": anything,
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "servo": ("pin",),
    "stepper": ("step_pin", "dir_pin", "max"),
    "dfplayer": ("tx", "tracks"),
    "distance": ("trigger_pin", "echo_pin"),
    "rfid": ("sck", "mosi", "miso", "cs"),
}

ENTITIES: dict[str, str] = {
    "servo": "number",
    "stepper": "number",
    "dfplayer": "select",
    "distance": "sensor",
    "rfid": "event",
}

SEQUENCES: dict[str, tuple[str, ...]] = {
    "distance": ("on_near", "on_far"),
    "rfid": ("on_scan", "on_allowed", "on_denied", "on_removed"),
}

DEVICES: dict[str, Device] = {
    "servo": Device(
        parts={
            "lipsync": Part(
                {
                    "pin": PIN,
                    "player": text,
                    "open": ANGLE,
                    "quiet": number(0, 1),
                    "loud": number(0, 1),
                },
                ("pin", "player"),
            )
        },
        main=_servo,
    ),
    "stepper": Device(
        pins=("step_pin", "dir_pin", "enable_pin"),
        parts={
            "home": Part(
                {
                    "pin": PIN,
                    "pull": PULL,  # up
                    "invert": flag,  # true: the switch closes to ground
                    "speed": number(1, 20000),  # a quarter of max_speed
                    "max_travel": whole(1, 10000000),  # the range and 100
                },
                ("pin",),
            )
        },
        main=_stepper,
        faces=(Face("home", "button", "home", when=lambda v: "home" in v),),
    ),
    "dfplayer": Device(
        pins=("tx", "rx", "busy_pin"),
        main=_tracks,
        faces=(
            Face("volume", "number", "volume", _volume),
            Face("playing", "switch", "playing", lambda v: {"icon": "mdi:play"}),
        ),
    ),
    "distance": Device(
        pins=("trigger_pin", "echo_pin"),
        main=_distance,
        defaults={"source": "echo", "telemetry": True, "interval": 0.2},
    ),
    "rfid": Device(
        pins=("sck", "mosi", "miso", "cs"),
        shared_pins=("sck", "mosi", "miso"),
        main=_rfid_events,
        faces=(Face("uid", "text", "tag", _uid),),
    ),
}

# Face types steps may use, named "<kind> <suffix>" in the prop's types.
SETTABLE_FACES = ("dfplayer volume", "dfplayer playing", "rfid uid")
SWITCH_FACES = ("dfplayer playing",)
PRESSABLE_FACES = ("stepper home",)
