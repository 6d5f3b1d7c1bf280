"""Fixtures shared by PropNet's Home Assistant tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, MagicMock, Mock, patch

import pytest

# Bind the name custom_components to this repository's folder before Home
# Assistant's test fixtures put the plugin's own testing_config (which has a
# custom_components package too) first on sys.path; a test file that does
# not import the integration at module level would otherwise not find it.
import custom_components.propnet  # noqa: F401

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


@pytest.fixture(autouse=True)
def no_blueprint_install(request: pytest.FixtureRequest) -> Generator[None]:
    """Keep unit tests from writing blueprints into the test plugin's config folder.

    Tests marked ``blueprint_install`` (and the end-to-end tests, whose
    Home Assistant runs in its own process) see the real installation.
    """
    if request.node.get_closest_marker("blueprint_install"):
        yield
        return
    with patch("custom_components.propnet.async_install_blueprints", AsyncMock()):
        yield
