"""Shows as media players: play, pause, stop and seek a show from dashboards, automations, scenes and voice."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import (
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    entity_platform,
    issue_registry as ir,
)
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .runtime import PropsConfigEntry
from .show.runner import NotReadyError, ShowBusyError
from .show_entity import ShowEntity, async_add_show_entities
from .shows import ShowLibrary

PARALLEL_UPDATES = 0
SERVICE_START_SHOW = "start_show"
SERVICE_TRIGGER_SHOW = "trigger_show"
ATTR_POSITION = "position"
ATTR_ANYWAY = "anyway"
REASONS = {
    "unknown prop": "it has not announced",
    "offline": "offline",
    "clock not synced": "its clock is not synced",
}
# How often a show looks at whether its props are ready, for its attributes.
READINESS_INTERVAL = timedelta(seconds=2)
STATES = {
    "idle": MediaPlayerState.IDLE,
    "playing": MediaPlayerState.PLAYING,
    "paused": MediaPlayerState.PAUSED,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a media player for each show file, and follow the files as they are reloaded."""
    if (
        async_add_show_entities(
            hass,
            entry,
            "media_player",
            async_add_entities,
            lambda entry_id, library, name: [ShowPlayer(entry_id, library, name)],
        )
        is None
    ):
        return
    entity_platform.async_get_current_platform().async_register_entity_service(
        SERVICE_START_SHOW,
        {
            vol.Optional(ATTR_POSITION, default=0): vol.All(
                vol.Coerce(float), vol.Range(min=0)
            ),
            vol.Optional(ATTR_ANYWAY, default=False): cv.boolean,
        },
        "async_start_show",
    )
    entity_platform.async_get_current_platform().async_register_entity_service(
        SERVICE_TRIGGER_SHOW, None, "async_trigger_show"
    )


class ShowPlayer(ShowEntity, MediaPlayerEntity):
    """One show: its state, position and duration, and the counts of its runs."""

    _attr_name = None
    _attr_translation_key = "show"
    _attr_supported_features = (
        MediaPlayerEntityFeature.PLAY
        | MediaPlayerEntityFeature.PAUSE
        | MediaPlayerEntityFeature.STOP
        | MediaPlayerEntityFeature.SEEK
    )

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Stand for show ``name``."""
        super().__init__(entry_id, library, name, None)
        self._updated: datetime = dt_util.utcnow()
        self._ready: tuple[dict[str, str], list[str]] = ({}, [])
        self._refused = False

    async def async_added_to_hass(self) -> None:
        """Hear the runner's changes; look at the props' readiness now and then."""
        await super().async_added_to_hass()
        self._ready = self._readiness()
        self.async_on_remove(
            async_track_time_interval(self.hass, self._check_ready, READINESS_INTERVAL)
        )

    def _readiness(self) -> tuple[dict[str, str], list[str]]:
        runner = self.runner
        hub_timed = [p for p in runner.show.props if not runner.targets.runs_shows(p)]
        return runner.readiness(), hub_timed

    @callback
    def _check_ready(self, _now: datetime) -> None:
        ready = self._readiness()
        if not ready[0] and self._refused:
            self._refused = False
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        if ready != self._ready:
            self._ready = ready
            self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        """Take back the repair this show raised."""
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    @callback
    def _changed(self) -> None:
        self._updated = dt_util.utcnow()
        self._ready = self._readiness()
        self.async_write_ha_state()

    @property
    def state(self) -> MediaPlayerState:
        """Return idle, playing or paused."""
        return STATES[self.runner.state]

    @property
    def media_title(self) -> str:
        """Return the show's title."""
        return self.runner.show.title

    @property
    def media_duration(self) -> int:
        """Return how long the show runs, in whole seconds."""
        return round(self.runner.show.duration_ms / 1000)

    @property
    def media_position(self) -> int:
        """Return where the show was at the last update, in whole seconds."""
        return self.runner.position_ms // 1000

    @property
    def media_position_updated_at(self) -> datetime:
        """Return when the position was read."""
        return self._updated

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the runs, the cues skipped or failed, the hub's cue lateness, and which props are not ready."""
        runner = self.runner
        return {
            "runs": runner.runs,
            "cues_skipped": runner.skipped,
            "cues_failed": runner.failed,
            "frames_shown": runner.frames_shown,
            "frames_skipped": runner.frames_skipped,
            # The hub's own cues (lights, actions, older props) since the
            # start: how late it reached them, as props report theirs.
            "cue_lateness_ms": runner.lateness(),
            "props": list(runner.show.props),
            "not_ready": self._ready[0],
            # Props without a show clock (older firmware): their cues are
            # commands Home Assistant sends at the instant, as Wi-Fi allows.
            "not_synced": self._ready[1],
            # Actions with ``lead: measured``: how early each is called now.
            "measured_leads_ms": {
                cue.measure_key: runner.targets.lead_ms(cue)
                for cue in runner.show.action_cues
                if cue.measured
            },
        }

    async def async_media_play(self) -> None:
        """Start the show, or go on after a pause; refuse it while a prop it needs is not ready."""
        if self.runner.state == "paused":
            await self._guarded(self.runner.resume())
        else:
            await self._guarded(self.runner.play())

    async def async_start_show(self, position: float = 0, anyway: bool = False) -> None:
        """Start from ``position`` seconds; ``anyway`` starts without props that are not ready."""
        await self._guarded(self.runner.play(round(position * 1000), force=anyway))

    async def async_trigger_show(self) -> None:
        """Trigger the show as its room's sensor would: the cycle's rules decide.

        A refusal (disarmed, running, cooling down, quiet hours, the hour's
        runs, props not ready) is no error: it is counted, fired on the
        show's event entity and shown on its Cycle sensor. A show without a
        cycle starts if it is not running.
        """
        if self.cycle is not None:
            await self.cycle.async_trigger()
        elif self.runner.state == "idle":
            await self._guarded(self.runner.play())

    async def _guarded(self, start: Coroutine[Any, Any, None]) -> None:
        try:
            await start
        except NotReadyError as err:
            reasons = ", ".join(
                f"{p} ({REASONS.get(r, r)})" for p, r in err.reasons.items()
            )
            # The repair stays while the show stays unready, so the user
            # sees why the show they wanted did not run.
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="show_not_ready",
                translation_placeholders={
                    "show": self.runner.show.title,
                    "reasons": reasons,
                },
            )
            self._refused = True
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="show_not_ready",
                translation_placeholders={
                    "show": self.runner.show.title,
                    "reasons": reasons,
                },
            ) from None
        except ShowBusyError:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="show_running",
                translation_placeholders={"show": self.runner.show.title},
            ) from None

    @property
    def _issue_id(self) -> str:
        return f"show_not_ready_{self.name_key}"

    async def async_media_pause(self) -> None:
        """Hold the show where it is."""
        await self.runner.pause()

    async def async_media_stop(self) -> None:
        """Stop the show."""
        await self.runner.stop()

    async def async_media_seek(self, position: float) -> None:
        """Move to ``position`` seconds."""
        await self.runner.seek(round(position * 1000))
