"""Fixtures shared by PropNet's Home Assistant tests."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock, Mock

import pytest

pytest_plugins = ["pytest_homeassistant_custom_component"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def mqtt_client_mock(mqtt_client_mock: MagicMock) -> MagicMock:
    """Close the mocked MQTT socket on disconnect, as the real client does.

    Without this the MQTT integration's periodic timer outlives the test and
    the plugin reports it as lingering.
    """

    def _disconnect(*_args: Any, **_kwargs: Any) -> int:
        mqtt_client_mock.on_socket_close(
            mqtt_client_mock, None, Mock(fileno=Mock(return_value=-1))
        )
        return 0

    mqtt_client_mock.disconnect.side_effect = _disconnect
    return mqtt_client_mock
