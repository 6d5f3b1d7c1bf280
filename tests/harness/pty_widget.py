"""A fake DMX USB Pro on a real pseudo-terminal: answers like a widget, records frames."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import select
import threading
import time

from custom_components.propnet.lighting.outputs.enttec import (
    LABEL_GET_SERIAL,
    LABEL_SEND_DMX,
    FrameDecoder,
    frame,
)


class PtyWidget:
    """The widget end of a pseudo-terminal, behind a stable symlink.

    The symlink stands for a ``/dev/serial/by-id`` path: ``replug`` closes
    the terminal (the output sees an unplug) and makes a new one behind the
    same path.
    """

    def __init__(self, link: Path, serial_number: int | None = 0x12345678) -> None:
        """Open the first terminal; ``serial_number`` None acts as a plain FTDI cable."""
        self.link = link
        self.serial_number = serial_number
        self.frames: list[tuple[float, bytes]] = []
        self.serial_requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._open()

    def _open(self) -> None:
        self._master, self._slave = os.openpty()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self._slave))
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(self._master,), daemon=True
        )
        self._thread.start()

    def _serve(self, master: int) -> None:
        decoder = FrameDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            now = time.monotonic()
            for label, payload in decoder.feed(data):
                if label == LABEL_SEND_DMX:
                    with self._lock:
                        self.frames.append((now, payload))
                elif label == LABEL_GET_SERIAL:
                    self.serial_requests += 1
                    if self.serial_number is not None:
                        os.write(
                            master,
                            frame(
                                LABEL_GET_SERIAL,
                                self.serial_number.to_bytes(4, "little"),
                            ),
                        )

    def received(self) -> list[tuple[float, bytes]]:
        """Return the DMX frames received so far, with their arrival time."""
        with self._lock:
            return list(self.frames)

    def unplug(self) -> None:
        """Close the terminal, as pulling the USB cable does."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    def plug(self) -> None:
        """Attach a new terminal behind the same path."""
        self._open()

    def close(self) -> None:
        """Close everything."""
        self.unplug()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
