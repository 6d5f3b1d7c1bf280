"""Shows in Home Assistant: the show files of a props hub, a runner each, and what their cues act on.

Show files are ``<config>/propnet/shows/<name>.yaml``; each becomes a device
with a media player (play, pause, stop, seek), and a show with a ``cycle``
is a haunt room: its trigger is followed here, its idle loop played while it
waits. They are read when the props hub starts and by the
``propnet.reload_shows`` action; a file that does not load raises a repair
issue naming its file and line until it is fixed. The config folder is in
Home Assistant's backups, and so are the shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
import time
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .hub.hub import PropHub
from .lighting.coordinator import LightingCoordinator
from .lighting.universe import Kind
from .protocol.cues import Cue
from .protocol.names import DEFAULT_PREFIX
from .show.compile import ShowError, load_show
from .show.cycle import HauntCycle
from .show.interpreter import INTERPRETER
from .show.leads import Leads
from .show.model import ActionCue, LightCue, SequenceCue, Show, Trigger
from .show.runner import Runner
from .show.timer import PreciseTimer

FOLDER: Final = ("propnet", "shows")
# How often the show folder is looked at for files saved, added or removed.
WATCH_INTERVAL: Final = timedelta(seconds=5)
# How long a measured action may take to show before it counts as no measure.
MEASURE_TIMEOUT: Final = 10.0
# The measured leads are saved this long after a measure (several cues of one
# run make one write), and once more when the hub unloads.
LEADS_SAVE_DELAY: Final = 10.0
LEADS_STORAGE_VERSION: Final = 1
# What the folder held: each file's name, modification time and size.
type Fingerprint = tuple[tuple[str, int, int], ...]
DATA_SHOWS: HassKey[dict[str, ShowLibrary]] = HassKey(f"{DOMAIN}_shows")
# Only the hub of this prefix runs the show files (props of other prefixes
# cannot be named in them yet).
SHOWS_PREFIX: Final = DEFAULT_PREFIX


class HubTargets:
    """What a show's cues act on through one props hub and Home Assistant's actions."""

    def __init__(self, hass: HomeAssistant, hub: PropHub, entry_id: str) -> None:
        """Act through ``hub`` and ``hass``; keep measured leads in the entry's store."""
        self.hass = hass
        self.hub = hub
        self.leads = Leads()
        self.leads_store: Store[dict[str, Any]] = leads_store(hass, entry_id)
        self._sliced: dict[
            int, tuple[SequenceCue, list[tuple[int, int, int, int]]]
        ] = {}

    async def async_restore_leads(self) -> None:
        """Take back the leads measured before Home Assistant last stopped."""
        saved = await self.leads_store.async_load() or {}
        measures = saved.get("measures")
        if not isinstance(measures, dict):
            measures = {}
        if dropped := self.leads.restore(measures):
            LOGGER.warning(
                "%s saved measured leads were malformed and are measured again",
                dropped,
            )

    def _saved(self) -> dict[str, Any]:
        return {"measures": self.leads.measures()}

    def _measured(self, key: str, took_ms: float) -> None:
        self.leads.add(key, took_ms)
        self.leads_store.async_delay_save(self._saved, LEADS_SAVE_DELAY)

    async def async_save_leads(self) -> None:
        """Write the measured leads now (the hub unloads)."""
        await self.leads_store.async_save(self._saved())

    def runs_shows(self, prop: str) -> bool:
        """Return whether the prop's announce says it runs cue lists."""
        found = self.hub.props.get(prop)
        return (
            found is not None
            and found.announce is not None
            and found.announce.show_cues is not None
        )

    def not_ready(self, prop: str) -> str | None:
        """Return why the prop cannot take part now, or None."""
        found = self.hub.props.get(prop)
        if found is None or found.announce is None:
            return "unknown prop"
        if not self.hub.available(prop):
            return "offline"
        if self.runs_shows(prop) and found.values.get("clock_synced") is not True:
            return "clock not synced"
        return None

    async def load(self, prop: str, show: str, cues: list[Cue]) -> None:
        """Send the prop its cue list."""
        await self.hub.async_load_show(prop, show, cues)

    async def start(self, prop: str, at_us: int, from_ms: int) -> None:
        """Start the prop's show at hub time ``at_us``."""
        await self.hub.async_start_show(prop, at_us, from_ms)

    async def halt(self, prop: str, pause: bool) -> None:
        """Pause or stop the prop's show."""
        await self.hub.async_command(prop, "show_pause" if pause else "show_stop")

    async def command(self, prop: str, cue: Cue) -> None:
        """Carry out a cue on a prop that does not fire cue lists: one command, now."""
        spec = self.hub.spec(prop, cue.key) if cue.op != "run" else None
        if cue.op == "run":
            await self.hub.async_command(prop, cue.key)
        elif cue.op in ("on", "off"):
            if spec is not None and spec.type in ("light", "siren"):
                value: Any = {**(cue.value or {}), "on": cue.op == "on"}
            else:
                value = cue.op == "on"
            await self.hub.async_command(prop, "set", cue.key, value)
        elif cue.op == "set":
            await self.hub.async_command(prop, "set", cue.key, cue.value)
        elif cue.op == "press":
            await self.hub.async_command(prop, "press", cue.key)
        else:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cue_needs_shows",
                translation_placeholders={"prop": prop, "op": cue.op},
            )

    async def call(self, cue: ActionCue) -> None:
        """Call a Home Assistant action; for a measured lead, time it to its effect.

        The effect is the first state change of an entity the action targets
        (a light reporting it is on); an action without entities (a script,
        ``mqtt.publish``) is timed until it returns.
        """
        if not cue.measured:
            await self.hass.services.async_call(
                cue.domain,
                cue.service,
                cue.data,
                blocking=False,
                target=cue.target or None,
            )
            return
        entities = cue.target.get("entity_id") or []
        if isinstance(entities, str):
            entities = [entities]
        began = time.monotonic()
        if not entities:
            await self.hass.services.async_call(
                cue.domain, cue.service, cue.data, blocking=True, target=None
            )
            self._measured(cue.measure_key, (time.monotonic() - began) * 1000)
            return
        changed = self.hass.loop.create_future()

        @callback
        def on_change(_event: Event[EventStateChangedData]) -> None:
            if not changed.done():
                changed.set_result(time.monotonic())

        unsubscribe = async_track_state_change_event(self.hass, entities, on_change)
        try:
            await self.hass.services.async_call(
                cue.domain, cue.service, cue.data, blocking=False, target=cue.target
            )
            try:
                async with asyncio.timeout(MEASURE_TIMEOUT):
                    seen = await changed
            except TimeoutError:
                # Nothing changed (it was already so, or the device is
                # silent): no measure, and the lead stays what it was.
                self.leads.timeouts += 1
                return
            self._measured(cue.measure_key, (seen - began) * 1000)
        finally:
            unsubscribe()

    def lead_ms(self, cue: ActionCue) -> int:
        """Return the action's measured lead (the show's own until measured)."""
        if not cue.measured:
            return cue.lead_ms
        return self.leads.lead_ms(cue.measure_key, cue.lead_ms)

    def _lighting(self, fixture: str) -> LightingCoordinator | None:
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            lighting = getattr(entry, "runtime_data", None)
            if (
                entry.state is ConfigEntryState.LOADED
                and isinstance(lighting, LightingCoordinator)
                and any(f.name == fixture for f in lighting.fixtures)
            ):
                return lighting
        return None

    def _lightings(self) -> list[LightingCoordinator]:
        return [
            lighting
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
            and isinstance(
                lighting := getattr(entry, "runtime_data", None), LightingCoordinator
            )
        ]

    def sequence_not_ready(self) -> str | None:
        """Return why sequences cannot play (no show lighting), or None."""
        return None if self._lightings() else "no show lighting"

    @callback
    def sequence_frame(self, owner: str, cue: SequenceCue, frame: bytes) -> None:
        """Lay the frame's channels over show lighting's universes and send them now."""
        channels: dict[int, list[tuple[int, bytes]]] = {}
        for start, end, universe, first in self._slices(cue):
            channels.setdefault(universe, []).append((first, frame[start:end]))
        for lighting in self._lightings()[:1]:
            lighting.universe.layer(owner, channels)
            lighting.rig.send_now()

    def _slices(self, cue: SequenceCue) -> list[tuple[int, int, int, int]]:
        # Worked out once per cue and kept: a frame is every 25 ms.
        found = self._sliced.get(id(cue))
        if found is None or found[0] is not cue:
            found = self._sliced[id(cue)] = (cue, cue.slices())
        return found[1]

    @callback
    def sequence_clear(self, owner: str) -> None:
        """Take the sequence's channels away."""
        for lighting in self._lightings():
            lighting.universe.clear_layer(owner)
            lighting.rig.wake()

    def fixture_not_ready(self, fixture: str) -> str | None:
        """Return why a show lighting fixture cannot take part, or None."""
        lighting = self._lighting(fixture)
        if lighting is None:
            return "no such fixture"
        if (
            next(f for f in lighting.fixtures if f.name == fixture).kind
            is Kind.CHANNELS
        ):
            return "not a light"
        return None

    @callback
    def light(self, show: str, cue: LightCue) -> None:
        """Set the fixture now; the frame leaves in this step of the loop."""
        lighting = self._lighting(cue.fixture)
        if lighting is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="no_fixture",
                translation_placeholders={"fixture": cue.fixture},
            )
        if cue.fixture == lighting.primary.name:
            # The RGB channel has one writer: the show is one more source.
            before = lighting.engine.state
            back = (before.r, before.g, before.b)
            self._rgb(lighting, show, cue)
            if cue.flash_ms:
                self.hass.loop.call_later(
                    cue.flash_ms / 1000,
                    lambda: lighting.submit_rgb(back, f"show {show}", 0.0),
                )
            return
        previous = lighting.universe.target(cue.fixture)
        level = replace(
            previous,
            brightness=previous.brightness
            if cue.brightness is None
            else cue.brightness,
        )
        if cue.brightness is None and previous.brightness == 0:
            level = replace(level, brightness=255)
        if cue.rgb is not None:
            level = replace(level, r=cue.rgb[0], g=cue.rgb[1], b=cue.rgb[2])
        lighting.set_fixture(cue.fixture, level, cue.fade_ms / 1000)
        if cue.flash_ms:
            self.hass.loop.call_later(
                cue.flash_ms / 1000,
                lambda: lighting.set_fixture(cue.fixture, previous, 0.0),
            )

    @staticmethod
    def _rgb(lighting: LightingCoordinator, show: str, cue: LightCue) -> None:
        state = lighting.engine.state
        rgb = cue.rgb or (
            lighting.last_color
            if (state.r, state.g, state.b) == (0, 0, 0)
            else (state.r, state.g, state.b)
        )
        peak = max(rgb) or 1
        scale = 1.0 if cue.brightness is None else cue.brightness / 255
        if cue.brightness is not None and cue.rgb is None:
            scale *= 255 / peak
        out = (
            round(rgb[0] * scale),
            round(rgb[1] * scale),
            round(rgb[2] * scale),
        )
        if not lighting.submit_rgb(out, f"show {show}", cue.fade_ms / 1000):
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="lighting_refused",
                translation_placeholders={"show": show},
            )


