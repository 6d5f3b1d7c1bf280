"""Build the commands the hub sends props (protocol.md section 5)."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Final

ACTION_SET: Final = "set"
ACTION_PRESS: Final = "press"
ACTION_PING: Final = "ping"
ACTION_IDENTIFY: Final = "identify"
ACTION_REBOOT: Final = "reboot"
ACTION_ANNOUNCE: Final = "announce"
# Sets how much a prop logs until it restarts (params: {"level": ...}).
ACTION_LOG_LEVEL: Final = "log_level"
ACK_TIMEOUT: Final = 5.0
# Firmware updates write files, so code, to the prop; a restart stops a show.
UPDATE_PREFIX: Final = "update_"


def needs_admin(action: str) -> bool:
    """Return whether ``action`` can change a prop's code or restart it."""
    return action == ACTION_REBOOT or action.startswith(UPDATE_PREFIX)


_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(now_ms: int | None = None) -> str:
    """Return a ULID: 48 bits of milliseconds then 80 random bits, in base32."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def is_ulid(value: object) -> bool:
    """Return whether ``value`` is 26 characters of Crockford base32 (a ULID)."""
    return (
        isinstance(value, str)
        and len(value) == 26
        and value[0] in "01234567"
        and all(c in _CROCKFORD for c in value.upper())
    )


def build_command(
    action: str,
    correlation_id: str,
    key: str | None = None,
    value: Any = None,
    params: dict[str, Any] | None = None,
) -> bytes:
    """Return the JSON payload of one command."""
    command: dict[str, Any] = {"action": action}
    if key is not None:
        command["key"] = key
    if action == ACTION_SET:
        command["value"] = value
    if params:
        command["params"] = params
    command["correlation_id"] = correlation_id
    return json.dumps(command, separators=(",", ":")).encode()
