"""DMX console input through a SparkFun DMX shield that prints what it reads."""

from __future__ import annotations

from collections.abc import Callable
import logging
import re
import threading
from typing import Final

import serial

from ...protocol.commands import new_ulid
from ...protocol.rgb import RgbCommand
from ..outputs.ports import SERIAL_ERRORS

_LOGGER = logging.getLogger(__name__)

# The shield's example firmware prints one line per channel read.
LINE: Final = re.compile(r"DMX: read value from channel (\d{1,3}): (\d{1,3})")
DEFAULT_SRC: Final = "dmx-input"


def parse_line(line: str) -> tuple[int, int] | None:
    """Return (channel, value) from one line, or None when it is not a reading."""
    match = LINE.fullmatch(line.strip())
    if match is None:
        return None
    channel, value = int(match[1]), int(match[2])
    if not 1 <= channel <= 512 or value > 255:
        return None
    return channel, value


class ConsoleMapper:
    """Turns channel readings into RGB commands, forwarding only changes.

    Channels ``first``, ``first + 1`` and ``first + 2`` are red, green and
    blue; readings of other channels are ignored (and not counted as bad).
    """

    def __init__(
        self,
        submit: Callable[[RgbCommand], None],
        first: int = 1,
        src: str = DEFAULT_SRC,
    ) -> None:
        """Forward commands to ``submit``."""
        self._submit = submit
        self.first = first
        self.src = src
        self.values = [0, 0, 0]
        self._forwarded: tuple[int, int, int] | None = None
        self.lines = 0
        self.malformed = 0
        self.forwarded = 0

    def feed(self, line: str) -> None:
        """Take one line from the shield."""
        self.lines += 1
        reading = parse_line(line)
        if reading is None:
            self.malformed += 1
            if self.malformed == 1:
                _LOGGER.warning("Skipping a line the DMX shield sent: %r", line[:80])
            return
        channel, value = reading
        index = channel - self.first
        if not 0 <= index < 3:
            return
        self.values[index] = value
        self._forward()

    def feed_frame(self, frame: tuple[int, ...]) -> None:
        """Take a whole universe (from the network): its three channels at once."""
        self.lines += 1
        found = frame[self.first - 1 : self.first + 2]
        self.values = [*found, *(0,) * (3 - len(found))]
        self._forward()

    def _forward(self) -> None:
        rgb = (self.values[0], self.values[1], self.values[2])
        if rgb == self._forwarded:
            return
        self._forwarded = rgb
        self.forwarded += 1
        self._submit(RgbCommand(new_ulid(), self.src, *rgb))


class SerialLineReader:
    """Reads lines from a serial port in a thread, reopening it when it goes away."""

    def __init__(
        self,
        port: str,
        on_line: Callable[[str], None],
        baudrate: int = 115200,
        on_connected: Callable[[bool], None] | None = None,
    ) -> None:
        """Describe the reader; start() runs it."""
        self.port = port
        self.baudrate = baudrate
        self.connected = False
        self._on_line = on_line
        self._on_connected = on_connected
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            if self._on_connected is not None:
                self._on_connected(connected)

    def start(self) -> None:
        """Start reading."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"propnet-dmx-input {self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop reading (blocks briefly: run it in an executor)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with serial.serial_for_url(
                    self.port, baudrate=self.baudrate, timeout=0.1
                ) as port:
                    self._set_connected(True)
                    backoff = 0.5
                    buffer = b""
                    while not self._stop.is_set():
                        buffer += port.read(256)
                        *lines, buffer = buffer.split(b"\n")
                        for raw in lines:
                            self._on_line(raw.decode("ascii", "replace").rstrip("\r"))
                        if len(buffer) > 1024:  # no newline in sight: noise
                            self._on_line(buffer.decode("ascii", "replace"))
                            buffer = b""
            except SERIAL_ERRORS as err:
                _LOGGER.debug("DMX input %s: %s", self.port, err)
            self._set_connected(False)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)
