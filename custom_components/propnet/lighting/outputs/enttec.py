"""Enttec DMX USB Pro output: framing, and a worker thread that owns the serial port."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
import logging
import threading
import time
from typing import Final

import serial

from .ports import SERIAL_ERRORS

_LOGGER = logging.getLogger(__name__)

START: Final = 0x7E
END: Final = 0xE7
LABEL_GET_PARAMS: Final = 3
LABEL_SEND_DMX: Final = 6
# Reopening a missing port costs nothing; a short ceiling means a widget that
# is plugged back in shows the show again within about a second.
MAX_BACKOFF: Final = 1.0
# The rate limit's bucket, in frames: other changes keep one of them for a
# show's cue.
BURST: Final = 2.0
LABEL_GET_SERIAL: Final = 10
MIN_CHANNELS: Final = 24
MAX_CHANNELS: Final = 512


def frame(label: int, data: bytes) -> bytes:
    """Return one widget message: start, label, length (LSB first), data, end."""
    if len(data) > 600:
        raise ValueError("a widget message carries at most 600 bytes")
    return (
        bytes((START, label, len(data) & 0xFF, len(data) >> 8)) + data + bytes((END,))
    )


def dmx_frame(channels: bytes) -> bytes:
    """Return the Send DMX message for ``channels``, padded to the 24 the widget needs."""
    if len(channels) > MAX_CHANNELS:
        raise ValueError("a DMX universe has at most 512 channels")
    padded = channels.ljust(MIN_CHANNELS, b"\x00")
    return frame(LABEL_SEND_DMX, b"\x00" + padded)


class FrameDecoder:
    """Splits a byte stream into widget messages, skipping noise between them."""

    def __init__(self) -> None:
        """Start with an empty buffer."""
        self._buffer = bytearray()
        self.skipped = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add ``data`` and return every complete (label, payload) message."""
        self._buffer += data
        messages: list[tuple[int, bytes]] = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self.skipped += len(self._buffer)
                self._buffer.clear()
                return messages
            if start:
                self.skipped += start
                del self._buffer[:start]
            if len(self._buffer) < 4:
                return messages
            length = self._buffer[2] | self._buffer[3] << 8
            if length > 600:
                self.skipped += 1
                del self._buffer[:1]
                continue
            if len(self._buffer) < length + 5:
                return messages
            if self._buffer[4 + length] != END:
                self.skipped += 1
                del self._buffer[:1]
                continue
            messages.append((self._buffer[1], bytes(self._buffer[4 : 4 + length])))
            del self._buffer[: length + 5]


class Status(StrEnum):
    """What the output is doing, for the status entity."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    NOT_A_PRO = "not_a_pro"
    DISCONNECTED = "disconnected"


type Opener = Callable[[str], serial.Serial]


def open_port(port: str) -> serial.Serial:
    """Open a widget's serial port; the baud rate does not matter to the DMX line."""
    return serial.serial_for_url(port, baudrate=57600, timeout=0.05, write_timeout=1)


class EnttecOutput:
    """Keeps a DMX USB Pro showing the newest universe.

    ``update`` may be called from the event loop at any rate: it only stores
    the newest channels. A worker thread does all serial I/O: it sends at
    most ``fps`` changes a second on average (a show's cue is never held for a frame), skips frames equal to the last one sent
    but re-sends it every ``refresh`` seconds, confirms the widget is a Pro
    by asking its serial number, and after an unplug reopens the port with
    backoff and replays the last frame.
    """

    def __init__(
        self,
        port: str,
        fps: float = 40.0,
        refresh: float = 1.0,
        on_status: Callable[[Status], None] | None = None,
        opener: Opener = open_port,
    ) -> None:
        """Describe the output; start() runs it."""
        self.port = port
        self.interval = 1.0 / fps
        self.refresh = refresh
        self.status = Status.STOPPED
        self.serial_number: int | None = None
        self.frames_sent = 0
        self.write_errors = 0
        self._on_status = on_status
        self._opener = opener
        self._lock = threading.Lock()
        self._wanted = b""
        self._cue = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _set_status(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            if self._on_status is not None:
                self._on_status(status)

    def update(self, channels: bytes, cue: bool = False) -> None:
        """Make ``channels`` the universe to show; the newest always wins.

        ``cue`` marks a show's timed change: it may take the frame the rate
        limit keeps in reserve, so it leaves at once however busy the line.
        """
        with self._lock:
            self._wanted = bytes(channels)
            self._cue = self._cue or cue
        self._wake.set()

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"propnet-enttec {self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker thread and close the port (blocks briefly: run it in an executor)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._set_status(Status.STOPPED)

    def _confirm_pro(self, port: serial.Serial) -> bool:
        """Ask for the serial number; only a Pro answers with label 10."""
        port.reset_input_buffer()
        port.write(frame(LABEL_GET_SERIAL, b""))
        decoder = FrameDecoder()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and not self._stop.is_set():
            for label, data in decoder.feed(port.read(64)):
                if label == LABEL_GET_SERIAL and len(data) == 4:
                    self.serial_number = int.from_bytes(data, "little")
                    return True
        return False

    def _run(self) -> None:
        backoff = 0.5
        port: serial.Serial | None = None
        sent: bytes | None = None
        sent_at = 0.0
        # The rate limit is a bucket of BURST frames filled at fps: changes
        # average at most fps. Other changes leave one frame in it, so a
        # show's cue (or a flash going back) finds one and leaves at once,
        # even while the line is busy. A refresh of the same look takes
        # nothing from it.
        tokens, filled_at = BURST, time.monotonic()
        while not self._stop.is_set():
            if port is None:
                self._set_status(Status.CONNECTING)
                try:
                    port = self._opener(self.port)
                    if not self._confirm_pro(port):
                        port.close()
                        port = None
                        self._set_status(Status.NOT_A_PRO)
                        self._stop.wait(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF)
                        continue
                except SERIAL_ERRORS as err:
                    if port is not None:
                        port.close()
                    port = None
                    self._set_status(Status.DISCONNECTED)
                    _LOGGER.debug("Cannot open %s: %s", self.port, err)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                backoff = 0.5
                sent = None  # replay the last frame on the new connection
                self._set_status(Status.CONNECTED)
            with self._lock:
                wanted, cue = self._wanted, self._cue
            now = time.monotonic()
            changed = wanted != sent
            if changed:
                tokens = min(BURST, tokens + (now - filled_at) / self.interval)
                filled_at = now
                need = 1.0 if cue else BURST
                if tokens < need:
                    # A cue arriving meanwhile wakes it: it needs less.
                    self._wake.wait((need - tokens) * self.interval)
                    self._wake.clear()
                    continue
            if changed or now - sent_at >= self.refresh:
                try:
                    port.write(dmx_frame(wanted))
                    port.flush()
                except SERIAL_ERRORS as err:
                    self.write_errors += 1
                    _LOGGER.warning("DMX USB Pro on %s failed: %s", self.port, err)
                    port.close()
                    port = None
                    self._set_status(Status.DISCONNECTED)
                    continue
                sent, sent_at = wanted, now
                self.frames_sent += 1
                if changed:
                    tokens -= 1
                    with self._lock:
                        if self._wanted is wanted:
                            self._cue = False
                continue
            self._wake.wait(max(0.0, min(self.refresh - (now - sent_at), self.refresh)))
            self._wake.clear()
        if port is not None:
            port.close()
