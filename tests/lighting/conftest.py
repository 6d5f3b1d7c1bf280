"""Real parts for the lighting tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_socket

from tests.harness.olad import Olad


@pytest.fixture
def olad(tmp_path: Path, socket_enabled: None) -> Iterator[Olad]:
    """Run a real olad with universe 1."""
    pytest_socket.enable_socket()
    daemon = Olad(tmp_path / "ola").start()
    yield daemon
    daemon.stop()