def _fingerprint(folder: Path) -> Fingerprint:
    """Return what the folder holds now (run in the executor)."""
    if not folder.is_dir():
        return ()
    found = []
    for path in folder.iterdir():
        try:
            info = path.stat()
        except OSError:
            continue
        found.append((path.name, info.st_mtime_ns, info.st_size))
    return tuple(sorted(found))


def _read(folder: Path) -> tuple[Fingerprint, dict[str, Show], dict[str, str]]:
    """Return the folder's fingerprint, taken before reading, and its shows (executor)."""
    seen = _fingerprint(folder)
    return (seen, *_load_all(folder))


def _load_all(folder: Path) -> tuple[dict[str, Show], dict[str, str]]:
    """Return the shows that load and the problems of those that do not (run in the executor).

    File I/O, and sequences decompressed and packed again: never in the loop.
    """
    shows: dict[str, Show] = {}
    problems: dict[str, str] = {}
    if not folder.is_dir():
        return shows, problems

    def beside(name: str) -> bytes:
        path = folder / name
        if path.is_symlink() or path.parent != folder:
            raise OSError(f"{name} is not a file in {folder}")
        return path.read_bytes()

    for path in sorted(folder.glob("*.yaml")):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            shows[path.stem] = load_show(text, str(path), path.stem, beside)
        except ShowError as err:
            problems[path.stem] = str(err)
    return shows, problems


