"""The boards a prop can run on, and which of their pins may do what.

Facts from Espressif's datasheets: which GPIOs exist, which are wired to the
module's flash (and octal PSRAM), which are input-only without pull
resistors, which ADC keeps working while Wi-Fi is on (ADC1; Wi-Fi takes
ADC2), which carry the native USB that mpremote deploys through, and which
are strapping pins (read at reset; documented, not refused, since the tool
cannot see what is wired to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

type Use = Literal["output", "input", "adc"]


@dataclass(frozen=True)
class Board:
    """One chip family's pins."""

    name: str
    pins: frozenset[int]
    flash: frozenset[int]
    input_only: frozenset[int]
    adc: frozenset[int]
    usb: frozenset[int]
    strapping: frozenset[int]
    # Pins of octal PSRAM on most modules of this family (N8R8, N16R8).
    psram: frozenset[int] = frozenset()


def _span(low: int, high: int) -> frozenset[int]:
    return frozenset(range(low, high + 1))


BOARDS: Final = {
    "esp32": Board(
        "esp32",
        pins=_span(0, 39) - {20, 24, 28, 29, 30, 31},
        flash=_span(6, 11),
        input_only=_span(34, 39),
        adc=_span(32, 39),
        usb=frozenset(),
        strapping=frozenset({0, 2, 5, 12, 15}),
    ),
    "esp32s3": Board(
        "esp32s3",
        pins=_span(0, 48) - _span(22, 25),
        flash=_span(26, 32),
        input_only=frozenset(),
        adc=_span(1, 10),
        usb=frozenset({19, 20}),
        strapping=frozenset({0, 3, 45, 46}),
        psram=_span(33, 37),
    ),
    "esp32c3": Board(
        "esp32c3",
        pins=_span(0, 21),
        flash=_span(12, 17),
        input_only=frozenset(),
        adc=_span(0, 4),
        usb=frozenset({18, 19}),
        strapping=frozenset({2, 8, 9}),
    ),
}
DEFAULT_BOARD: Final = "esp32"
NAMES: Final = tuple(BOARDS)


def pin_problem(board: Board, pin: int, use: Use, role: str) -> str | None:
    """Return why ``pin`` cannot serve as ``role`` (a use) on ``board``, or None."""
    where = f"GPIO {pin} of the {board.name}"
    if pin not in board.pins:
        return f"the {board.name} has no GPIO {pin}"
    if pin in board.flash:
        return f"{where} is wired to the module's flash; the prop would not boot"
    if pin in board.psram:
        return (
            f"{where} belongs to the octal PSRAM on most {board.name} modules; "
            "pick another pin"
        )
    if pin in board.usb:
        return f"{where} is the USB port the firmware is deployed through"
    if use == "output" and pin in board.input_only:
        return f"{where} is input-only; it cannot drive {role}"
    if use == "adc" and pin not in board.adc:
        low, high = min(board.adc), max(board.adc)
        return (
            f"{where} has no ADC that works while Wi-Fi is on; use GPIO {low} to {high}"
        )
    return None


def pull_problem(board: Board, pin: int) -> str | None:
    """Return why ``pin`` cannot have an internal pull resistor on ``board``, or None."""
    if pin in board.input_only:
        return (
            f"GPIO {pin} of the {board.name} has no internal pull resistor; "
            "fit one on the board (10 kOhm) and set pull: none"
        )
    return None
