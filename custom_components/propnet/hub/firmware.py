"""Firmware builds Home Assistant can install, found in <config>/propnet/firmware/<prop id>/.

One folder serves every props hub: it is read by one scanner, and one
transfer runs at a time across all of them (the broker is shared).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..protocol.names import is_prop_id
from ..protocol.transfer import Release, TransferError, read_release

FOLDER: Final = ("propnet", "firmware")
SCAN_INTERVAL: Final = timedelta(minutes=5)
DATA_FIRMWARE: HassKey[FirmwareFolder] = HassKey(f"{DOMAIN}_firmware")


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


class FirmwareFolder:
    """The builds waiting in the firmware folder, and the one transfer at a time."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Look in the config's firmware folder once someone listens."""
        self.hass = hass
        self.root = Path(hass.config.path(*FOLDER))
        self.releases: dict[str, Release] = {}
        self.lock = asyncio.Lock()
        self._problems: dict[str, str] = {}
        self._listeners: list[Callable[[], None]] = []
        self._stop_timer: CALLBACK_TYPE | None = None

    def release(self, prefix: str, prop_id: str) -> Release | None:
        """Return the build waiting for ``prop_id`` on ``prefix``.

        A build names the prefix its config uses: a prop of the same id on
        another prefix is another prop and is not offered it.
        """
        release = self.releases.get(prop_id)
        if release is None or release.prefix not in (None, prefix):
            return None
        return release

    async def async_scan(self) -> None:
        """Read the folder again (in the executor) and tell the listeners."""
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
            for listener in list(self._listeners):
                listener()

    @callback
    def async_listen(self, changed: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``changed`` when the builds change; the first listener starts the scans."""
        self._listeners.append(changed)
        if self._stop_timer is None:

            async def rescan(_now: object) -> None:
                await self.async_scan()

            self.hass.async_create_task(self.async_scan(), eager_start=False)
            self._stop_timer = async_track_time_interval(
                self.hass, rescan, SCAN_INTERVAL
            )

        @callback
        def stop() -> None:
            self._listeners.remove(changed)
            if not self._listeners and self._stop_timer is not None:
                self._stop_timer()
                self._stop_timer = None

        return stop


@callback
def firmware_folder(hass: HomeAssistant) -> FirmwareFolder:
    """Return the firmware folder every props hub of this Home Assistant shares."""
    if (folder := hass.data.get(DATA_FIRMWARE)) is None:
        folder = hass.data[DATA_FIRMWARE] = FirmwareFolder(hass)
    return folder
