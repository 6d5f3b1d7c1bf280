"""The RGB channel shared by senders and receivers (protocol.md section 7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .commands import is_ulid
from .decode import ProtocolError, decode_object

DEFAULT_BASE: Final = "v1/demo/rgb"
HUB_DEVICE_ID: Final = "hub"
MAX_SRC: Final = 32


@dataclass(frozen=True, slots=True)
class RgbCommand:
    """One request to change the shared colour."""

    cmd_id: str
    src: str
    r: int
    g: int
    b: int


@dataclass(frozen=True, slots=True)
class RgbState:
    """The one colour every receiver shows, with its place in the sequence."""

    r: int = 0
    g: int = 0
    b: int = 0
    seq: int = 0
    ts: int = 0
    # A state no command made (a fresh hub's black) says so: src "hub",
    # cmdId null.
    src: str = HUB_DEVICE_ID
    cmd_id: str | None = None

    def as_payload(self) -> dict[str, Any]:
        """Return the state as the retained ``<base>/state`` payload."""
        return {
            "r": self.r,
            "g": self.g,
            "b": self.b,
            "seq": self.seq,
            "ts": self.ts,
            "src": self.src,
            "cmdId": self.cmd_id,
        }


def _channel(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError("invalid", f"{name}: must be a whole number")
    return min(255, max(0, value))


def parse_rgb_command(payload: str | bytes | bytearray) -> RgbCommand:
    """Return the command in a ``<base>/cmd`` payload, channels clamped to 0..255."""
    obj = decode_object(payload)
    cmd_id = obj.get("cmdId")
    if not is_ulid(cmd_id):
        raise ProtocolError("invalid", "cmdId: must be a ULID (26 Crockford base32)")
    assert isinstance(cmd_id, str)
    src = obj.get("src")
    if not isinstance(src, str) or not 1 <= len(src) <= MAX_SRC:
        raise ProtocolError("invalid", f"src: must be 1 to {MAX_SRC} characters")
    return RgbCommand(
        cmd_id=cmd_id.upper(),
        src=src,
        r=_channel(obj, "r"),
        g=_channel(obj, "g"),
        b=_channel(obj, "b"),
    )


def cmd_topic(base: str) -> str:
    """Return the topic senders publish commands on."""
    return f"{base}/cmd"


def state_topic(base: str) -> str:
    """Return the retained topic the hub publishes the state on."""
    return f"{base}/state"


def hub_device_id(base: str) -> str:
    """Return the id under which the show lighting on ``base`` says online or offline.

    The default base keeps the demo server's ``hub``. Any other base gets an
    id of its own (``hub.`` and the base with dots for slashes: a dot cannot
    occur in a base), so unloading one lighting entry marks only its own
    channel offline.
    """
    if base == DEFAULT_BASE:
        return HUB_DEVICE_ID
    return HUB_DEVICE_ID + "." + base.replace("/", ".")


def device_state_topic(device_id: str) -> str:
    """Return the online/offline topic of one party of the RGB channel."""
    return f"v1/devices/{device_id}/state"
