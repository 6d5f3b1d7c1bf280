"""Decoding payloads and checking fields, with errors that name the field (protocol.md section 3)."""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any, Final, Literal

import orjson

MAX_PAYLOAD_BYTES: Final = 4 * 1024
MAX_OPTIONS: Final = 64

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

    ``reason`` is a short code for counting drops and ``path`` the field at
    fault (``entities[2].unit``), when there is one; the message says exactly
    what is wrong.
    """

    def __init__(self, reason: Reason, message: str, path: str | None = None) -> None:
        """Keep the reason code and the field next to the message."""
        super().__init__(message)
        self.reason: Reason = reason
        self.path = path


def invalid(path: str, problem: str) -> ProtocolError:
    """Return the error for field ``path`` having ``problem``."""
    return ProtocolError("invalid", f"{path}: {problem}", path)


def decode(payload: str | bytes | bytearray, limit: int = MAX_PAYLOAD_BYTES) -> Any:
    """Return the JSON value in ``payload``, enforcing the size limit.

    Strict RFC 8259 JSON, as the contract says: ``NaN`` and ``Infinity`` are
    not JSON, and integers must fit in 64 bits.
    """
    size = len(payload.encode()) if isinstance(payload, str) else len(payload)
    if size > limit:
        raise ProtocolError(
            "too_large", f"payload of {size} bytes is over the {limit} byte limit"
        )
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        if isinstance(payload, bytes | bytearray):
            try:
                bytes(payload).decode("utf-8")
            except UnicodeDecodeError as bad:
                raise ProtocolError(
                    "not_utf8", f"payload is not UTF-8: {bad}"
                ) from None
        raise ProtocolError("invalid_json", f"payload is not JSON: {err}") from None


def decode_object(
    payload: str | bytes | bytearray, limit: int = MAX_PAYLOAD_BYTES
) -> dict[str, Any]:
    """Return the JSON object in ``payload``."""
    value = decode(payload, limit)
    if not isinstance(value, dict):
        raise ProtocolError(
            "not_an_object", f"payload must be a JSON object, not {kind_of(value)}"
        )
    return value


def kind_of(value: object) -> str:
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


class Fields:
    """Typed access to an object's fields, each error naming its path."""

    def __init__(self, obj: Mapping[str, Any], path: str = "") -> None:
        """Read fields of ``obj``, which sits at ``path`` in the message."""
        self.obj = obj
        self.path = path

    def at(self, name: str) -> str:
        """Return the path of field ``name``."""
        return f"{self.path}.{name}" if self.path else name

    def text(
        self, name: str, *, required: bool = False, max_len: int | None = None
    ) -> str | None:
        """Return a string field."""
        value = self.obj.get(name)
        if value is None:
            if required:
                raise invalid(self.at(name), "is required")
            return None
        if not isinstance(value, str):
            raise invalid(self.at(name), f"must be a string, not {kind_of(value)}")
        if max_len is not None and not 1 <= len(value) <= max_len:
            raise invalid(self.at(name), f"must be 1 to {max_len} characters")
        return value

    def choice(self, name: str, allowed: frozenset[str]) -> str | None:
        """Return a string field that must be one of ``allowed``."""
        value = self.text(name)
        if value is not None and value not in allowed:
            raise invalid(self.at(name), f"must be one of {', '.join(sorted(allowed))}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """Return a boolean field."""
        value = self.obj.get(name, default)
        if not isinstance(value, bool):
            raise invalid(self.at(name), f"must be true or false, not {kind_of(value)}")
        return value

    def number(self, name: str) -> float | None:
        """Return a finite number field."""
        value = self.obj.get(name)
        if value is None:
            return None
        if not is_number(value):
            raise invalid(self.at(name), f"must be a number, not {kind_of(value)}")
        return float(value)

    def integer(self, name: str, low: int = 0, high: int = 1 << 31) -> int | None:
        """Return a whole number field from ``low`` to ``high``."""
        value = self.obj.get(name)
        if value is None:
            return None
        if not is_integer(value) or not low <= value <= high:
            raise invalid(self.at(name), f"must be a whole number {low}..{high}")
        return int(value)

    def strings(
        self,
        name: str,
        *,
        required: bool = False,
        allowed: frozenset[str] | None = None,
    ) -> tuple[str, ...]:
        """Return a list of distinct non-empty strings."""
        value = self.obj.get(name)
        if value is None:
            if required:
                raise invalid(self.at(name), "is required")
            return ()
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value
        ):
            raise invalid(self.at(name), "must be a list of non-empty strings")
        if required and not value:
            raise invalid(self.at(name), "must not be empty")
        if len(value) > MAX_OPTIONS:
            raise invalid(self.at(name), f"must have at most {MAX_OPTIONS} items")
        if len(set(value)) != len(value):
            raise invalid(self.at(name), "must not repeat an item")
        if allowed is not None and (unknown := set(value) - allowed):
            raise invalid(
                self.at(name),
                f"{', '.join(sorted(unknown))} not among {', '.join(sorted(allowed))}",
            )
        return tuple(value)
