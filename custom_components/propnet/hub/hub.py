"""The props hub: follows every prop on one prefix and keeps Home Assistant in step.

Its message handlers share one state, the props and what each announced and
reported, so they stay together here; what they hand on lives in modules of
its own: registries (devices, entities, repairs), commands and acks,
listeners, logs, drops and firmware builds.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from datetime import timedelta
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.event import EventDeviceClass
from homeassistant.components.number import NumberDeviceClass
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.components.switch import SwitchDeviceClass
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_track_time_interval

from ..const import DOMAIN, EVENT_PROPNET, LOGGER
from ..protocol.announce import (
    Announce,
    EntitySpec,
    UnsupportedVersionError,
    parse_announce,
)
from ..protocol.cues import (
    Cue,
    ShowReport,
    clock_message,
    clock_topic,
    load_parts,
    parse_show_report,
)
from ..protocol.decode import ProtocolError
from ..protocol.messages import (
    Ack,
    parse_ack,
    parse_availability,
    parse_event,
    parse_log,
)
from ..protocol.names import (
    PROP_TOPICS,
    TOPIC_ACK,
    TOPIC_ANNOUNCE,
    TOPIC_AVAILABILITY,
    TOPIC_EVENT,
    TOPIC_LOG,
    TOPIC_SHOW,
    TOPIC_STATUS,
    TOPIC_TELEMETRY,
    is_prop_id,
    prop_topic,
    split_topic,
    subscription,
)
from ..protocol.transfer import Release
from ..protocol.values import parse_values
from .clock import hub_clock
from .commands import CommandBus
from .drops import DropLog
from .firmware import firmware_folder
from .listeners import EntityListeners, EventListener, Listener
from .logs import PropLogs
from .registry import (
    HUB_KEYS,
    KEY_FIRMWARE,
    KEY_IDENTIFY,
    KEY_LOG_LEVEL,
    KEY_RESTART,
    Prop,
    Registries,
)

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
# How long new entities wait for the status that follows their announce.
STATUS_WAIT: Final = 1.0
# How often storms of dropped messages are summed up in the log.
DROP_SUMMARY_INTERVAL: Final = timedelta(seconds=60)
__all__ = [
    "HUB_KEYS",
    "KEY_FIRMWARE",
    "KEY_IDENTIFY",
    "KEY_LOG_LEVEL",
    "KEY_RESTART",
    "Prop",
    "PropHub",
]

type EntityAdder = Callable[[str, list[EntitySpec]], None]


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
        self.registries = Registries(hass, entry_id, prefix)
        self.commands = CommandBus(hass, prefix)
        self.firmware = firmware_folder(hass)
        self._adders: dict[str, EntityAdder] = {}
        # Entities an announce brought, by prop and key, until its status.
        self._to_add: dict[str, dict[str, None]] = {}
        self._status_waits: dict[str, asyncio.TimerHandle] = {}
        self._prop_added: list[Callable[[str], None]] = []
        self.listeners = EntityListeners()
        # The last lines each prop logged, and who watches them live.
        self.logs = PropLogs(LOGGER)
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._handlers: dict[str, Callable[[Prop, bytes, bool], None]] = {
            TOPIC_ANNOUNCE: self._on_announce,
            TOPIC_AVAILABILITY: self._on_availability,
            TOPIC_STATUS: self._on_status,
            TOPIC_TELEMETRY: self._on_telemetry,
            TOPIC_EVENT: self._on_event,
            TOPIC_ACK: self._on_ack,
            TOPIC_LOG: self._on_log,
            TOPIC_SHOW: self._on_show,
        }
        self._show_listeners: list[Callable[[str, ShowReport], None]] = []

        self._clock_offered = False
        assert set(self._handlers) == PROP_TOPICS

    # -- Set-up ---------------------------------------------------------------

    def unique_id(self, prop_id: str, key: str) -> str:
        """Return the unique id of one entity of one prop."""
        return self.registries.unique_id(prop_id, key)

    def device_identifier(self, prop_id: str) -> tuple[str, str]:
        """Return the device registry identifier of a prop."""
        return self.registries.device_identifier(prop_id)

    def prop_id_of(self, identifiers: Iterable[tuple[str, str]]) -> str | None:
        """Return the prop id in a device's identifiers, if it is a prop of this hub."""
        return self.registries.prop_id_of(identifiers)

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
        self._unsubscribe.append(self.firmware.async_listen(self._firmware_changed))
        self._unsubscribe.append(
            async_track_time_interval(
                self.hass,
                lambda _: self.drops.flush(),
                DROP_SUMMARY_INTERVAL,
                cancel_on_shutdown=True,
            )
        )
        # One wildcard subscription for every prop topic rather than one per
        # kind: one entry for the broker and for Home Assistant's client, which
        # matches each new topic against every wildcard subscription of every
        # integration (it caches the result per topic until any subscription
        # changes). Retained topics then come in no fixed order, which the
        # handlers allow for (an early status is kept, availability kept); the
        # hub's own commands come back too and are ignored with the other
        # topics it does not handle.
        # QoS 0: Home Assistant's MQTT session is clean, so QoS 1 would add
        # no delivery guarantee over the TCP connection, while its per-message
        # acknowledgements throttle what the broker sends Home Assistant. What
        # must survive a reconnect is retained and sent again on resubscribing.
        self._unsubscribe.append(
            await mqtt.async_subscribe(
                self.hass,
                subscription(self.prefix, "+"),
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
        for wait in self._status_waits.values():
            wait.cancel()
        self._status_waits.clear()
        self._to_add.clear()
        self.drops.flush()
        self.commands.fail_pending("unloaded")

    # -- Listeners ------------------------------------------------------------

    @callback
    def async_add_listener(
        self, prop_id: str, key: str, listener: Listener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when the entity's value, spec or availability changes."""
        return self.listeners.add(prop_id, key, listener)

    @callback
    def async_add_event_listener(
        self, prop_id: str, key: str, listener: EventListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each event the prop fires for ``key``."""
        return self.listeners.add_event(prop_id, key, listener)

    def release(self, prop_id: str) -> Release | None:
        """Return the firmware build waiting for ``prop_id`` on this hub's prefix."""
        return self.firmware.release(self.prefix, prop_id)

    @callback
    def _firmware_changed(self) -> None:
        for prop_id in self.listeners.props():
            self._notify(prop_id, [KEY_FIRMWARE])

    def _notify(self, prop_id: str, keys: list[str] | None = None) -> None:
        self.listeners.notify(prop_id, keys)

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
        prop = self.props.get(prop_id)
        if prop is None:
            # A known prop's id was checked when it first spoke.
            if not is_prop_id(prop_id):
                self.drops.drop(
                    prop_id[:40],
                    kind,
                    "invalid_prop_id",
                    f"{prop_id[:40]!r} is no prop id",
                )
                return
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
            self.registries.unsupported_version(prop, err.version)
            raise
        if announce == prop.announce:
            return
        for warning in announce.warnings:
            LOGGER.warning("Prop %s announced %s", prop.id, warning)
        self.registries.clear_issues(prop.id, ("unsupported_version",))
        self.registries.check_duplicate(prop, announce)
        if announce.show_cues is not None and not self._clock_offered:
            self._clock_offered = True
            self.hass.async_create_background_task(
                self._async_offer_clock(), "propnet show clock", eager_start=True
            )
        old = prop.announce
        prop.announce = announce
        device = self.registries.sync_device(prop)
        if old is None:
            self.registries.remove_orphans(prop, device.id)
            for listener in self._prop_added:
                listener(prop.id)
        self._sync_entities(prop, old, announce)
        self._notify(prop.id, [KEY_FIRMWARE])
        if prop.early_status:
            early, prop.early_status = prop.early_status, []
            for status in early:
                self._on_status(prop, status, True)

    def _on_availability(self, prop: Prop, payload: bytes, retain: bool) -> None:
        online = parse_availability(payload)
        if online == prop.online:
            return
        prop.online = online
        if online:
            prop.sessions += 1
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
        if prop.id in self._to_add:
            self._add_entities(prop.id)

    def _on_telemetry(self, prop: Prop, payload: bytes, retain: bool) -> None:
        self._apply_values(prop, payload, TOPIC_TELEMETRY, sensors_only=True)

    def _apply_values(
        self, prop: Prop, payload: bytes, topic: str, sensors_only: bool
    ) -> None:
        values, problems = parse_values(payload, prop.announce, sensors_only)
        for problem in problems:
            self.drops.drop(
                prop.id,
                f"{topic}/{problem.key}",
                problem.reason,
                f"{problem.key} {problem.detail}",
            )
        old = prop.values
        changed = [
            key for key, value in values.items() if key not in old or old[key] != value
        ]
        old.update(values)
        if changed and self.drops.warned:
            for key in changed:
                self.drops.forget(prop.id, f"{topic}/{key}", "bad_value")
        self._notify(prop.id, changed)

    def _on_event(self, prop: Prop, payload: bytes, retain: bool) -> None:
        event = parse_event(payload, prop.announce)
        self.listeners.fire(prop.id, event)
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
        target = self.commands.target_of(ack.correlation_id)
        outcome = self.commands.on_ack(prop.id, ack)
        if outcome == "unmatched_ack":
            self.drops.drop(
                prop.id, TOPIC_ACK, outcome, "no command waits for this ack"
            )
        elif outcome == "ack_mismatch":
            self.drops.drop(
                prop.id, TOPIC_ACK, outcome, f"the command went to {target}"
            )

    def _on_log(self, prop: Prop, payload: bytes, retain: bool) -> None:
        self.logs.add(prop.id, parse_log(payload))

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
            self.commands.fail_pending("broker_unavailable")
        for prop_id in self.listeners.props():
            self._notify(prop_id)

    # -- Entities -------------------------------------------------------------

    def _sync_entities(self, prop: Prop, old: Announce | None, new: Announce) -> None:
        old_specs = {s.key: s for s in old.entities} if old else {}
        new_specs = {s.key: s for s in new.entities}
        for key, spec in old_specs.items():
            replacement = new_specs.get(key)
            if replacement is None or replacement.type != spec.type:
                self.registries.remove_entity(prop.id, spec)
                prop.values.pop(key, None)
        added: list[str] = []
        changed: list[str] = []
        for key, spec in new_specs.items():
            previous = old_specs.get(key)
            if previous is None or previous.type != spec.type:
                added.append(key)
            elif previous != spec:
                changed.append(key)
        if added:
            # A prop sends its status right after its announce (and on Home
            # Assistant's start the retained one follows the announces):
            # adding the entities with it makes their first state the prop's
            # rather than unknown, then the value a moment later.
            self._to_add.setdefault(prop.id, {}).update(dict.fromkeys(added))
            if prop.id not in self._status_waits:
                self._status_waits[prop.id] = self.hass.loop.call_later(
                    STATUS_WAIT, self._add_entities, prop.id
                )
        self._notify(prop.id, changed)

    @callback
    def _add_entities(self, prop_id: str) -> None:
        if (wait := self._status_waits.pop(prop_id, None)) is not None:
            wait.cancel()
        keys = self._to_add.pop(prop_id, {})
        prop = self.props.get(prop_id)
        if prop is None or prop.announce is None:
            return  # removed before its entities were added
        by_platform: dict[str, list[EntitySpec]] = defaultdict(list)
        for key in keys:
            if (spec := prop.announce.entity(key)) is not None:
                by_platform[spec.type].append(spec)
        for platform, specs in by_platform.items():
            if (adder := self._adders.get(platform)) is not None:
                adder(prop_id, specs)

    def _forget_prop(self, prop: Prop) -> None:
        """Drop a prop that announced its removal, with its device and entities."""
        self.props.pop(prop.id, None)
        self.logs.forget(prop.id)
        self._notify(prop.id)
        self.registries.release_device(prop.id)

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
        self.logs.forget(prop_id)
        self.registries.clear_issues(prop_id)

    # -- Shows ----------------------------------------------------------------------

    async def _async_offer_clock(self) -> None:
        """Open the time service and tell this prefix's props where it is (retained)."""
        where = await hub_clock(self.hass).async_open()
        if where is None:
            self._clock_offered = False
            return
        await mqtt.async_publish(
            self.hass,
            clock_topic(self.prefix),
            clock_message(*where),
            qos=1,
            retain=True,
        )

    def _on_show(self, prop: Prop, payload: bytes, retain: bool) -> None:
        report = parse_show_report(payload)
        prop.show = report
        for listener in list(self._show_listeners):
            listener(prop.id, report)

    @callback
    def async_add_show_listener(
        self, listener: Callable[[str, ShowReport], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener(prop_id, report)`` with each show report a prop sends."""
        self._show_listeners.append(listener)
        return lambda: self._show_listeners.remove(listener)

    async def async_load_show(self, prop_id: str, show: str, cues: list[Cue]) -> None:
        """Send a prop its cue list, in as many parts as it takes; raise on a refusal."""
        prop = self.props.get(prop_id)
        limit = (
            None if prop is None or prop.announce is None else prop.announce.show_cues
        )
        if limit is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_shows",
                translation_placeholders={"prop": prop.name if prop else prop_id},
            )
        if len(cues) > limit:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="too_many_cues",
                translation_placeholders={
                    "prop": prop.name if prop else prop_id,
                    "count": str(len(cues)),
                    "limit": str(limit),
                },
            )
        for params in load_parts(show, cues):
            await self.async_command(prop_id, "show_load", params=params)

    async def async_start_show(
        self, prop_id: str, at_us: int, from_ms: int = 0
    ) -> None:
        """Start a prop's loaded show so that position ``from_ms`` falls at hub time ``at_us``."""
        await self.async_command(
            prop_id, "show_start", params={"at": at_us, "from": from_ms}
        )

    # -- Commands -----------------------------------------------------------------

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
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="prop_offline",
                translation_placeholders={"prop": name},
            )
        return await self.commands.async_send(
            prop_id, name, action, key=key, value=value, params=params
        )

    # -- Diagnostics ---------------------------------------------------------------

    def snapshot(self, prop_id: str) -> dict[str, Any]:
        """Return what the hub knows of one prop, for diagnostics."""
        prop = self.props[prop_id]
        return {
            "online": prop.online,
            "announce": None if prop.announce is None else asdict(prop.announce),
            "values": dict(prop.values),
            "log": self.logs.recent(prop_id),
            "show": None if prop.show is None else asdict(prop.show),
        }
