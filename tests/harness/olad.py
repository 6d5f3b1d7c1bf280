"""A real olad (Open Lighting Architecture) on loopback, with a Dummy-device universe."""

from __future__ import annotations

import json
from pathlib import Path
import pwd
import shutil
import subprocess
from typing import Any, Self
import urllib.parse
import urllib.request

from .procs import LOOPBACK, Process, free_port, port_open, wait_until

USER = "propnet-ola"


def ola_installed() -> bool:
    """Return whether olad is installed here."""
    try:
        olad_binary()
    except FileNotFoundError:
        return False
    return True


def olad_binary() -> str:
    """Return the olad executable."""
    found = shutil.which("olad")
    if found is None:
        raise FileNotFoundError("olad is not installed; run scripts/setup")
    return found


def ensure_user() -> str:
    """Return the user olad runs as; olad refuses to run as root."""
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ],
            check=True,
        )
    return USER


class Olad:
    """olad with its own config folder, HTTP and RPC ports on loopback."""

    def __init__(self, folder: Path) -> None:
        """Describe the daemon; start() runs it."""
        self.folder = folder
        self.http_port = free_port()
        self.rpc_port = free_port()
        self.url = f"http://{LOOPBACK}:{self.http_port}"
        user = ensure_user()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, user)
        self.process = Process(
            "olad",
            [
                "runuser",
                "-u",
                user,
                "--",
                olad_binary(),
                "-c",
                str(folder),
                "-i",
                LOOPBACK,
                "-p",
                str(self.http_port),
                "-r",
                str(self.rpc_port),
                "--no-register-with-dns-sd",
            ],
            folder.parent / f"{folder.name}.log",
        )

    def start(self, universe: int = 1) -> Self:
        """Start olad and make ``universe`` on its Dummy device."""
        self.process.start()

        def ready() -> bool:
            self.process.check_alive()
            return port_open(self.http_port)

        wait_until(ready, 20, f"olad on port {self.http_port}", 0.05)
        self._post(
            "/new_universe",
            {"id": str(universe), "name": "PropNet", "add_ports": "1-O-0"},
        )
        return self

    def stop(self) -> None:
        """Stop olad."""
        self.process.stop()

    def _post(self, path: str, fields: dict[str, str]) -> str:
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            self.url + path, data=urllib.parse.urlencode(fields).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return str(response.read().decode())

    def dmx(self, universe: int = 1) -> list[int]:
        """Return the values olad holds for ``universe``."""
        with urllib.request.urlopen(  # noqa: S310 - loopback http only
            f"{self.url}/get_dmx?u={universe}", timeout=5
        ) as response:
            data: dict[str, Any] = json.loads(response.read())
        values: list[int] = data["dmx"]
        return values
