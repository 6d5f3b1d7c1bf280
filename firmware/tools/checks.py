"""The checks a prop config's values go through, and where their errors point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_PIN = 48


@dataclass
class Ctx:
    """The file being checked and its problems so far, each with its line."""

    file: str
    problems: list[tuple[str, int, str]] = field(default_factory=list)

    def error(self, where: Any, key: str | int | None, msg: str) -> None:
        """Record ``msg`` at the line of ``key`` in ``where`` (a mapping or list)."""
        line = getattr(where, "line", 1)
        lines = getattr(where, "lines", None)
        if isinstance(key, str) and isinstance(lines, dict):
            line = lines.get(key, line)
        elif isinstance(key, int) and isinstance(lines, list) and key < len(lines):
            line = lines[key]
        self.problems.append((self.file, line, msg))


class BadValueError(Exception):
    """A value that fails its check; the message says what was expected."""


Check = Callable[[Any], Any]


def whole(low: int, high: int) -> Check:
    """Check a whole number from ``low`` to ``high``."""

    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise BadValueError(f"must be a whole number from {low} to {high}")
        return v

    return check


def number(low: float | None = None, high: float | None = None) -> Check:
    """Check a number, optionally bounded."""

    def check(v: Any) -> float | int:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise BadValueError("must be a number")
        if high is None and low is not None and v < low:
            raise BadValueError(f"must be at least {low}")
        if (low is not None and v < low) or (high is not None and v > high):
            raise BadValueError(f"must be from {low} to {high}")
        return v

    return check


def text(v: Any) -> str:
    """Check non-empty text."""
    if not isinstance(v, str) or not v:
        raise BadValueError("must be non-empty text")
    return v


def flag(v: Any) -> bool:
    """Check true or false."""
    if not isinstance(v, bool):
        raise BadValueError("must be true or false")
    return v


def choice(*options: str) -> Check:
    """Check one of ``options``."""

    def check(v: Any) -> str:
        if v not in options:
            raise BadValueError(f"must be one of {', '.join(options)}")
        return str(v)

    return check


def texts(v: Any) -> list[str]:
    """Check a list of non-empty texts."""
    if not isinstance(v, list) or not v or not all(isinstance(i, str) and i for i in v):
        raise BadValueError("must be a list of non-empty texts")
    return list(v)


def pins(count: tuple[int, ...]) -> Check:
    """Check a list of ``count`` pin numbers."""
    pin = whole(0, MAX_PIN)

    def check(v: Any) -> list[int]:
        if not isinstance(v, list) or len(v) not in count:
            raise BadValueError(
                f"must be a list of {' or '.join(map(str, count))} pin numbers"
            )
        return [pin(p) for p in v]

    return check


def anything(v: Any) -> Any:
    """Accept any value; a later step checks it."""
    return v


PIN = whole(0, MAX_PIN)
SECONDS = number(0, 86400)
PULL = choice("up", "down")


def section(
    ctx: Ctx,
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
        except BadValueError as bad:
            ctx.error(obj, name, f"{label}{name}: {bad}")
    for name in required:
        if name not in obj:
            ctx.error(obj, None, f"{label}{name}: is required")
    return out