class ShowLibrary:
    """The shows of one props hub: loaded from files, each with its runner."""

    def __init__(self, hass: HomeAssistant, hub: PropHub, entry_id: str) -> None:
        """Nothing is read until ``async_load``."""
        self.hass = hass
        self.hub = hub
        self.targets = HubTargets(hass, hub, entry_id)
        self.folder = Path(hass.config.path(*FOLDER))
        self.runners: dict[str, Runner] = {}
        # One timerfd wakes every show's cues and frames at their instant.
        self.timer = PreciseTimer()
        self.cycles: dict[str, HauntCycle] = {}
        self._unfollow: dict[str, Callable[[], None]] = {}
        self.problems: dict[str, str] = {}
        self._listeners: list[Callable[[], None]] = []
        self._loaded: Fingerprint = ()
        self._last_look: Fingerprint | None = None
        self._stop_watching: Callable[[], None] | None = None
        self._unlisten_stop: Callable[[], None] | None = None

    def watch(self) -> None:
        """Reload when the show folder changes: a file saved, added or removed.

        A change is read once the folder has looked the same for one whole
        interval, so a file still being written is not read half-way.
        """
        self._stop_watching = async_track_time_interval(
            self.hass, self._look, WATCH_INTERVAL, cancel_on_shutdown=True
        )
        self._unlisten_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_stop
        )

    @callback
    def _on_stop(self, _event: Event) -> None:
        # Entries are not unloaded when Home Assistant stops; its shows end all the same.
        self._unlisten_stop = None
        self._let_go_of_interpreter()

    def _let_go_of_interpreter(self) -> None:
        for runner in self.runners.values():
            INTERPRETER.release(runner)
        for cycle in self.cycles.values():
            if cycle.idle is not None:
                INTERPRETER.release(cycle.idle)

    async def _look(self, _now: object = None) -> None:
        seen = await self.hass.async_add_executor_job(_fingerprint, self.folder)
        settled = seen == self._last_look
        self._last_look = seen
        if settled and seen != self._loaded:
            LOGGER.info("The show folder changed; reading the shows again")
            await self.async_load()

    def listen(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when the set of shows changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_load(self) -> None:
        """Read every show file; keep the runners of shows that did not change."""
        self._loaded, shows, problems = await self.hass.async_add_executor_job(
            _read, self.folder
        )
        for name, runner in list(self.runners.items()):
            if name not in shows or shows[name] != runner.show:
                if runner.state != "idle":
                    await runner.stop()
                self._drop_cycle(name)
                runner.close()
                INTERPRETER.release(runner)
                del self.runners[name]
        for name, show in shows.items():
            if name not in self.runners:
                self.runners[name] = self._runner(show)
                if show.cycle is not None:
                    self._add_cycle(name, self.runners[name])
        for name in set(self.problems) - set(problems):
            ir.async_delete_issue(self.hass, DOMAIN, f"show_invalid_{name}")
        for name, text in problems.items():
            LOGGER.error("Show %s did not load:\n%s", name, text)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"show_invalid_{name}",
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="show_invalid",
                translation_placeholders={"name": name, "errors": text},
            )
        self.problems = problems
        for listener in list(self._listeners):
            listener()

    def diagnostics(self) -> dict[str, Any]:
        """Return each show's state and counts, the files that did not load, and the interpreter hold."""
        return {
            "heap_frozen": INTERPRETER.held,
            "shows": {
                name: {
                    "state": runner.state,
                    "runs": runner.runs,
                    "fired": runner.fired,
                    "skipped": runner.skipped,
                    "failed": runner.failed,
                    "cue_lateness_ms": runner.lateness(),
                    "hub_timed": list(runner.hub_timed),
                }
                for name, runner in sorted(self.runners.items())
            },
            "problems": dict(self.problems),
        }

    def _runner(
        self, show: Show, *, loop: bool = False, hub_timed: bool = False
    ) -> Runner:
        """Return a runner for ``show`` on this hub's timer, holding the interpreter (heap frozen, switch interval short) while it plays."""
        runner = Runner(
            show,
            self.targets,
            loop=loop,
            hub_timed=hub_timed,
            sleep_until=self.timer.sleep_until,
        )

        def on_change() -> None:
            if runner.state == "playing":
                INTERPRETER.hold(runner)
            else:
                INTERPRETER.release(runner)

        runner.listen(on_change)
        return runner

    def _add_cycle(self, name: str, runner: Runner) -> None:
        plan = runner.show.cycle
        assert plan is not None
        idle = (
            self._runner(plan.idle, loop=True, hub_timed=True)
            if plan.idle is not None
            else None
        )
        cycle = self.cycles[name] = HauntCycle(
            plan, runner, idle, now=time.monotonic, minute_of_day=_local_minute
        )
        if plan.trigger is not None:
            self._unfollow[name] = self._follow(plan.trigger, cycle)
        runner.spawn(cycle.async_idle())

    def _follow(self, trigger: Trigger, cycle: HauntCycle) -> Callable[[], None]:
        """Start ``cycle``'s show when its trigger happens; return how to stop."""

        @callback
        def fire(what: str) -> None:
            LOGGER.debug("%s: triggered by %s", cycle.runner.show.name, what)
            cycle.runner.spawn(_trigger(cycle))

        if trigger.event is not None:
            event_type = trigger.event

            @callback
            def on_event(_event: Event) -> None:
                fire(event_type)

            return self.hass.bus.async_listen(event_type, on_event)
        assert trigger.entity_id is not None

        @callback
        def on_state(event: Event[EventStateChangedData]) -> None:
            new, old = event.data["new_state"], event.data["old_state"]
            if new is None or new.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                return
            if trigger.to is not None:
                if new.state != trigger.to or (
                    old is not None and old.state == trigger.to
                ):
                    return
            elif old is None or old.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                # Coming back is no event.
                return
            fire(new.entity_id)

        return async_track_state_change_event(self.hass, [trigger.entity_id], on_state)

    def _drop_cycle(self, name: str) -> None:
        if (unfollow := self._unfollow.pop(name, None)) is not None:
            unfollow()
        if (cycle := self.cycles.pop(name, None)) is not None:
            cycle.close()
            if cycle.idle is not None:
                INTERPRETER.release(cycle.idle)

    def close(self) -> None:
        """Cancel every show's schedule and the folder's watch (on unload)."""
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None
        if self._unlisten_stop is not None:
            self._unlisten_stop()
            self._unlisten_stop = None
        self._let_go_of_interpreter()
        for name in list(self.cycles):
            self._drop_cycle(name)
        for runner in self.runners.values():
            runner.close()
        self.timer.close()


