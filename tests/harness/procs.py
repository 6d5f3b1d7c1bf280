"""Start, watch and stop the child processes the harness runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import contextlib
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import IO, Self

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """Return whether something accepts TCP connections on ``port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
        return True
    return False


def wait_until[T](
    check: Callable[[], T], timeout: float, what: str, interval: float = 0.02
) -> T:
    """Poll ``check()`` until it returns something true, and return that.

    Raises TimeoutError naming ``what`` when ``timeout`` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(interval)
    return result


def python_module(name: str, module: str, args: Sequence[str], log: Path) -> Process:
    """Return a Process running ``python -m module`` from the repository root."""
    root = Path(__file__).resolve().parents[2]
    return Process(name, [sys.executable, "-m", module, *args], log, cwd=root)


class Process:
    """One child process with its output in a log file."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, **popen: object
    ) -> None:
        """Describe the process; nothing runs until start()."""
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.popen = popen
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> Self:
        """Start the process in its own session, appending to its log."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **self.popen,  # type: ignore[call-overload]
        )
        return self

    @property
    def running(self) -> bool:
        """Return whether the process has started and not yet exited."""
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        """Return the process id."""
        assert self.proc is not None
        return self.proc.pid

    def check_alive(self) -> None:
        """Raise with the log's tail when the process has died."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
            )

    def tail(self, lines: int = 40) -> str:
        """Return the last lines of the process's log."""
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """Stop the process group politely, then by force."""
        self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill the process group at once, as a power cut would."""
        self._signal_and_wait(signal.SIGKILL, 5)

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> None:
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@contextlib.contextmanager
def busy_cores(count: int | None = None) -> Iterator[None]:
    """Keep ``count`` processes (default: one per core) spinning while the block runs.

    The stories that must hold on a loaded machine (keep-alives, timers) run
    inside this, so a race that a quiet machine hides shows up.
    """
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(count or os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
