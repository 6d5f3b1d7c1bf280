"""The system suite: one locked-down show on real parts, shared by its stories."""

from __future__ import annotations

from collections.abc import Iterator
import json

import pytest

from tests.harness.hass import REPO
from tests.harness.show import Show

RESULTS = REPO / ".run" / "system-results.json"
FIGURES: dict[str, object] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the system stories as end-to-end (real processes)."""
    for item in items:
        if "/system/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def real_sockets(socket_enabled: None) -> None:
    """Let the suite talk to real servers on loopback."""


@pytest.fixture(autouse=True)
def verify_cleanup() -> None:
    """Replace the plugin's per-test thread check: no Home Assistant runs in-process here.

    The show's own threads (the virtual DMX widget, replugged by a story) live
    for the whole session and are stopped with it.
    """


@pytest.fixture(scope="session")
def show(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Show]:
    """Start the show once for the suite; write the figures when it ends."""
    import pytest_socket

    pytest_socket.enable_socket()
    running = Show(tmp_path_factory.mktemp("show"))
    yield running
    running.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(FIGURES, indent=1))


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Collect a story's figures; they are printed and kept with the others."""
    figures: dict[str, object] = {}
    yield figures
    FIGURES[request.node.name] = figures
    print(f"\n{request.node.name}: {json.dumps(figures)}")
