"""A real mosquitto broker on loopback, with its own config and data folder."""

from __future__ import annotations

from collections.abc import Sequence
import getpass
from pathlib import Path
import shutil
import subprocess
import time
from typing import Self

from .procs import LOOPBACK, Process, free_port, port_open, wait_until


def mosquitto_binary() -> str:
    """Return the mosquitto executable, which Debian installs outside PATH."""
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and Path(candidate).exists():
            return candidate
    raise FileNotFoundError("mosquitto is not installed; run scripts/setup")


class Broker:
    """A mosquitto broker that keeps its port and retained messages across restarts."""

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        tls: Path | None = None,
        settings: Sequence[str] = (),
    ) -> None:
        """Describe a broker under ``folder``; users and acl turn on passwords.

        ``tls`` (a folder with ca.pem, server.pem and server.key) adds a TLS
        listener on ``tls_port`` beside the plain one; ``settings`` are more
        lines of mosquitto.conf.
        """
        self.folder = folder
        self.port = port or free_port()
        self.host = LOOPBACK
        self.users = users or {}
        self.acl = acl
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.settings = list(settings)
        self.process = Process(
            "mosquitto",
            [mosquitto_binary(), "-c", str(folder / "mosquitto.conf")],
            folder / "mosquitto.log",
        )

    def _write_config(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "data").mkdir(exist_ok=True)
        lines = [
            f"listener {self.port} {self.host}",
            # Started as root, mosquitto would switch to the "mosquitto" user
            # and could not write its persistence file here.
            f"user {getpass.getuser()}",
            "persistence true",
            f"persistence_location {self.folder / 'data'}/",
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "connection_messages true",
            # Small control messages should not wait for Nagle's algorithm.
            "set_tcp_nodelay true",
            "max_keepalive 300",
            *self.settings,
        ]
        if self.users:
            passwd = self.folder / "passwd"
            passwd.unlink(missing_ok=True)
            for user, password in self.users.items():
                flag = ["-c"] if not passwd.exists() else []
                subprocess.run(
                    ["mosquitto_passwd", *flag, "-b", str(passwd), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl is not None:
            (self.folder / "acl").write_text(self.acl)
            lines.append(f"acl_file {self.folder / 'acl'}")
        if self.tls is not None:
            lines += [
                f"listener {self.tls_port} {self.host}",
                f"cafile {self.tls / 'ca.pem'}",
                f"certfile {self.tls / 'server.pem'}",
                f"keyfile {self.tls / 'server.key'}",
            ]
        (self.folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10) -> Self:
        """Start the broker and wait until it accepts connections."""
        self._write_config()
        self.process.start()

        def ready() -> bool:
            self.process.check_alive()
            return port_open(self.port)

        wait_until(ready, timeout, f"mosquitto on port {self.port}")
        return self

    def stop(self) -> None:
        """Stop the broker cleanly, saving retained messages."""
        self.process.stop()

    def kill(self) -> None:
        """Kill the broker without letting it save anything."""
        self.process.kill()

    def restart(self, downtime: float = 0) -> None:
        """Stop and start the broker on the same port."""
        self.stop()
        time.sleep(downtime)
        self.start()

    @property
    def url(self) -> str:
        """Return the broker's address as mqtt://host:port."""
        return f"mqtt://{self.host}:{self.port}"
