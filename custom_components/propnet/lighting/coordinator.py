"""Show lighting inside Home Assistant: the engine wired to MQTT, storage, outputs and entities.

The glue's one owner of an entry's state: what it wires lives elsewhere
(the engine, the universe, the outputs and input in rig.py, what is saved
in saved.py); what stays here is the order things start and stop in, the
seq reserve, and the listeners that keep entities in step.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from enum import StrEnum
from functools import partial
import json
import time
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.storage import Store

from ..const import (
    CONF_BASE,
    CONF_DEDUPE_CAPACITY,
    CONF_DEDUPE_TTL,
    CONF_FIXTURES,
    CONF_QUEUE_SIZE,
    DOMAIN,
    LIGHTING_DEFAULTS,
    LOGGER,
)
from ..protocol.commands import new_ulid
from ..protocol.rgb import (
    RgbCommand,
    RgbState,
    cmd_topic,
    device_state_topic,
    hub_device_id,
    state_topic,
)
from . import saved as saved_data
from .dedupe import Dedupe
from .engine import LightingEngine, Source, Submitted
from .rig import Rig
from .universe import (
    Fixture,
    FixtureError,
    Level,
    Patch,
    parse_fixtures,
    primary_level,
)

# Home Assistant records every state write. The MQTT state goes out once per
# command; the entities follow at most this often, the last write always
# the true final state (so a recorder can keep up with hundreds a second).
LOOK_COOLDOWN: Final = 0.1
COUNTERS_COOLDOWN: Final = 5.0
STORAGE_VERSION: Final = 1
# seq is reserved this far ahead, saved before use, so a hub killed between
# saves still goes on above every seq it published.
SEQ_BLOCK: Final = 1000
SAVE_DELAY: Final = 1.0


class Change(StrEnum):
    """What changed, which decides how often the entities that show it are written."""

    LOOK = "look"  # the colour or a fixture: the lights
    COUNTERS = "counters"  # the engine's counters
    STATUS = "status"  # an output or the input came or went: at once


def saved_stores(
    hass: HomeAssistant, entry_id: str
) -> tuple[Store[dict[str, Any]], Store[dict[str, int]]]:
    """Return show lighting's stores: its saved state, and its reserved sequence numbers."""
    return (
        Store(hass, STORAGE_VERSION, f"{DOMAIN}.lighting.{entry_id}"),
        Store(hass, STORAGE_VERSION, f"{DOMAIN}.lighting.{entry_id}.seq"),
    )


