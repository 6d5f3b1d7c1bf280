"""The DMX side of show lighting: outputs and input, their status and repairs, and the frames sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import time
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import (
    CONF_ENTTEC_FPS,
    CONF_ENTTEC_MORE,
    CONF_ENTTEC_PORT,
    CONF_ENTTEC_UNIVERSE,
    CONF_INPUT_BAUDRATE,
    CONF_INPUT_CHANNEL,
    CONF_INPUT_PORT,
    CONF_NETWORK_OUTPUTS,
    CONF_OLA_UNIVERSE,
    CONF_OLA_URL,
    CONF_SACN_INPUT_CHANNEL,
    CONF_SACN_INPUT_PORT,
    CONF_SACN_INPUT_UNIVERSE,
    DOMAIN,
)
from ..protocol.rgb import RgbCommand
from .inputs.sacn_input import SacnInput
from .inputs.sparkfun import ConsoleMapper, SerialLineReader
from .outputs.enttec import EnttecOutput, Status
from .outputs.network import (
    NetworkOutput,
    NetworkOutputError,
    NetworkStatus,
    parse_network_outputs,
)
from .outputs.ola import OlaOutput, OlaStatus
from .outputs.ports import PortListError, parse_widgets
from .universe import Patch

_LOGGER = logging.getLogger(__name__)

# A fading universe is rendered at this rate; outputs limit their own rate.
FRAME_RATE: Final = 44.0
# OLA down this long becomes a repair issue; it goes when OLA answers again.
OLA_REPAIR_AFTER: Final = 60.0


class Rig:
    """The configured outputs (Enttec, OLA) and DMX input of one lighting entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        options: dict[str, Any],
        universe: Patch,
        *,
        on_console: Callable[[RgbCommand], None],
        on_change: Callable[[], None],
    ) -> None:
        """Describe the rig; start() opens what the options name."""
        self.hass = hass
        self.entry = entry
        self.options = options
        self.universe = universe
        self.status: dict[str, str] = {}
        # Each widget and the universe it shows.
        self.enttecs: list[tuple[EnttecOutput, int]] = []
        # One OLA output per patched universe: universe u goes to OLA
        # universe (the OLA universe option) + u - 1.
        self.olas: dict[int, OlaOutput] = {}
        self.console: ConsoleMapper | None = None
        self._reader: SerialLineReader | None = None
        self.network: list[NetworkOutput] = []
        self.desk: ConsoleMapper | None = None
        self._sacn: SacnInput | None = None
        self._on_console = on_console
        self._on_change = on_change
        self._tasks: list[asyncio.Task[None]] = []
        self._frame_wake = asyncio.Event()
        self._last: dict[int, bytes] = {}
        self._ola_down_since: float | None = None
        self._ola_timer: asyncio.TimerHandle | None = None

    def _from_thread[*Args](
        self, func: Callable[[*Args], None]
    ) -> Callable[[*Args], None]:
        """Wrap ``func`` so a worker thread can call it; it runs in the event loop."""
        loop = self.hass.loop

        def call(*args: *Args) -> None:
            loop.call_soon_threadsafe(func, *args)

        return call

    def start(self) -> None:
        """Open the outputs and the input the options name, and start sending frames."""
        widgets = []
        if port := str(self.options[CONF_ENTTEC_PORT]).strip():
            widgets.append((port, int(self.options[CONF_ENTTEC_UNIVERSE])))
        try:
            widgets += parse_widgets(str(self.options[CONF_ENTTEC_MORE]))
        except PortListError as err:
            _LOGGER.error(  # noqa: TRY400 - the message says it all
                "Further Enttec widgets are invalid (%s); none is started", err
            )
        for port, universe in widgets:
            enttec = EnttecOutput(
                port,
                fps=float(self.options[CONF_ENTTEC_FPS]),
                on_status=self._from_thread(
                    lambda _: self._set_status("enttec", self._enttec_status())
                ),
            )
            self.enttecs.append((enttec, universe))
            enttec.start()
        if self.enttecs:
            self.status["enttec"] = self._enttec_status()
        if url := str(self.options[CONF_OLA_URL]).strip():
            first = int(self.options[CONF_OLA_UNIVERSE])
            for universe in self.universe.universes:
                ola = OlaOutput(
                    async_get_clientsession(self.hass),
                    url,
                    universe=first + universe - 1,
                    on_status=lambda _: self._set_status("ola", self._ola_status()),
                )
                self.olas[universe] = ola
                self._tasks.append(
                    self.entry.async_create_background_task(
                        self.hass, ola.run(), f"propnet lighting ola {universe}"
                    )
                )
            self.status["ola"] = self._ola_status()
        if port := str(self.options[CONF_INPUT_PORT]).strip():
            self.console = ConsoleMapper(
                self._from_thread(self._on_console),
                first=int(self.options[CONF_INPUT_CHANNEL]),
            )
            self._reader = SerialLineReader(
                port,
                self.console.feed,
                baudrate=int(self.options[CONF_INPUT_BAUDRATE]),
                on_connected=self._from_thread(
                    lambda up: self._set_status(
                        "dmx_input", "connected" if up else "disconnected"
                    )
                ),
            )
            self.status["dmx_input"] = "disconnected"
            self._reader.start()
        self._start_network()
        self._tasks.append(
            self.entry.async_create_background_task(
                self.hass, self._pump_frames(), "propnet lighting frames"
            )
        )
        self.wake()

    def _start_network(self) -> None:
        """Start the sACN and Art-Net outputs; the sACN input opens in start_input."""
        try:
            targets = parse_network_outputs(str(self.options[CONF_NETWORK_OUTPUTS]))
        except NetworkOutputError as err:
            # The options flow refuses such text; stored options may predate it.
            _LOGGER.error(  # noqa: TRY400 - the message says it all; no traceback
                "Network outputs are invalid (%s); none is started", err
            )
            targets = []
        for target in targets:
            output = NetworkOutput(
                target,
                self.universe.universes,
                on_status=lambda _: self._set_status("network", self._network_status()),
            )
            self.network.append(output)
            self._tasks.append(
                self.entry.async_create_background_task(
                    self.hass,
                    output.run(),
                    f"propnet lighting {target.protocol} {target.host or 'multicast'}",
                )
            )
        if self.network:
            # An output may have started already: its task starts eagerly.
            self.status["network"] = self._network_status()
        if universe := int(self.options[CONF_SACN_INPUT_UNIVERSE]):
            self.desk = ConsoleMapper(
                self._from_thread(self._on_console),
                first=int(self.options[CONF_SACN_INPUT_CHANNEL]),
                src="sacn-input",
            )
            self._sacn = SacnInput(
                universe,
                self._from_thread(self.desk.feed_frame),
                self._from_thread(
                    lambda up: self._set_status(
                        "sacn_input", "receiving" if up else "waiting"
                    )
                ),
                port=int(self.options[CONF_SACN_INPUT_PORT]),
            )
            self.status["sacn_input"] = "waiting"

    async def async_start_input(self) -> None:
        """Open the sACN input's socket (in the executor: it binds and starts a thread)."""
        if self._sacn is not None:
            try:
                await self.hass.async_add_executor_job(self._sacn.start)
            except OSError as err:
                _LOGGER.error(  # noqa: TRY400 - the message says it all
                    "The sACN input cannot listen on port %d: %s",
                    self._sacn.port,
                    err,
                )
                self._sacn = None

    def _network_status(self) -> str:
        """Return the network outputs' status: failed if any fails."""
        statuses = {output.status for output in self.network}
        for status in (NetworkStatus.FAILED, NetworkStatus.STOPPED):
            if status in statuses:
                return status.value
        return NetworkStatus.SENDING.value

    async def async_stop(self) -> None:
        """Stop sending and close the serial ports (in the executor: they block)."""
        self._cancel_ola_timer()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        workers: list[EnttecOutput | SerialLineReader | SacnInput] = [
            enttec for enttec, _ in self.enttecs
        ]
        workers += [w for w in (self._reader, self._sacn) if w is not None]
        for worker in workers:
            await self.hass.async_add_executor_job(worker.stop)

    def wake(self) -> None:
        """Say the universe changed: render and send a frame."""
        self._frame_wake.set()

    def _enttec_status(self) -> str:
        """Return the widgets' status: the worst of them."""
        statuses = {enttec.status for enttec, _ in self.enttecs}
        for status in (
            Status.NOT_A_PRO,
            Status.DISCONNECTED,
            Status.CONNECTING,
            Status.STOPPED,
        ):
            if status in statuses:
                return status.value
        return Status.CONNECTED.value

    def _ola_status(self) -> str:
        """Return OLA's status: unreachable if any universe's requests fail."""
        statuses = {ola.status for ola in self.olas.values()}
        for status in (OlaStatus.UNREACHABLE, OlaStatus.STOPPED):
            if status in statuses:
                return status.value
        return OlaStatus.CONNECTED.value

    @callback
    def _set_status(self, output: str, status: str) -> None:
        self.status[output] = status
        if output == "ola":
            self._track_ola(status)
        self._on_change()

    def _track_ola(self, status: str) -> None:
        issue_id = f"ola_unreachable_{self.entry.entry_id}"
        if status == OlaStatus.UNREACHABLE.value:
            if self._ola_down_since is None:
                self._ola_down_since = time.monotonic()
                self._ola_timer = self.hass.loop.call_later(
                    OLA_REPAIR_AFTER, self._ola_still_down
                )
            return
        self._ola_down_since = None
        self._cancel_ola_timer()
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _cancel_ola_timer(self) -> None:
        if self._ola_timer is not None:
            self._ola_timer.cancel()
            self._ola_timer = None

    @callback
    def _ola_still_down(self) -> None:
        self._ola_timer = None
        if (
            self._ola_down_since is not None
            and time.monotonic() - self._ola_down_since >= OLA_REPAIR_AFTER - 0.1
            and self.olas
        ):
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"ola_unreachable_{self.entry.entry_id}",
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="ola_unreachable",
                translation_placeholders={"url": next(iter(self.olas.values())).url},
            )

    def send_now(self) -> None:
        """Render the universes and hand the changed ones to the outputs in this step, as a cue.

        A show's cue (and a fixture set from Home Assistant) calls this at its
        instant, so its first frame neither waits for the pump task's turn in
        the loop nor for the outputs' frame-rate cap; the pump then carries
        on any fade.
        """
        self._render(cue=True)
        self._frame_wake.set()

    def _render(self, cue: bool) -> None:
        frames = self.universe.frames(time.monotonic())
        for universe, frame in frames.items():
            if frame == self._last.get(universe):
                continue
            for enttec, shown in self.enttecs:
                if shown == universe:
                    enttec.update(frame, cue)
            if (ola := self.olas.get(universe)) is not None:
                ola.update(frame)
            for output in self.network:
                output.update(universe, frame, cue)
        self._last = frames

    async def _pump_frames(self) -> None:
        """Render the universes for the outputs: on each change, and every frame of a fade.

        Each Enttec widget shows its universe; OLA and the network outputs
        every patched universe.
        """
        interval = 1.0 / FRAME_RATE
        while True:
            self._frame_wake.clear()
            self._render(cue=False)
            if self.universe.fading(time.monotonic()):
                await asyncio.sleep(interval)
                continue
            await self._frame_wake.wait()

    def diagnostics(self) -> dict[str, Any]:
        """Return the outputs' status and the DMX input's counters."""
        return {
            "outputs": dict(self.status),
            "enttec": [
                {
                    "port": enttec.port,
                    "universe": universe,
                    "status": enttec.status.value,
                    "frames": enttec.frames_sent,
                }
                for enttec, universe in self.enttecs
            ],
            "network": [
                {
                    "protocol": output.target.protocol.value,
                    "host": output.target.host or "multicast",
                    "universes": output.universes,
                    "status": output.status.value,
                    "frames": output.frames_set,
                }
                for output in self.network
            ],
            "sacn_input": None
            if self._sacn is None or self.desk is None
            else {
                "universe": self._sacn.universe,
                "frames": self._sacn.frames,
                "forwarded": self.desk.forwarded,
            },
            "dmx_input": None
            if self.console is None
            else {
                "lines": self.console.lines,
                "malformed": self.console.malformed,
                "forwarded": self.console.forwarded,
            },
        }
