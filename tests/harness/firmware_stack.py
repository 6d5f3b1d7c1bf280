"""A broker, Home Assistant with PropNet, and one virtual prop running the real firmware."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from .broker import Broker
from .hass import REPO, Hass
from .proxy import StallingProxy
from .virtual_prop import VirtualProp

CACHE = REPO / ".run" / "cache"


class FirmwareStack:
    """What the end-to-end stories of a firmware prop run against; the prop starts powered on."""

    def __init__(
        self, folder: Path, config: str = "coffin_jumper", *, proxied: bool = False
    ) -> None:
        """Start the broker and hass, add PropNet, and start the prop built from ``config``.

        ``proxied`` puts a StallingProxy between the prop and the broker, so a
        test can take the prop's link away while Home Assistant's stays.
        """
        self.folder = folder
        self.broker = Broker(folder / "broker").start()
        self.hass = Hass(folder / "hass", CACHE).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        result = self.hass.config_flow(
            "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
        )
        assert result["type"] == "create_entry", result
        self.proxy = StallingProxy(self.broker.port) if proxied else None
        port = self.proxy.port if self.proxy else self.broker.port
        self.prop = VirtualProp(
            config, folder / "flash", self.broker.host, port
        ).start()

    def wait_state(
        self, entity_id: str, want: str, timeout: float = 30
    ) -> dict[str, Any]:
        """Wait until ``entity_id`` is ``want``, showing the prop's console if not."""
        return self.hass.wait_state(entity_id, want, timeout, self.prop.tail())

    def stop(self) -> None:
        """Stop the prop, hass and the broker."""
        self.prop.stop()
        if self.proxy is not None:
            self.proxy.close()
        self.hass.stop()
        self.broker.stop()


@contextmanager
def running(
    tmp_path_factory: pytest.TempPathFactory,
    config: str = "coffin_jumper",
    *,
    proxied: bool = False,
) -> Iterator[FirmwareStack]:
    """Run a FirmwareStack for one test module (sockets on: module fixtures start first)."""
    pytest_socket.enable_socket()
    stack = FirmwareStack(tmp_path_factory.mktemp(config), config, proxied=proxied)
    try:
        yield stack
    finally:
        stack.stop()
