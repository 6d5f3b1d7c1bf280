"""Entity values in status and telemetry, checked against the announce (protocol.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .announce import Announce, EntitySpec
from .decode import decode_object, is_integer, is_number, kind_of

type ValueReason = Literal["unknown_key", "bad_value"]


@dataclass(frozen=True, slots=True)
class ValueProblem:
    """One value of a status or telemetry message that was left out, and why."""

    key: str
    reason: ValueReason
    detail: str


def _rgb_list(value: object, size: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == size
        and all(is_integer(c) and 0 <= c <= 255 for c in value)
    )


# Light fields other than "on": how to check each, and what it must be.
_LIGHT_FIELDS: dict[str, tuple[Any, str]] = {
    "brightness": (lambda v: is_integer(v) and 0 <= v <= 255, "a whole number 0..255"),
    "rgb": (lambda v: _rgb_list(v, 3), "three whole numbers 0..255"),
    "rgbw": (lambda v: _rgb_list(v, 4), "four whole numbers 0..255"),
    "color_temp_kelvin": (
        lambda v: is_integer(v) and 1000 <= v <= 20000,
        "a whole number of kelvin",
    ),
    "effect": (lambda v: isinstance(v, str), "a string"),
    "transition": (lambda v: is_number(v) and 0 <= v <= 3600, "seconds 0..3600"),
}


def light_problem(value: object, partial: bool = False) -> str | None:
    """Return what is wrong with a Light object, or None when it is valid.

    ``partial`` allows leaving out ``on``, as a command may.
    """
    if not isinstance(value, dict):
        return f"must be a light object, not {kind_of(value)}"
    if ("on" in value or not partial) and not isinstance(value.get("on"), bool):
        return "on must be true or false"
    for name, item in value.items():
        if name == "on":
            continue
        check = _LIGHT_FIELDS.get(name)
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
        return f"must be a number, a string or null, not {kind_of(value)}"
    if kind == "number":
        return None if is_number(value) else f"must be a number, not {kind_of(value)}"
    if kind == "select":
        assert spec.options is not None
        return None if value in spec.options else "must be one of its options"
    if kind == "text":
        return (
            None
            if isinstance(value, str)
            else f"must be a string, not {kind_of(value)}"
        )
    if kind == "light":
        return light_problem(value)
    return f"a {kind} entity has no state"


def parse_values(
    payload: str | bytes | bytearray, announce: Announce | None, sensors_only: bool
) -> tuple[dict[str, Any], list[ValueProblem]]:
    """Split a status or telemetry payload into valid values and problems.

    Returns the values that fit an announced entity, and a ``ValueProblem``
    for each one that does not. Telemetry (``sensors_only``) may only carry
    sensor readings.
    """
    obj = decode_object(payload)
    values: dict[str, Any] = {}
    problems: list[ValueProblem] = []
    for key, value in obj.items():
        spec = announce.entity(key) if announce is not None else None
        if spec is None:
            problems.append(
                ValueProblem(key, "unknown_key", "is not an announced entity")
            )
        elif sensors_only and spec.type != "sensor":
            problems.append(
                ValueProblem(key, "bad_value", "telemetry carries only sensor readings")
            )
        elif (problem := value_problem(spec, value)) is not None:
            problems.append(ValueProblem(key, "bad_value", problem))
        else:
            values[key] = value
    return values, problems
