"""Keeping Home Assistant's device, entity and issue registries in step with the props."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import time
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)

from ..const import DOMAIN, LOGGER
from ..protocol.announce import Announce, EntitySpec
from ..protocol.cues import ShowReport
from ..protocol.names import is_prop_id

# A MAC that changes back within this time means two props share one id.
DUPLICATE_WINDOW: Final = 600.0
# Keys of the entities the hub adds to every prop; prop keys cannot start
# with "$", so they never clash.
KEY_IDENTIFY: Final = "$identify"
KEY_RESTART: Final = "$restart"
KEY_FIRMWARE: Final = "$firmware"
KEY_LOG_LEVEL: Final = "$log_level"
HUB_KEYS: Final = (KEY_IDENTIFY, KEY_RESTART, KEY_FIRMWARE, KEY_LOG_LEVEL)
PROP_ISSUES: Final = ("unsupported_version", "duplicate_id")


@dataclass(slots=True)
class Prop:
    """What the hub knows of one prop."""

    id: str
    announce: Announce | None = None
    online: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    early_status: list[bytes] = field(default_factory=list)
    device_id: str | None = None
    mac_changed_at: float | None = None
    # Times the prop came online: a firmware update waits for the next one.
    sessions: int = 0
    # The prop's last show report.
    show: ShowReport | None = None

    @property
    def name(self) -> str:
        """Return the prop's name, or its id before it has announced."""
        return self.announce.name if self.announce else self.id


class Registries:
    """The registry side of one props hub: one device per prop, its entities, its issues."""

    def __init__(self, hass: HomeAssistant, entry_id: str, prefix: str) -> None:
        """Work for the entry ``entry_id`` following ``prefix``."""
        self.hass = hass
        self.entry_id = entry_id
        self.prefix = prefix

    def unique_id(self, prop_id: str, key: str) -> str:
        """Return the unique id of one entity of one prop."""
        return f"{self.prefix}/{prop_id}/{key}"

    def device_identifier(self, prop_id: str) -> tuple[str, str]:
        """Return the device registry identifier of a prop."""
        return (DOMAIN, f"{self.prefix}/{prop_id}")

    def prop_id_of(self, identifiers: Iterable[tuple[str, str]]) -> str | None:
        """Return the prop id in a device's identifiers, if it is a prop of this prefix."""
        for domain, identifier in identifiers:
            if domain == DOMAIN and identifier.startswith(f"{self.prefix}/"):
                # "a/b/x" is not prop "b/x" of prefix "a" but prop "x" of "a/b".
                prop_id = identifier.removeprefix(f"{self.prefix}/")
                if is_prop_id(prop_id):
                    return prop_id
        return None

    def issue_id(self, kind: str, prop_id: str) -> str:
        """Return the repair issue id of ``kind`` for a prop."""
        return f"{kind}_{self.entry_id}_{prop_id}"

    def unsupported_version(self, prop: Prop, version: int) -> None:
        """Raise the repair issue of a prop that speaks a newer protocol."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id("unsupported_version", prop.id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="unsupported_version",
            translation_placeholders={"prop": prop.name, "version": str(version)},
        )

    def clear_issues(self, prop_id: str, kinds: Iterable[str] = PROP_ISSUES) -> None:
        """Delete a prop's repair issues of ``kinds``."""
        for kind in kinds:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id(kind, prop_id))

    def check_duplicate(self, prop: Prop, announce: Announce) -> None:
        """Raise an issue when the MAC behind a prop id flips back and forth."""
        old_mac = prop.announce.mac if prop.announce else None
        issue_id = self.issue_id("duplicate_id", prop.id)
        now = time.monotonic()
        if old_mac and announce.mac and old_mac.lower() != announce.mac.lower():
            if (
                prop.mac_changed_at is not None
                and now - prop.mac_changed_at < DUPLICATE_WINDOW
            ):
                LOGGER.warning(
                    "Two props claim the id %s: %s and %s",
                    prop.id,
                    old_mac,
                    announce.mac,
                )
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key="duplicate_id",
                    translation_placeholders={
                        "prop": prop.id,
                        "mac_a": old_mac,
                        "mac_b": announce.mac,
                    },
                )
            prop.mac_changed_at = now
        elif (
            prop.mac_changed_at is not None
            and now - prop.mac_changed_at >= DUPLICATE_WINDOW
        ):
            prop.mac_changed_at = None
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def sync_device(self, prop: Prop) -> dr.DeviceEntry:
        """Create or refresh the prop's device from its announce."""
        announce = prop.announce
        assert announce is not None
        connections = (
            {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(announce.mac))}
            if announce.mac
            else set()
        )
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry_id,
            identifiers={self.device_identifier(prop.id)},
            connections=connections,
            name=announce.name,
            model=announce.model,
            manufacturer=announce.manufacturer or "PropNet",
            sw_version=announce.sw_version,
            hw_version=announce.hw_version,
            configuration_url=announce.configuration_url,
        )
        prop.device_id = device.id
        return device

    def remove_orphans(self, prop: Prop, device_id: str) -> None:
        """Remove entities a prop had before Home Assistant restarted but no longer has."""
        assert prop.announce is not None
        wanted = {self.unique_id(prop.id, s.key) for s in prop.announce.entities}
        wanted |= {self.unique_id(prop.id, key) for key in HUB_KEYS}
        registry = er.async_get(self.hass)
        for entry in er.async_entries_for_device(
            registry, device_id, include_disabled_entities=True
        ):
            if entry.config_entry_id == self.entry_id and entry.unique_id not in wanted:
                registry.async_remove(entry.entity_id)

    def remove_entity(self, prop_id: str, spec: EntitySpec) -> None:
        """Remove the entity a prop no longer announces."""
        registry = er.async_get(self.hass)
        entity_id = registry.async_get_entity_id(
            spec.type, DOMAIN, self.unique_id(prop_id, spec.key)
        )
        if entity_id is not None:
            registry.async_remove(entity_id)

    def release_device(self, prop_id: str) -> None:
        """Take the prop's device off this entry, which removes it and its entities."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(
            identifiers={self.device_identifier(prop_id)}
        )
        if device is not None:
            registry.async_update_device(
                device.id, remove_config_entry_id=self.entry_id
            )
        self.clear_issues(prop_id)
