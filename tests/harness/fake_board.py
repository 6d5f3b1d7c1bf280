"""A fake board for mpremote: the MicroPython unix port's REPL on a pseudo-terminal."""

from __future__ import annotations

import os
from pathlib import Path
import pty
import subprocess
import tty
from typing import Self

from .virtual_prop import micropython


class FakeBoard:
    """MicroPython's REPL on the master side of a pty; ``port`` is the side mpremote opens.

    The board's filesystem is ``folder``: mpremote's ``:lib/x.mpy`` lands in
    ``folder/lib/x.mpy``, as it would under / on an ESP32.
    """

    def __init__(self, folder: Path) -> None:
        """Prepare the folder; nothing runs until start()."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self._fds: tuple[int, int] | None = None
        self.port = ""

    def start(self) -> Self:
        """Start the REPL."""
        master, slave = pty.openpty()
        tty.setraw(slave)
        self._fds = (master, slave)
        self.port = os.ttyname(slave)
        self.proc = subprocess.Popen(
            [micropython(), "-i"],
            stdin=master,
            stdout=master,
            stderr=master,
            cwd=self.folder,
            env={"MICROPYPATH": ".frozen:lib"},
        )
        return self

    def stop(self) -> None:
        """Stop the REPL and close the pty."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None

    def __enter__(self) -> Self:
        """Start on entering."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving."""
        self.stop()
