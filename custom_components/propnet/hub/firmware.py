"""Firmware builds Home Assistant can install, found in <config>/propnet/firmware/<prop id>/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_time_interval

from ..const import LOGGER
from ..protocol.names import is_prop_id
from ..protocol.transfer import Release, TransferError, read_release

if TYPE_CHECKING:
    from .hub import PropHub

FOLDER: Final = ("propnet", "firmware")
SCAN_INTERVAL: Final = timedelta(minutes=5)
RESTART_POLL: Final = 0.2


def scan(root: Path) -> tuple[dict[str, Release], dict[str, str]]:
    """Return the usable builds under ``root`` by prop id, and what is wrong with the others."""
    releases: dict[str, Release] = {}
    problems: dict[str, str] = {}
    if not root.is_dir():
        return releases, problems
    for folder in sorted(root.iterdir()):
        if not is_prop_id(folder.name) or not folder.is_dir():
            continue
        if folder.is_symlink():
            # A link could lead anywhere Home Assistant can read.
            problems[folder.name] = "the build folder is a link; copy the build instead"
            continue
        try:
            release = read_release(folder)
        except TransferError as err:
            problems[folder.name] = str(err)
            continue
        if release.prop_id != folder.name:
            problems[folder.name] = f"the build is for {release.prop_id}"
            continue
        releases[folder.name] = release
    return releases, problems


class HubLink:
    """The transfer's Link over the hub: commands and availability of one prop."""

    def __init__(self, hub: PropHub, prop_id: str) -> None:
        """Link to ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id

    async def command(self, action: str, params: dict[str, Any] | None = None) -> str:
        """Send one command through the hub; its translated error becomes the detail."""
        try:
            ack = await self.hub.async_command(self.prop_id, action, params=params)
        except HomeAssistantError as err:
            raise TransferError("refused", str(err)) from None
        return ack.message or ""

    async def wait_restart(self, within: float) -> None:
        """Return once the prop has come online again (a new session)."""
        prop = self.hub.props[self.prop_id]
        start = prop.sessions
        deadline = time.monotonic() + within
        while prop.sessions == start:
            if time.monotonic() > deadline:
                raise TransferError(
                    "no_restart", "the prop did not restart and come back online"
                )
            await asyncio.sleep(RESTART_POLL)


class Firmware:
    """The builds waiting in the firmware folder, and one transfer at a time."""

    def __init__(self, hass: HomeAssistant, changed: Callable[[], None]) -> None:
        """Look in the config's firmware folder; ``changed`` hears of new builds."""
        self.hass = hass
        self.root = Path(hass.config.path(*FOLDER))
        self.releases: dict[str, Release] = {}
        self.lock = asyncio.Lock()
        self._changed = changed
        self._problems: dict[str, str] = {}

    def release(self, prop_id: str) -> Release | None:
        """Return the build waiting for ``prop_id``."""
        return self.releases.get(prop_id)

    async def async_scan(self) -> None:
        """Read the folder again (in the executor) and tell the entities."""
        releases, problems = await self.hass.async_add_executor_job(scan, self.root)
        for prop_id, problem in problems.items():
            if self._problems.get(prop_id) != problem:
                LOGGER.warning(
                    "Firmware build for %s in %s is not usable: %s",
                    prop_id,
                    self.root / prop_id,
                    problem,
                )
        self._problems = problems
        if releases != self.releases:
            self.releases = releases
            self._changed()

    def async_start(self) -> CALLBACK_TYPE:
        """Scan now and every few minutes; return what stops it."""

        async def rescan(_now: object) -> None:
            await self.async_scan()

        self.hass.async_create_task(self.async_scan(), eager_start=False)
        return async_track_time_interval(self.hass, rescan, SCAN_INTERVAL)
