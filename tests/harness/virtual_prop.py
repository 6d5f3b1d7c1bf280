"""A prop running PropNet's real firmware under the MicroPython unix port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from propnet_tool.build import FIRMWARE, STUBS
from propnet_tool.simulate import RESET_EXIT, WDT_MARK, command, micropython, prepare

from .procs import Process

PROPS = FIRMWARE / "props"
MP_TESTS = Path(__file__).resolve().parents[1] / "firmware" / "mp"


class VirtualProp:
    """Builds a prop config for a broker and runs it; ``folder`` is its flash."""

    def __init__(
        self,
        config: str | Path,
        folder: Path,
        host: str,
        port: int,
        *,
        prefix: str | None = None,
        extra: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        wrap: Sequence[str] = (),
    ) -> None:
        """Build the prop (``config`` is a path or a name in firmware/props).

        ``wrap`` goes before the MicroPython command (faketime, chrt).
        """
        path = Path(config)
        if not path.suffix:
            path = PROPS / f"{config}.yaml"
        self.folder = folder
        prepare(path, folder, host, port, prefix=prefix, extra=extra)
        argv, run_env = command(folder)
        argv = [*wrap, *argv]
        run_env.update(env or {})
        # As `propnet-firmware simulate` does: a reboot (exit code RESET_EXIT)
        # starts the prop again, like a board coming back after machine.reset().
        loop = (
            f'while :; do "$@"; code=$?; [ "$code" -eq {RESET_EXIT} ] || '
            f'[ -e {WDT_MARK} ] || exit "$code"; done'
        )
        self.process = Process(
            path.stem,
            ["sh", "-c", loop, "prop", *argv],
            folder / "prop.log",
            cwd=folder,
            env=run_env,
        )

    def start(self) -> Self:
        """Power the prop on."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop it (SIGTERM: the broker publishes its last will)."""
        self.process.stop()

    def kill(self) -> None:
        """Cut its power."""
        self.process.kill()

    def tail(self) -> str:
        """Return the end of its console output."""
        return self.process.tail()

    @property
    def exit_code(self) -> int | None:
        """Return the exit code once it stopped."""
        proc = self.process.proc
        return None if proc is None else proc.poll()


def mp_script(script: str, args: list[str], log: Path, cwd: Path) -> Process:
    """Return a MicroPython test script from tests/firmware/mp as a process."""
    env = {
        "MICROPYPATH": f"{STUBS}:{FIRMWARE}:{MP_TESTS}:.frozen",
        "PATH": "/usr/bin:/bin",
    }
    return Process(
        script, [micropython(), str(MP_TESTS / script), *args], log, cwd=cwd, env=env
    )


__all__ = ["RESET_EXIT", "VirtualProp", "micropython", "mp_script"]
