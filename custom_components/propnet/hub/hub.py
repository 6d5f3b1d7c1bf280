"""The props hub: follows every prop on one prefix and keeps Home Assistant in step."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
import logging
import time
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.event import EventDeviceClass
from homeassistant.components.number import NumberDeviceClass
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.components.switch import SwitchDeviceClass
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)

from ..const import DOMAIN, EVENT_PROPNET, LOGGER
from ..protocol.commands import ACK_TIMEOUT, build_command, new_ulid
from ..protocol.messages import (
    Ack,
    Announce,
    EntitySpec,
    Event,
    ProtocolError,
    UnsupportedVersionError,
    parse_ack,
    parse_announce,
    parse_availability,
    parse_event,
    parse_log,
    parse_values,
)
from ..protocol.names import (
    PROP_TOPICS,
    TOPIC_ACK,
    TOPIC_ANNOUNCE,
    TOPIC_AVAILABILITY,
    TOPIC_CMD,
    TOPIC_EVENT,
    TOPIC_LOG,
    TOPIC_STATUS,
    TOPIC_TELEMETRY,
    is_prop_id,
    prop_topic,
    split_topic,
    subscription,
)
from .drops import DropLog

DEVICE_CLASSES: Final[Mapping[str, frozenset[str]]] = {
    "binary_sensor": frozenset(BinarySensorDeviceClass),
    "button": frozenset(ButtonDeviceClass),
    "event": frozenset(EventDeviceClass),
    "number": frozenset(NumberDeviceClass),
    "sensor": frozenset(SensorDeviceClass),
    "switch": frozenset(SwitchDeviceClass),
}
# Props one entry follows at most: a flood of made-up ids cannot grow memory.
MAX_PROPS: Final = 1024
# Status messages kept for a prop whose announce has not arrived yet; the
# broker sends retained messages of different topics in no fixed order.
MAX_EARLY_STATUS: Final = 4
# A MAC that changes back within this time means two props share one id.
DUPLICATE_WINDOW: Final = 600.0
# Keys of the entities the hub adds to every prop; prop keys cannot start
# with "$", so they never clash.
KEY_IDENTIFY: Final = "$identify"
KEY_RESTART: Final = "$restart"
HUB_KEYS: Final = (KEY_IDENTIFY, KEY_RESTART)

_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

type EntityAdder = Callable[[str, list[EntitySpec]], None]
type Listener = Callable[[], None]
type EventListener = Callable[[Event], None]


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

    @property
    def name(self) -> str:
        """Return the prop's name, or its id before it has announced."""
        return self.announce.name if self.announce else self.id


