"""Fixtures shared by PropNet's Home Assistant tests."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, Mock, PropertyMock, patch

from homeassistant.const import __version__ as ha_version
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

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


class _SnapshotsPerRelease(HomeAssistantSnapshotExtension):
    """Snapshots kept per Home Assistant release series.

    Registry entries and states gain fields from release to release; the
    suite runs on two releases, so each keeps its own files.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return ``snapshots/<year.month>`` beside the test file."""
        series = ".".join(ha_version.split(".")[:2])
        return str(Path(test_location.filepath).parent / "snapshots" / series)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Compare with this Home Assistant release's snapshot files."""
    return snapshot.use_extension(_SnapshotsPerRelease)


@pytest.fixture
def all_entities_enabled() -> Generator[None]:
    """Create every entity enabled, including those that start disabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
