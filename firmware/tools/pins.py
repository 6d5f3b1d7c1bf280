"""Pins of one prop config: each claimed once, for one use, and allowed by the board."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .boards import BOARDS, DEFAULT_BOARD, Board, Use, pin_problem, pull_problem
from .checks import Ctx

# What each pin option does with its pin, for the board's rules.
PIN_USE: dict[str, Use] = {
    "switch": "output",
    "light": "output",
    "servo": "output",
    "binary_sensor": "input",
    "push_button": "input",
    "rgb_sender": "adc",
    "step_pin": "output",
    "dir_pin": "output",
    "enable_pin": "output",
    "tx": "output",
    "rx": "input",
    "busy_pin": "input",
    "trigger_pin": "output",
    "echo_pin": "input",
    "sck": "output",
    "mosi": "output",
    "cs": "output",
    "miso": "input",
    "home": "input",
    "lipsync": "adc",
}


@dataclass
class PinClaims:
    """Which pin each part of the config took, on which board."""

    ctx: Ctx
    board: Board = BOARDS[DEFAULT_BOARD]
    owners: dict[int, str] = field(default_factory=dict)

    def claim(
        self, obj: Any, name: str, pin: int, owner: str, *, use: Use = "input"
    ) -> None:
        """Take ``pin`` for ``owner``; a pin taken twice or the board refuses is an error at ``name``."""
        if pin in self.owners:
            self.ctx.error(
                obj, name, f"{name}: pin {pin} is already used by {self.owners[pin]}"
            )
        elif (problem := pin_problem(self.board, pin, use, owner)) is not None:
            self.ctx.error(obj, name, f"{name}: {problem}")
        else:
            self.owners[pin] = owner

    def check_pull(self, obj: Any, values: dict[str, Any], default: Any = None) -> None:
        """Refuse a pull resistor the pin does not have."""
        pin, pull = values.get("pin"), values.get("pull", default)
        if (
            isinstance(pin, int)
            and pull in ("up", "down")
            and (problem := pull_problem(self.board, pin)) is not None
        ):
            self.ctx.error(
                obj, "pull" if "pull" in values else "pin", f"pull: {problem}"
            )

    def owner(self, pin: int) -> str | None:
        """Return who took ``pin``."""
        return self.owners.get(pin)