class PropHub:
    """Follows the props on one topic prefix through Home Assistant's MQTT."""

    def __init__(self, hass: HomeAssistant, entry_id: str, prefix: str) -> None:
        """Prepare a hub; async_start subscribes."""
        self.hass = hass
        self.entry_id = entry_id
        self.prefix = prefix
        self.props: dict[str, Prop] = {}
        self.drops = DropLog(LOGGER)
        self.connected = False
        self._adders: dict[str, EntityAdder] = {}
        self._prop_added: list[Callable[[str], None]] = []
        self._listeners: dict[str, dict[str, Listener]] = defaultdict(dict)
        self._event_listeners: dict[tuple[str, str], EventListener] = {}
        self._pending: dict[str, tuple[str, asyncio.Future[Ack]]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._handlers: dict[str, Callable[[Prop, bytes, bool], None]] = {
            TOPIC_ANNOUNCE: self._on_announce,
            TOPIC_AVAILABILITY: self._on_availability,
            TOPIC_STATUS: self._on_status,
            TOPIC_TELEMETRY: self._on_telemetry,
            TOPIC_EVENT: self._on_event,
            TOPIC_ACK: self._on_ack,
            TOPIC_LOG: self._on_log,
        }
        assert set(self._handlers) == PROP_TOPICS

    # -- Set-up ---------------------------------------------------------------

    def unique_id(self, prop_id: str, key: str) -> str:
        """Return the unique id of one entity of one prop."""
        return f"{self.prefix}/{prop_id}/{key}"

    def device_identifier(self, prop_id: str) -> tuple[str, str]:
        """Return the device registry identifier of a prop."""
        return (DOMAIN, f"{self.prefix}/{prop_id}")

    @callback
    def register_platform(self, platform: str, adder: EntityAdder) -> None:
        """Let a platform add the entities of its type as props announce them."""
        self._adders[platform] = adder

    @callback
    def register_prop_added(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(prop_id)`` when a prop announces for the first time."""
        self._prop_added.append(listener)

    async def async_start(self) -> None:
        """Follow the broker connection and subscribe to every prop topic."""
        self.connected = mqtt.is_connected(self.hass)
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._on_connection)
        )
        # Announces first, so a prop is usually known before its status.
        # QoS 0: Home Assistant's MQTT session is clean, so QoS 1 would add
        # no delivery guarantee over the TCP connection, while its per-message
        # acknowledgements throttle what the broker sends Home Assistant. What
        # must survive a reconnect is retained and sent again on resubscribing.
        for kind in (TOPIC_ANNOUNCE, *sorted(PROP_TOPICS - {TOPIC_ANNOUNCE})):
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass,
                    subscription(self.prefix, kind),
                    self._on_message,
                    qos=0,
                    encoding=None,
                )
            )

    @callback
    def async_stop(self) -> None:
        """Unsubscribe and fail the commands still waiting for an ack."""
        while self._unsubscribe:
            self._unsubscribe.pop()()
        self._fail_pending("unloaded")

    # -- Listeners ------------------------------------------------------------

    @callback
    def async_add_listener(
        self, prop_id: str, key: str, listener: Listener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when the entity's value, spec or availability changes."""
        self._listeners[prop_id][key] = listener

        @callback
        def remove() -> None:
            if self._listeners[prop_id].get(key) is listener:
                del self._listeners[prop_id][key]

        return remove

    @callback
    def async_add_event_listener(
        self, prop_id: str, key: str, listener: EventListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each event the prop fires for ``key``."""
        self._event_listeners[(prop_id, key)] = listener

        @callback
        def remove() -> None:
            self._event_listeners.pop((prop_id, key), None)

        return remove

    def _notify(self, prop_id: str, keys: list[str] | None = None) -> None:
        listeners = self._listeners.get(prop_id)
        if not listeners:
            return
        if keys is None:
            for listener in list(listeners.values()):
                listener()
            return
        for key in keys:
            if (key_listener := listeners.get(key)) is not None:
                key_listener()

    # -- Queries for entities ---------------------------------------------------

    def spec(self, prop_id: str, key: str) -> EntitySpec | None:
        """Return the current spec of an entity, if its prop still announces it."""
        prop = self.props.get(prop_id)
        if prop is None or prop.announce is None:
            return None
        return prop.announce.entity(key)

    def value(self, prop_id: str, key: str) -> Any:
        """Return the last value of an entity, or None."""
        prop = self.props.get(prop_id)
        return None if prop is None else prop.values.get(key)

    def has_value(self, prop_id: str, key: str) -> bool:
        """Return whether the prop has reported a value for ``key``."""
        prop = self.props.get(prop_id)
        return prop is not None and key in prop.values

    def available(self, prop_id: str) -> bool:
        """Return whether a prop is reachable: broker up, prop online and announced."""
        prop = self.props.get(prop_id)
        return (
            self.connected
            and prop is not None
            and prop.online
            and prop.announce is not None
        )

    # -- Incoming messages ------------------------------------------------------

    @callback
    def _on_message(self, msg: mqtt.ReceiveMessage) -> None:
        parts = split_topic(self.prefix, msg.topic)
        if parts is None or parts[1] not in self._handlers:
            return
        prop_id, kind = parts
        payload = msg.payload
        raw = payload.encode() if isinstance(payload, str) else bytes(payload)
        if not is_prop_id(prop_id):
            self.drops.drop(
                prop_id[:40], kind, "invalid_prop_id", f"{prop_id[:40]!r} is no prop id"
            )
            return
        prop = self.props.get(prop_id)
        if prop is None:
            if len(self.props) >= MAX_PROPS:
                self.drops.drop(
                    prop_id, kind, "too_many_props", f"already {MAX_PROPS} props"
                )
                return
            if kind not in {TOPIC_ANNOUNCE, TOPIC_AVAILABILITY, TOPIC_STATUS}:
                self.drops.drop(prop_id, kind, "unknown_prop", "prop has not announced")
                return
            if kind == TOPIC_ANNOUNCE and not raw:
                return
            prop = self.props[prop_id] = Prop(prop_id)
        try:
            self._handlers[kind](prop, raw, msg.retain)
        except ProtocolError as err:
            self.drops.drop(prop_id, kind, err.reason, str(err))
        except Exception:  # noqa: BLE001
            # A handler bug must not stop the messages after this one.
            self.drops.counts["internal_error"] += 1
            LOGGER.exception("Error handling %s from prop %s", kind, prop_id)

    def _on_announce(self, prop: Prop, payload: bytes, retain: bool) -> None:
        if not payload:
            LOGGER.info("Prop %s was removed from %s", prop.name, self.prefix)
            self._forget_prop(prop)
            return
        try:
            announce = parse_announce(payload, prop.id, DEVICE_CLASSES)
        except UnsupportedVersionError as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id("unsupported_version", prop.id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="unsupported_version",
                translation_placeholders={
                    "prop": prop.name,
                    "version": str(err.version),
                },
            )
            raise
        if announce == prop.announce:
            return
        for warning in announce.warnings:
            LOGGER.warning("Prop %s announced %s", prop.id, warning)
        ir.async_delete_issue(
            self.hass, DOMAIN, self._issue_id("unsupported_version", prop.id)
        )
        self._check_duplicate(prop, announce)
        old = prop.announce
        prop.announce = announce
        device = self._sync_device(prop)
        if old is None:
            self._remove_orphans(prop, device.id)
            for listener in self._prop_added:
                listener(prop.id)
        self._sync_entities(prop, old, announce)
        if prop.early_status:
            early, prop.early_status = prop.early_status, []
            for status in early:
                self._on_status(prop, status, True)

    def _on_availability(self, prop: Prop, payload: bytes, retain: bool) -> None:
        online = parse_availability(payload)
        if online == prop.online:
            return
        prop.online = online
        if prop.announce is not None:
            if online:
                LOGGER.info("Prop %s is available again", prop.name)
            else:
                LOGGER.info("Prop %s is unavailable", prop.name)
        self._notify(prop.id)

    def _on_status(self, prop: Prop, payload: bytes, retain: bool) -> None:
        if prop.announce is None:
            prop.early_status = [*prop.early_status[-(MAX_EARLY_STATUS - 1) :], payload]
            return
        self._apply_values(prop, payload, TOPIC_STATUS, sensors_only=False)

    def _on_telemetry(self, prop: Prop, payload: bytes, retain: bool) -> None:
        self._apply_values(prop, payload, TOPIC_TELEMETRY, sensors_only=True)

    def _apply_values(
        self, prop: Prop, payload: bytes, topic: str, sensors_only: bool
    ) -> None:
        values, problems = parse_values(payload, prop.announce, sensors_only)
        for key, problem in problems:
            reason = "unknown_key" if "not an announced" in problem else "bad_value"
            self.drops.drop(prop.id, f"{topic}/{key}", reason, f"{key} {problem}")
        changed: list[str] = []
        old = prop.values
        for key, value in values.items():
            if key not in old or old[key] != value:
                changed.append(key)
                self.drops.forget(prop.id, f"{topic}/{key}", "bad_value")
            old[key] = value
        self._notify(prop.id, changed)

    def _on_event(self, prop: Prop, payload: bytes, retain: bool) -> None:
        event = parse_event(payload, prop.announce)
        if (listener := self._event_listeners.get((prop.id, event.key))) is not None:
            listener(event)
        self.hass.bus.async_fire(
            EVENT_PROPNET,
            {
                "device_id": prop.device_id,
                "prop_id": prop.id,
                "key": event.key,
                "type": event.type,
                "data": dict(event.data),
            },
        )

    def _on_ack(self, prop: Prop, payload: bytes, retain: bool) -> None:
        ack = parse_ack(payload)
        pending = self._pending.get(ack.correlation_id)
        if pending is None:
            self.drops.drop(
                prop.id, TOPIC_ACK, "unmatched_ack", "no command waits for this ack"
            )
            return
        if pending[0] != prop.id:
            self.drops.drop(
                prop.id, TOPIC_ACK, "ack_mismatch", f"the command went to {pending[0]}"
            )
            return
        if not pending[1].done():
            pending[1].set_result(ack)

    def _on_log(self, prop: Prop, payload: bytes, retain: bool) -> None:
        line = parse_log(payload)
        LOGGER.getChild(f"props.{prop.id}").log(_LEVELS[line.level], "%s", line.msg)

    @callback
    def _on_connection(self, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        if connected:
            LOGGER.info("MQTT broker is back; props on %s follow", self.prefix)
        else:
            LOGGER.info(
                "Lost the MQTT broker; props on %s are unavailable until it returns",
                self.prefix,
            )
            self._fail_pending("broker_unavailable")
        for prop_id in list(self._listeners):
            self._notify(prop_id)

    # -- Registries -------------------------------------------------------------

    def _issue_id(self, kind: str, prop_id: str) -> str:
        return f"{kind}_{self.entry_id}_{prop_id}"

    def _check_duplicate(self, prop: Prop, announce: Announce) -> None:
        old_mac = prop.announce.mac if prop.announce else None
        issue_id = self._issue_id("duplicate_id", prop.id)
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

    def _sync_device(self, prop: Prop) -> dr.DeviceEntry:
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

    def _remove_orphans(self, prop: Prop, device_id: str) -> None:
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

    def _remove_entity(self, prop_id: str, spec: EntitySpec) -> None:
        registry = er.async_get(self.hass)
        entity_id = registry.async_get_entity_id(
            spec.type, DOMAIN, self.unique_id(prop_id, spec.key)
        )
        if entity_id is not None:
            registry.async_remove(entity_id)

    def _sync_entities(self, prop: Prop, old: Announce | None, new: Announce) -> None:
        old_specs = {s.key: s for s in old.entities} if old else {}
        new_specs = {s.key: s for s in new.entities}
        for key, spec in old_specs.items():
            replacement = new_specs.get(key)
            if replacement is None or replacement.type != spec.type:
                self._remove_entity(prop.id, spec)
                prop.values.pop(key, None)
        added: dict[str, list[EntitySpec]] = defaultdict(list)
        changed: list[str] = []
        for key, spec in new_specs.items():
            previous = old_specs.get(key)
            if previous is None or previous.type != spec.type:
                added[spec.type].append(spec)
            elif previous != spec:
                changed.append(key)
        for platform, specs in added.items():
            self._adders[platform](prop.id, specs)
        self._notify(prop.id, changed)

    def _forget_prop(self, prop: Prop) -> None:
        """Drop a prop that announced its removal, with its device and entities."""
        self.props.pop(prop.id, None)
        self._notify(prop.id)
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(
            identifiers={self.device_identifier(prop.id)}
        )
        if device is not None:
            registry.async_update_device(
                device.id, remove_config_entry_id=self.entry_id
            )
        for kind in ("unsupported_version", "duplicate_id"):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(kind, prop.id))

    async def async_remove_prop(self, prop_id: str) -> None:
        """Forget a prop the user deleted, clearing its retained topics.

        Without this its retained announce would bring the device back.
        """
        for kind in (TOPIC_ANNOUNCE, TOPIC_STATUS):
            await mqtt.async_publish(
                self.hass,
                prop_topic(self.prefix, prop_id, kind),
                b"",
                qos=1,
                retain=True,
            )
        self.props.pop(prop_id, None)
        for kind in ("unsupported_version", "duplicate_id"):
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(kind, prop_id))

    # -- Commands -----------------------------------------------------------------

    def _fail_pending(self, reason: str) -> None:
        for prop_id, future in self._pending.values():
            if not future.done():
                future.set_exception(
                    HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key=reason,
                        translation_placeholders={"prop": prop_id},
                    )
                )

    async def async_command(
        self,
        prop_id: str,
        action: str,
        key: str | None = None,
        value: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Ack:
        """Send a command and wait for its ack; raise when it fails or none comes."""
        prop = self.props.get(prop_id)
        name = prop.name if prop else prop_id
        if not self.connected:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="broker_unavailable",
                translation_placeholders={"prop": name},
            )
        if prop is None or not prop.online:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="prop_offline",
                translation_placeholders={"prop": name},
            )
        correlation_id = new_ulid()
        future: asyncio.Future[Ack] = self.hass.loop.create_future()
        self._pending[correlation_id] = (prop_id, future)
        try:
            await mqtt.async_publish(
                self.hass,
                prop_topic(self.prefix, prop_id, TOPIC_CMD),
                build_command(action, correlation_id, key, value, params),
                qos=1,
                retain=False,
            )
            async with asyncio.timeout(ACK_TIMEOUT):
                ack = await future
        except TimeoutError:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders={"prop": name, "action": action},
            ) from None
        finally:
            self._pending.pop(correlation_id, None)
        if not ack.ok:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={
                    "prop": name,
                    "action": action,
                    "error": ack.error or "",
                    "message": ack.message or "",
                },
            )
        return ack

    # -- Diagnostics ---------------------------------------------------------------

    def snapshot(self, prop_id: str) -> dict[str, Any]:
        """Return what the hub knows of one prop, for diagnostics."""
        prop = self.props[prop_id]
        return {
            "online": prop.online,
            "announce": None if prop.announce is None else asdict(prop.announce),
            "values": dict(prop.values),
        }
