"""Enttec DMX USB Pro output: framing, and a worker thread that owns the serial port."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
import logging
import os
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

    ``update`` may be called from the event loop at any rate: it stores the
    newest channels. A worker thread does the serial I/O that can wait: it
    sends at most ``fps`` changes a second on average, skips frames equal
    to the last one sent but re-sends it every ``refresh`` seconds,
    confirms the widget is a Pro by asking its serial number, and after an
    unplug reopens the port with backoff and replays the last frame.

    A show's cue is written by the caller itself, one non-blocking write
    to the open port (as Home Assistant's asyncio serial transports
    write): handed to the thread, it would wait for the interpreter's lock
    while the event loop works on, up to the 5 ms switch interval (measured
    0.4 ms typical, 6 ms worst). What the port cannot take at once, and a
    cue while the thread is writing, the thread writes.
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
        self.cues_written = 0  # of them, written by update() itself
        self.write_errors = 0
        self._on_status = on_status
        self._opener = opener
        # _lock guards the state below and is never held across I/O that
        # can wait; _writing is held by whoever writes to the port.
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._wanted = b""
        self._cue = False
        self._fd: int | None = None  # the open, confirmed port's descriptor
        self._sent: bytes | None = None
        self._sent_at = 0.0
        self._rest = b""  # what the port did not take of a cue's frame
        # The rate limit is a bucket of BURST frames filled at fps: changes
        # average at most fps. Other changes leave one frame in it, so a
        # show's cue (or a flash going back) finds one and leaves at once,
        # even while the line is busy. A refresh takes nothing from it.
        self._tokens = BURST
        self._filled_at = time.monotonic()
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
        limit keeps in reserve and is written now, so it leaves at once
        however busy the line.
        """
        with self._lock:
            self._wanted = bytes(channels)
            self._cue = self._cue or cue
            if cue and self._write_cue() and not self._rest:
                return
        self._wake.set()

    def _take(self, need: float, now: float) -> float:
        """Spend a frame of the bucket if it holds ``need``; else return how long until it does (lock held)."""
        self._tokens = min(
            BURST, self._tokens + (now - self._filled_at) / self.interval
        )
        self._filled_at = now
        if self._tokens < need:
            return (need - self._tokens) * self.interval
        self._tokens -= 1
        return 0.0

    def _write_cue(self) -> bool:
        """Write the wanted frame without waiting; return whether it is sent or left to the thread's rest (lock held)."""
        if self._fd is None or self._rest or not self._writing.acquire(blocking=False):
            return False
        try:
            now = time.monotonic()
            if self._wanted == self._sent:
                self._cue = False
                return True
            if self._take(1.0, now):
                return False
            data = dmx_frame(self._wanted)
            try:
                written = os.write(self._fd, data)
            except OSError:
                # A full buffer or a port going away: the thread writes it,
                # and finds out which.
                written = 0
            self._rest = data[written:]
            self._sent, self._sent_at = self._wanted, now
            self._cue = False
            self.frames_sent += 1
            self.cues_written += 1
            return True
        finally:
            self._writing.release()

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

    def _connect(self) -> serial.Serial | None:
        """Open and confirm the widget; None (after the backoff) if it is not there or not a Pro."""
        self._set_status(Status.CONNECTING)
        port: serial.Serial | None = None
        try:
            port = self._opener(self.port)
            if self._confirm_pro(port):
                with self._lock:
                    self._fd = descriptor(port)
                    self._sent = None  # replay the last frame on the new connection
                    self._rest = b""
                self._set_status(Status.CONNECTED)
                return port
            port.close()
            self._set_status(Status.NOT_A_PRO)
        except SERIAL_ERRORS as err:
            if port is not None:
                port.close()
            self._set_status(Status.DISCONNECTED)
            _LOGGER.debug("Cannot open %s: %s", self.port, err)
        return None

    def _run(self) -> None:
        backoff = 0.5
        port: serial.Serial | None = None
        while not self._stop.is_set():
            if port is None:
                port = self._connect()
                if port is None:
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                backoff = 0.5
            with self._writing:
                with self._lock:
                    wanted, rest, now = self._wanted, self._rest, time.monotonic()
                    changed = wanted != self._sent
                    wait = 0.0
                    if rest:
                        data = rest
                    elif changed:
                        # A cue arriving meanwhile wakes it: it needs less.
                        wait = self._take(1.0 if self._cue else BURST, now)
                        data = b"" if wait else dmx_frame(wanted)
                    elif now - self._sent_at >= self.refresh:
                        data = dmx_frame(wanted)
                    else:
                        data = b""
                        wait = self.refresh - (now - self._sent_at)
                if data:
                    try:
                        port.write(data)
                        port.flush()
                    except SERIAL_ERRORS as err:
                        self.write_errors += 1
                        _LOGGER.warning("DMX USB Pro on %s failed: %s", self.port, err)
                        with self._lock:
                            self._fd = None
                        port.close()
                        port = None
                        self._set_status(Status.DISCONNECTED)
                        continue
                    with self._lock:
                        if rest:
                            self._rest = b""
                        else:
                            self._sent, self._sent_at = wanted, now
                            self.frames_sent += 1
                            if self._wanted is wanted:
                                self._cue = False
                    continue
            self._wake.wait(max(0.0, min(wait, self.refresh)))
            self._wake.clear()
        with self._lock:
            self._fd = None
        if port is not None:
            port.close()


def descriptor(port: serial.Serial) -> int | None:
    """Return the port's file descriptor for a write without waiting, or None (not a local serial port)."""
    try:
        fd = port.fileno()
    except (AttributeError, OSError, ValueError, serial.SerialException):
        return None
    return fd if isinstance(fd, int) else None
