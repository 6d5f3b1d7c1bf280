"""Fixtures for firmware tests: a real broker, and sockets allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import pytest_socket

from tests.harness.broker import Broker

# MicroPython scripts: test_on_micropython.py runs them on the unix port.
collect_ignore_glob = ["mp/*"]


@pytest.fixture(autouse=True)
def real_sockets(socket_enabled: None) -> None:
    """Firmware tests talk to a real broker over loopback."""


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """Run mosquitto for one test module."""
    pytest_socket.enable_socket()
    running = Broker(tmp_path_factory.mktemp("broker")).start()
    yield running
    running.stop()
