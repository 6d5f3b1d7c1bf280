"""A real mosquitto and a real hass with PropNet, shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
import pytest_socket

from tests.harness.broker import Broker
from tests.harness.hass import REPO, Hass

RUN = REPO / ".run" / "cache"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as end-to-end."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def real_sockets(socket_enabled: None) -> None:
    """Let these tests talk to the broker and hass over loopback."""


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """Run a mosquitto broker on loopback for the whole session."""
    # Session fixtures start before the per-test socket_enabled fixture does.
    pytest_socket.enable_socket()
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def real_hass(
    tmp_path_factory: pytest.TempPathFactory, broker: Broker
) -> Generator[Hass]:
    """Run hass with the MQTT integration connected to ``broker``."""
    config = tmp_path_factory.mktemp("hass")
    instance = Hass(config, RUN).prepare()
    try:
        instance.start()
        instance.ensure_mqtt(broker.host, broker.port)
    except Exception as err:
        instance.stop()
        raise RuntimeError(f"hass did not start:\n{instance.process.tail(80)}") from err
    yield instance
    instance.stop()


@pytest.fixture
def propnet_cleanup(real_hass: Hass) -> Iterator[Hass]:
    """Remove the PropNet entries a test made, so tests stay independent."""
    yield real_hass
    for entry in real_hass.entries("propnet"):
        real_hass.delete(f"/api/config/config_entries/entry/{entry['entry_id']}")
