"""sACN (E1.31) input: a lighting desk or console on the network drives the RGB channel."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any, Final

import sacn  # type: ignore[import-untyped]

_LOGGER = logging.getLogger(__name__)

SACN_PORT: Final = 5568
DEFAULT_SRC: Final = "sacn-input"


class SacnInput:
    """Listens to one sACN universe in the sacn library's thread.

    Each new frame of the universe goes to ``on_frame`` and the source coming
    and going (sACN's 2.5 s timeout) to ``on_source``, both from that thread:
    the caller hands them to the event loop. Unicast and multicast both
    arrive; the multicast group is joined when the system allows it.
    """

    def __init__(
        self,
        universe: int,
        on_frame: Callable[[tuple[int, ...]], None],
        on_source: Callable[[bool], None],
        *,
        port: int = SACN_PORT,
        bind_address: str = "0.0.0.0",  # noqa: S104 - a console may send from anywhere
    ) -> None:
        """Describe the input; start() listens."""
        self.universe = universe
        self.port = port
        self.frames = 0
        self._on_frame = on_frame
        self._on_source = on_source
        self._bind_address = bind_address
        self._receiver: Any = None

    def _frame(self, packet: Any) -> None:
        self.frames += 1
        self._on_frame(tuple(packet.dmxData))

    def _availability(self, universe: int, changed: str) -> None:
        if universe == self.universe:
            self._on_source(changed == "available")

    def start(self) -> None:
        """Open the socket and start the library's thread (blocking: an executor job)."""
        receiver = sacn.sACNreceiver(
            bind_address=self._bind_address, bind_port=self.port
        )
        receiver.register_listener("universe", self._frame, universe=self.universe)
        receiver.register_listener("availability", self._availability)
        try:
            receiver.join_multicast(self.universe)
        except OSError as err:
            _LOGGER.info("sACN input takes unicast only: %s", err)
        receiver.start()
        self._receiver = receiver

    def stop(self) -> None:
        """Stop the thread and close the socket (blocking: an executor job)."""
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None
