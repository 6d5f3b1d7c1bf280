"""Update entities: each prop's firmware, installed from a build in Home Assistant's config."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeassistant.components.update import (
    UpdateDeviceClass,
    UpdateEntity,
    UpdateEntityFeature,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .hub.hub import KEY_FIRMWARE, PropHub
from .protocol.transfer import TransferError, install, is_kept
from .runtime import PropsConfigEntry

PARALLEL_UPDATES = 0
# Seconds the new firmware has to come online, then to stay online before it keeps itself.
TRIAL = 60
CONFIRM = 10
# Progress: sending is most of the time; the restart and trial take the rest.
SENT_SHARE = 90
RESTART_POLL = 0.2


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Give every prop a Firmware update entity."""
    hub = entry.runtime_data

    @callback
    def add_firmware(prop_id: str) -> None:
        async_add_entities([PropFirmware(hub, prop_id)])

    hub.register_prop_added(add_firmware)


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


class PropFirmware(UpdateEntity):
    """The prop's firmware: the version it announces, and the build waiting for it."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "firmware"
    _attr_device_class = UpdateDeviceClass.FIRMWARE
    _attr_entity_category = EntityCategory.CONFIG

    @property
    def entity_picture(self) -> str | None:
        """Return PropNet's own brand picture where Home Assistant serves it, else none.

        Before 2026.3 the picture comes from the brands server, which has no
        PropNet: the dialog and the rows would show a blank instead of the icon.
        From 2026.3 Home Assistant serves the integration's own brand folder.
        """
        picture = super().entity_picture
        if picture is None or picture.startswith("https://brands.home-assistant.io/"):
            return None
        return picture

    def __init__(self, hub: PropHub, prop_id: str) -> None:
        """Describe the firmware of ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id
        self._attr_unique_id = hub.unique_id(prop_id, KEY_FIRMWARE)
        self._attr_device_info = DeviceInfo(
            identifiers={hub.device_identifier(prop_id)}
        )
        self._last_install: str | None = None
        self._percent = -1
        # While an install runs, the version the prop had: the new one only
        # counts once the prop has kept it (a trial boot may still roll back).
        self._installing_over: str | None = None

    @property
    def supported_features(self) -> UpdateEntityFeature:
        """Offer release notes only when the waiting build has some.

        The update dialog waits for notes it is told exist; a build without
        them must not leave it spinning.
        """
        features = UpdateEntityFeature.INSTALL | UpdateEntityFeature.PROGRESS
        release = self.hub.release(self.prop_id)
        if release is not None and release.notes:
            features |= UpdateEntityFeature.RELEASE_NOTES
        return features

    @property
    def available(self) -> bool:
        """Known props stay available offline, so an install says why it cannot run."""
        prop = self.hub.props.get(self.prop_id)
        return prop is not None and prop.announce is not None

    @property
    def installed_version(self) -> str | None:
        """Return the version the prop announces (the old one until an install is kept)."""
        if self._installing_over is not None:
            return self._installing_over
        prop = self.hub.props.get(self.prop_id)
        if prop is None or prop.announce is None:
            return None
        return prop.announce.sw_version

    @property
    def latest_version(self) -> str | None:
        """Return the waiting build's version (the installed one when there is none)."""
        release = self.hub.release(self.prop_id)
        return release.version if release else self.installed_version

    @property
    def release_summary(self) -> str | None:
        """Return the first line of the build's release notes."""
        release = self.hub.release(self.prop_id)
        if release is None or not release.notes:
            return None
        return release.notes.splitlines()[0][:255]

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Say how the last install from Home Assistant ended (kept, or rolled back and why)."""
        return {"last_install": self._last_install}

    async def async_added_to_hass(self) -> None:
        """Follow the prop's announce, availability and the firmware folder.

        How the last install ended survives a restart of Home Assistant.
        """
        if (last := await self.async_get_last_state()) is not None:
            outcome = last.attributes.get("last_install")
            self._last_install = outcome if isinstance(outcome, str) else None
        self.async_on_remove(
            self.hub.async_add_listener(
                self.prop_id, KEY_FIRMWARE, self.async_write_ha_state
            )
        )

    async def async_update(self) -> None:
        """Look in the firmware folder again (homeassistant.update_entity)."""
        await self.hub.firmware.async_scan()

    async def async_release_notes(self) -> str | None:
        """Return the build's release notes."""
        release = self.hub.release(self.prop_id)
        return release.notes if release else None

    @callback
    def _progress(self, sent: int, total: int, stage: str) -> None:
        if stage.startswith("sent ") or stage == "starting":
            percent = sent * SENT_SHARE // total if total else 0
        elif stage == "restarting":
            percent = SENT_SHARE
        elif stage == "on trial":
            percent = SENT_SHARE + 5
        else:  # how it ended
            percent = 100
        if percent != self._percent:
            self._percent = percent
            self._attr_update_percentage = percent
            self.async_write_ha_state()

    def _error(self, key: str, **placeholders: str) -> HomeAssistantError:
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={
                "prop": self.hub.props[self.prop_id].name,
                **placeholders,
            },
        )

    async def async_install(
        self, version: str | None, backup: bool, **kwargs: Any
    ) -> None:
        """Send the waiting build; it is kept only if the prop comes back online with it."""
        release = self.hub.release(self.prop_id)
        # Without a build the latest version is the installed one, and Home
        # Assistant refuses the install itself.
        assert release is not None
        if not self.hub.available(self.prop_id):
            raise self._error("prop_offline")
        self._installing_over = self.installed_version or ""
        self._attr_in_progress = True
        self._attr_update_percentage = None
        self._percent = -1
        self.async_write_ha_state()
        try:
            # Props update one after another: the link and the broker are shared.
            async with self.hub.firmware.lock:
                try:
                    files = await self.hass.async_add_executor_job(release.files)
                    outcome = await install(
                        HubLink(self.hub, self.prop_id),
                        files,
                        version=release.version,
                        trial=TRIAL,
                        confirm=CONFIRM,
                        progress=self._progress,
                    )
                except TransferError as err:
                    self._last_install = f"failed: {err}"
                    raise self._error(
                        f"update_{err.reason}", detail=err.detail
                    ) from None
        finally:
            self._installing_over = None
            self._attr_in_progress = False
            self._attr_update_percentage = None
            self.async_write_ha_state()
        self._last_install = outcome
        self.async_write_ha_state()
        if not is_kept(outcome):
            raise self._error(
                "update_rolled_back", reason=outcome.removeprefix("rolled back: ")
            )
