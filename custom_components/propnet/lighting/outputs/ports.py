"""Serial ports for DMX widgets: finding them by their stable by-id names, and their errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
import termios
from typing import Final, Protocol

import serial
from serial.tools import list_ports

FTDI_VENDOR: Final = 0x0403
BY_ID: Final = Path("/dev/serial/by-id")
# What a serial port raises when its device goes away. pyserial wraps most
# failures in SerialException, but not those of tcdrain and tcflush: a widget
# unplugged between a write and its flush raises a bare termios.error.
SERIAL_ERRORS: Final = (serial.SerialException, OSError, termios.error)


class PortListError(ValueError):
    """A list of widgets that cannot be used."""


def parse_widgets(text: str) -> list[tuple[str, int]]:
    """Read further widgets, one ``port = universe`` per line (``#`` starts a comment)."""
    widgets: list[tuple[str, int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        port, equals, universe = (part.strip() for part in line.rpartition("="))
        if not equals or not port:
            raise PortListError(f"line {number}: write the port, =, the universe")
        if not universe.isdigit() or not 1 <= int(universe) <= 63999:
            raise PortListError(f"line {number}: the universe must be 1 to 63999")
        if any(port == other for other, _ in widgets):
            raise PortListError(f"line {number}: {port} is listed twice")
        widgets.append((port, int(universe)))
    return widgets


class PortInfo(Protocol):
    """What pyserial tells of a port."""

    device: str
    vid: int | None
    description: str


def detect_ports(
    comports: Callable[[], Iterable[PortInfo]] = list_ports.comports,
    by_id: Path = BY_ID,
) -> list[str]:
    """Return candidate widget ports, FTDI first, each by its by-id path when it has one.

    A by-id path survives replugging, while ttyUSB numbers change. FTDI's
    vendor id alone does not make a port a DMX USB Pro (plain cables share
    it): the output confirms a Pro by asking its serial number when it opens.
    Blocking (it reads /dev): run it in an executor.
    """
    aliases: dict[str, str] = {}
    if by_id.is_dir():
        for link in sorted(by_id.iterdir()):
            aliases[str(link.resolve())] = str(link)
    ports = sorted(comports(), key=lambda port: (port.vid != FTDI_VENDOR, port.device))
    return [
        aliases.get(str(Path(port.device).resolve()), port.device) for port in ports
    ]
