"""The small messages props send: events, acks, logs, availability (protocol.md section 6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .announce import Announce
from .decode import Fields, decode_object, invalid, kind_of

LOG_LEVELS: Final = frozenset({"debug", "info", "warning", "error"})
ACK_ERRORS: Final = frozenset(
    {"unknown_key", "bad_value", "unsupported_action", "busy", "internal"}
)
AVAILABILITY_PAYLOADS: Final = frozenset({"online", "offline"})


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


def parse_event(payload: str | bytes | bytearray, announce: Announce | None) -> Event:
    """Return the event in ``payload``, checked against the prop's announce."""
    obj = decode_object(payload)
    f = Fields(obj)
    key = f.text("key", required=True)
    kind = f.text("type", required=True)
    assert key is not None
    assert kind is not None
    data = obj.get("data", {})
    if not isinstance(data, dict):
        raise invalid("data", f"must be an object, not {kind_of(data)}")
    spec = announce.entity(key) if announce is not None else None
    if spec is None or spec.type != "event":
        raise invalid("key", f"{key!r} is not an announced event entity")
    if kind not in spec.event_types:
        raise invalid("type", f"{kind!r} is not among {', '.join(spec.event_types)}")
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
    f = Fields(obj)
    correlation_id = obj.get("correlation_id")
    if not is_correlation_id(correlation_id):
        raise invalid("correlation_id", "must be 1 to 64 printable ASCII characters")
    assert isinstance(correlation_id, str)
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        raise invalid("ok", "must be true or false")
    if ok:
        # A successful ack may say something too (update_status: how the update ended).
        return Ack(correlation_id, ok=True, message=f.text("message"))
    error = f.choice("error", ACK_ERRORS)
    if error is None:
        raise invalid("error", "is required when ok is false")
    return Ack(correlation_id, ok=False, error=error, message=f.text("message"))


def parse_log(payload: str | bytes | bytearray) -> LogLine:
    """Return the log line in ``payload``."""
    obj = decode_object(payload)
    f = Fields(obj)
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
    raise invalid("availability", f"{raw[:32]!r} is neither online nor offline")