class LightingCoordinator:
    """Owns one lighting entry's engine, universe, outputs, input and saved state."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Read the entry's options; async_start brings everything up."""
        self.hass = hass
        self.entry = entry
        self.base: str = entry.data[CONF_BASE]
        self.availability_topic = device_state_topic(hub_device_id(self.base))
        self.options: dict[str, Any] = {**LIGHTING_DEFAULTS, **entry.options}
        try:
            self.fixtures = parse_fixtures(str(self.options[CONF_FIXTURES]))
        except FixtureError as err:
            LOGGER.error(
                "Lighting fixtures are invalid (%s); using one RGB fixture", err
            )
            self.fixtures = parse_fixtures(str(LIGHTING_DEFAULTS[CONF_FIXTURES]))
        self.universe = Patch(self.fixtures)
        self.dedupe = Dedupe(
            ttl=float(self.options[CONF_DEDUPE_TTL]),
            capacity=int(self.options[CONF_DEDUPE_CAPACITY]),
        )
        self.engine = LightingEngine(self.dedupe, int(self.options[CONF_QUEUE_SIZE]))
        self.store, self.seq_store = saved_stores(hass, entry.entry_id)
        self._reserving = False
        self.rig = Rig(
            hass,
            entry,
            self.options,
            self.universe,
            on_console=self._submit_console,
            on_change=lambda: self._notify(Change.STATUS),
        )
        self._listeners: dict[Change, list[CALLBACK_TYPE]] = {
            change: [] for change in Change
        }
        self._throttles = {
            change: Debouncer(
                hass,
                LOGGER,
                cooldown=cooldown,
                immediate=True,
                function=partial(self._call_listeners, change),
            )
            for change, cooldown in (
                (Change.LOOK, LOOK_COOLDOWN),
                (Change.COUNTERS, COUNTERS_COOLDOWN),
            )
        }
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._tasks: list[asyncio.Task[None]] = []
        # State publishes under way; a stop lets them finish before "offline".
        self._publishing: set[asyncio.Task[None]] = set()
        # Nothing is saved over the stored state before it has been read.
        self._restored = False
        self._transitions: dict[str, float] = {}
        self._last_color = (255, 255, 255)

    @property
    def device_identifier(self) -> str:
        """Return the identifier of the Show lighting device in PropNet's domain."""
        return f"lighting:{self.base}"

    @property
    def output_status(self) -> dict[str, str]:
        """Return each configured output's (and the input's) status."""
        return self.rig.status

    @property
    def primary(self) -> Fixture:
        """Return the fixture that follows the RGB channel."""
        return self.fixtures[0]

    # -- Listeners ------------------------------------------------------------

    @callback
    def async_add_listener(
        self, listener: CALLBACK_TYPE, change: Change = Change.LOOK
    ) -> CALLBACK_TYPE:
        """Call ``listener`` when ``change`` happens (looks and counters throttled)."""
        listeners = self._listeners[change]
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def _notify(self, *changes: Change) -> None:
        for change in changes:
            if (throttle := self._throttles.get(change)) is not None:
                throttle.async_schedule_call()
            else:
                self._call_listeners(change)

    @callback
    def _call_listeners(self, change: Change) -> None:
        for listener in list(self._listeners[change]):
            listener()

    # -- Start and stop ---------------------------------------------------------

    async def async_start(self) -> None:
        """Restore, subscribe, republish and start the outputs."""
        saved = saved_data.load(await self.store.async_load() or {})
        if saved.state is not None:
            self.engine.state = saved.state
        self.dedupe.restore(saved.dedupe)
        for fixture in self.fixtures[1:]:
            if fixture.name in saved.levels:
                self.universe.set(fixture.name, saved.levels[fixture.name], 0)
        self._show_primary(self.engine.state, 0.0)
        self._restored = True
        if saved.last_color is not None:
            self._last_color = saved.last_color
        reserved = int((await self.seq_store.async_load() or {}).get("reserved", 0))
        if self.engine.state.seq < reserved:
            # Killed between saves: states up to ``reserved`` may have gone
            # out after the last save. Go on above all of them.
            LOGGER.warning(
                "Show lighting on %s did not stop cleanly; seq goes on from %d",
                self.base,
                reserved,
            )
            self.engine.state = replace(self.engine.state, seq=reserved)
        await self._reserve(self.engine.state.seq + SEQ_BLOCK)
        self._unsubscribe.append(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._on_hass_stop)
        )
        if not self.engine.state.ts:
            self.engine.state = replace(self.engine.state, ts=time.time_ns() // 10**6)

        self.engine.add_listener(self._on_state)
        self.engine.on_batch = lambda: self._notify(Change.LOOK, Change.COUNTERS)
        self._unsubscribe.append(
            await mqtt.async_subscribe(
                self.hass, cmd_topic(self.base), self._on_command, qos=0, encoding=None
            )
        )
        await self._announce_state()
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._on_connection)
        )
        self._tasks.append(
            self.entry.async_create_background_task(
                self.hass, self.engine.run(), "propnet lighting engine"
            )
        )
        self.rig.start()
        await self.rig.async_start_input()

    async def _reserve(self, ceiling: int) -> None:
        """Save ``ceiling`` as reserved, then let the engine go up to it."""
        await self.seq_store.async_save({"reserved": ceiling})
        self.engine.seq_ceiling = ceiling
        self.engine.wake()

    @callback
    def _on_hass_stop(self, _: Event) -> None:
        """Home Assistant stops without unloading: say offline, record a clean seq.

        The publish starts at once (eager), before Home Assistant's MQTT
        client stops; the task is tracked, so the stop waits for it.
        """
        self.engine.seq_ceiling = self.engine.state.seq
        self.seq_store.async_delay_save(lambda: {"reserved": self.engine.state.seq}, 0)
        self.hass.async_create_task(
            self._say_availability("offline"),
            "propnet lighting offline",
            eager_start=True,
        )

    async def _say_availability(self, payload: str) -> None:
        await mqtt.async_publish(
            self.hass, self.availability_topic, payload, qos=1, retain=True
        )

    async def _reserve_more(self) -> None:
        """Reserve the next block; keep trying, or the engine stops at the ceiling."""
        delay = 1.0
        try:
            while True:
                try:
                    await self._reserve(self.engine.state.seq + SEQ_BLOCK)
                except (OSError, HomeAssistantError) as err:
                    LOGGER.warning(
                        "Cannot save show lighting's seq reserve (%s); retrying in %.0f s",
                        err,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                return
        finally:
            self._reserving = False

    async def _announce_state(self) -> None:
        """Say the hub is online and publish the retained state (a fresh hub's too)."""
        await self._say_availability("online")
        await self._publish(self.engine.state)

    @callback
    def _on_connection(self, connected: bool) -> None:
        # A broker that restarted may have lost its retained messages (no
        # persistence, or killed before saving): receivers must not go dark.
        if connected:
            self.entry.async_create_background_task(
                self.hass, self._announce_state(), "propnet lighting republish"
            )

    def _submit_console(self, command: RgbCommand) -> None:
        self.engine.submit(command, Source.CONSOLE)

    async def async_stop(self) -> None:
        """Stop everything, say the hub is offline and save at once.

        Safe after a start that failed part-way: it undoes what was started.
        """
        while self._unsubscribe:
            self._unsubscribe.pop()()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(*self._publishing, return_exceptions=True)
        for throttle in self._throttles.values():
            throttle.async_shutdown()
        await self.rig.async_stop()
        if not self._restored:
            return
        if mqtt.is_connected(self.hass):
            await self._say_availability("offline")
        await self.store.async_save(self._data())
        # Stopped cleanly: the saved state holds the last seq published.
        await self.seq_store.async_save({"reserved": self.engine.state.seq})

    # -- State ------------------------------------------------------------------

    def _data(self) -> dict[str, Any]:
        return saved_data.dump(
            self.engine.state,
            self.dedupe.snapshot(),
            {f.name: self.universe.target(f.name) for f in self.fixtures[1:]},
            self._last_color,
        )

    @callback
    def _on_command(self, msg: mqtt.ReceiveMessage) -> None:
        payload = msg.payload
        if not self.engine.submit_payload(
            payload.encode() if isinstance(payload, str) else payload, Source.DEVICE
        ):
            self._notify(Change.COUNTERS)  # a counter changed; nothing was queued

    async def _publish(self, state: RgbState) -> None:
        await mqtt.async_publish(
            self.hass,
            state_topic(self.base),
            json.dumps(state.as_payload(), separators=(",", ":")),
            qos=1,
            retain=True,
        )

    @callback
    def _on_state(self, state: RgbState) -> None:
        task = self.hass.async_create_task(self._publish(state), eager_start=True)
        if not task.done():
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)
        ceiling = self.engine.seq_ceiling
        if (
            ceiling is not None
            and state.seq >= ceiling - SEQ_BLOCK // 2
            and not self._reserving
        ):
            self._reserving = True
            self.entry.async_create_background_task(
                self.hass, self._reserve_more(), "propnet lighting seq reserve"
            )
        self._show_primary(state, self._transitions.pop(state.cmd_id or "", 0.0))
        if (state.r, state.g, state.b) != (0, 0, 0):
            self._last_color = (state.r, state.g, state.b)
        self.store.async_delay_save(self._data, SAVE_DELAY)

    def _show_primary(self, state: RgbState, seconds: float) -> None:
        level = primary_level(self.primary.kind, state.r, state.g, state.b)
        self.universe.set(self.primary.name, level, time.monotonic(), seconds)
        self.rig.wake()

    # -- Commands from Home Assistant -----------------------------------------------

    def submit_rgb(
        self,
        rgb: tuple[int, int, int],
        src: str = "home-assistant",
        transition: float = 0.0,
    ) -> Submitted:
        """Queue an RGB change from Home Assistant (a UI source)."""
        command = RgbCommand(new_ulid(), src, *rgb)
        if transition:
            self._transitions[command.cmd_id] = transition
        return self.engine.submit(command, Source.UI)

    @property
    def last_color(self) -> tuple[int, int, int]:
        """Return the last colour that was not black, for turning back on."""
        return self._last_color

    def set_fixture(self, name: str, level: Level, transition: float = 0.0) -> None:
        """Fade a fixture other than the primary one."""
        self.universe.set(name, level, time.monotonic(), transition)
        # The frame leaves now (a show's cue is timed to it); Home
        # Assistant's state follows.
        self.rig.send_now()
        self.store.async_delay_save(self._data, SAVE_DELAY)
        self._notify(Change.LOOK)

    def diagnostics(self) -> dict[str, Any]:
        """Return the lighting state, counters, outputs and fixtures."""
        stats = self.engine.stats
        return {
            "base": self.base,
            "state": self.engine.state.as_payload(),
            "queue_depth": self.engine.queue_depth,
            "stats": {
                "processed": stats.processed,
                "deduplicated": stats.deduplicated,
                "rejected": stats.rejected,
                "dropped": stats.dropped,
                "overflowed": stats.overflowed,
                "rejected_by_reason": dict(stats.by_reason),
                "last_latency_ms": stats.last_latency_ms,
            },
            **self.rig.diagnostics(),
            "fixtures": [
                {
                    "name": f.name,
                    "universe": f.universe,
                    "start": f.start,
                    "end": f.end,
                    "kind": f.kind.value,
                }
                for f in self.fixtures
            ],
        }