async def _trigger(cycle: HauntCycle) -> None:
    reason = await cycle.async_trigger()
    if reason is not None:
        LOGGER.info("%s: a trigger was refused (%s)", cycle.runner.show.name, reason)


def _local_minute() -> int:
    now = dt_util.now()
    return now.hour * 60 + now.minute


def shows_of(hass: HomeAssistant, entry_id: str) -> ShowLibrary | None:
    """Return the shows the props hub of ``entry_id`` runs, if its prefix has them."""
    return hass.data.get(DATA_SHOWS, {}).get(entry_id)


async def async_setup_shows(
    hass: HomeAssistant, entry_id: str, hub: PropHub
) -> ShowLibrary | None:
    """Read the show files for the hub of ``entry_id`` when its prefix runs them."""
    if hub.prefix != SHOWS_PREFIX:
        return None
    library = ShowLibrary(hass, hub, entry_id)
    await library.targets.async_restore_leads()
    await library.async_load()
    library.watch()
    hass.data.setdefault(DATA_SHOWS, {})[entry_id] = library
    return library


async def async_unload_shows(hass: HomeAssistant, entry_id: str) -> None:
    """Cancel the hub's shows, save what was measured and forget them (on unload)."""
    library = hass.data.get(DATA_SHOWS, {}).pop(entry_id, None)
    if library is not None:
        library.close()
        await library.targets.async_save_leads()


def leads_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store of the measured leads of the hub of ``entry_id``."""
    return Store(hass, LEADS_STORAGE_VERSION, f"{DOMAIN}.shows.{entry_id}.leads")


async def async_reload_all(hass: HomeAssistant) -> None:
    """Read the show files again for every props hub that runs them."""
    for library in list(hass.data.get(DATA_SHOWS, {}).values()):
        await library.async_load()
