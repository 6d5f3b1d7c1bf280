"""A whole show on real parts, locked down as in production, for the system tests and bench.

mosquitto with passwords and an ACL (each prop may write only its own topics),
Home Assistant with PropNet and show lighting, the virtual coffin jumper and
RGB receiver on MicroPython, a virtual Enttec DMX USB Pro on a pseudo-terminal,
olad when installed, and a test-only integration that measures the event
loop's lag.
"""

from __future__ import annotations

import json
from pathlib import Path
import time
from typing import Any

from .broker import Broker
from .demo import set_up_propnet
from .hass import REPO, Hass
from .olad import Olad, ola_installed
from .procs import wait_until
from .pty_widget import PtyWidget
from .virtual_prop import VirtualProp

RUN = REPO / ".run" / "cache"
PROBE = REPO / "tests" / "system" / "loop_probe"
HA_LOGIN = ("homeassistant", "ha-secret")
TESTER_LOGIN = ("tester", "tester-secret")
PROPS = ("coffin_jumper", "rgb_receiver")

# Each prop's MQTT user is its prop id: %u below. A prop may write its own
# topics and read its commands, Home Assistant's status and the RGB state;
# it may send RGB commands and say whether it is online. Nothing else.
ACL = """\
user homeassistant
topic readwrite #

user tester
topic readwrite #

pattern write propnet/%u/announce
pattern write propnet/%u/availability
pattern write propnet/%u/status
pattern write propnet/%u/telemetry
pattern write propnet/%u/event
pattern write propnet/%u/ack
pattern write propnet/%u/log
pattern read propnet/%u/cmd
pattern read homeassistant/status
pattern read v1/demo/rgb/state
pattern write v1/demo/rgb/cmd
pattern readwrite v1/devices/%u/state
"""


def prop_password(prop_id: str) -> str:
    """Return the broker password of a prop."""
    return f"{prop_id}-secret"


class Show:
    """Everything running; ``stop`` ends it."""

    def __init__(self, folder: Path) -> None:
        """Start the broker, outputs, Home Assistant and the props; wait until all are live."""
        self.folder = folder
        users = dict([HA_LOGIN, TESTER_LOGIN])
        users.update({p: prop_password(p) for p in PROPS})
        self.broker = Broker(folder / "broker", users=users, acl=ACL).start()
        link = folder / "dev" / "usb-ENTTEC_DMX_USB_PRO_EN777-if00-port0"
        link.parent.mkdir(parents=True, exist_ok=True)
        self.widget = PtyWidget(link)
        self.olad = Olad(folder / "ola").start() if ola_installed() else None
        self.hass = Hass(folder / "hass", RUN).prepare()
        self._add_probe()
        self.hass.start()
        self.hass.ensure_mqtt(
            self.broker.host,
            self.broker.port,
            username=HA_LOGIN[0],
            password=HA_LOGIN[1],
        )
        set_up_propnet(self.hass, link, self.olad.url if self.olad else None)
        self.props = {p: self.new_prop(p).start() for p in PROPS}
        self.wait_available(
            "switch.coffin_jumper_lid", "light.rgb_receiver_strip", timeout=60
        )

    def _add_probe(self) -> None:
        config = self.hass.config
        target = config / "custom_components" / "loop_probe"
        if not target.exists():
            target.symlink_to(PROBE, target_is_directory=True)
        text = (config / "configuration.yaml").read_text()
        if "loop_probe:" not in text:
            (config / "configuration.yaml").write_text(text + "\nloop_probe:\n")

    def new_prop(self, prop_id: str, password: str | None = None) -> VirtualProp:
        """Return (not started) the virtual prop ``prop_id`` with its broker login."""
        return VirtualProp(
            prop_id,
            self.folder / "props" / prop_id,
            self.broker.host,
            self.broker.port,
            extra={
                "mqtt": {
                    "user": prop_id,
                    "password": password or prop_password(prop_id),
                }
            },
        )

    # What the tests look at

    def states(self) -> dict[str, dict[str, Any]]:
        """Return every entity's state."""
        return self.hass.states()

    def state(self, entity_id: str) -> dict[str, Any]:
        """Return one entity's state (or an empty dict)."""
        return self.states().get(entity_id) or {}

    def propnet_entities(self) -> list[str]:
        """Return the entity ids of PropNet's props and lighting."""
        prefixes = ("coffin_jumper", "rgb_receiver", "show_lighting")
        return [e for e in self.states() if e.split(".", 1)[1].startswith(prefixes)]

    def wait_available(self, *entity_ids: str, timeout: float = 30) -> float:
        """Wait until every entity is available; return how long it took."""
        started = time.monotonic()

        def ready() -> bool:
            states = self.states()
            return all(
                states.get(e, {}).get("state") not in (None, "unavailable")
                for e in entity_ids
            )

        wait_until(ready, timeout, f"{', '.join(entity_ids)} available", 0.1)
        return time.monotonic() - started

    def probe(self, reset: bool = False) -> dict[str, float]:
        """Return the event-loop lag figures (and reset them)."""
        figures: dict[str, float] = self.hass.get(
            "/api/loop_probe" + ("?reset=1" if reset else "")
        )
        return figures

    def diagnostics(self, title: str) -> dict[str, Any]:
        """Return the diagnostics of the PropNet entry titled ``title``."""
        for entry in self.hass.entries("propnet"):
            if entry["title"] == title:
                data: dict[str, Any] = self.hass.get(
                    f"/api/diagnostics/config_entry/{entry['entry_id']}"
                )["data"]
                return data
        raise KeyError(title)

    def log_lines(self, needle: str) -> list[str]:
        """Return Home Assistant's log lines containing ``needle``."""
        log = self.hass.config / "home-assistant.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return [line for line in text.splitlines() if needle in line]

    def stop(self) -> None:
        """Stop everything."""
        for prop in self.props.values():
            prop.stop()
        self.hass.stop()
        if self.olad is not None:
            self.olad.stop()
        self.widget.close()
        self.broker.stop()


def rgb_command(cmd_id: str, r: int, g: int, b: int, src: str = "tester") -> str:
    """Return an RGB channel command."""
    return json.dumps({"cmdId": cmd_id, "src": src, "r": r, "g": g, "b": b})
