"""Run PropNet for real: a mosquitto broker and Home Assistant with the integration.

Started by scripts/develop; Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
import shutil
import signal
import sys
import time
from types import FrameType

from .broker import Broker
from .demo import install_dashboard, set_up_propnet
from .hass import PASSWORD, REPO, USERNAME, Hass
from .olad import Olad, ola_installed
from .procs import port_open
from .pty_widget import PtyWidget
from .virtual_prop import VirtualProp

RUNTIME = REPO / ".run" / "develop"
VIRTUAL_PROPS = ("coffin_jumper", "talking_skull", "rgb_receiver", "rgb_sender")


def _kill_leftovers(pidfile: Path) -> None:
    """Stop processes a previous run left behind when it was killed outright."""
    if not pidfile.exists():
        return
    for line in pidfile.read_text().split():
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            os.killpg(int(line), signal.SIGTERM)
            print(f"develop: stopped process group {line} left by an earlier run")
    pidfile.unlink()
    time.sleep(0.5)


def _check_free(port: int, what: str, option: str) -> None:
    if port_open(port):
        sys.exit(
            f"develop: port {port} for {what} is in use; stop what uses it or pass {option}"
        )


def main(argv: list[str] | None = None) -> int:
    """Start the broker and Home Assistant, then wait for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's HTTP port"
    )
    parser.add_argument("--mqtt-port", type=int, default=1883, help="the broker's port")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="forget the previous run's Home Assistant state",
    )
    parser.add_argument(
        "--runtime", type=Path, default=RUNTIME, help="where the run keeps its state"
    )
    args = parser.parse_args(argv)

    runtime: Path = args.runtime
    runtime.mkdir(parents=True, exist_ok=True)
    pidfile = runtime / "pids"
    _kill_leftovers(pidfile)
    if args.fresh:
        shutil.rmtree(runtime / "config", ignore_errors=True)
        shutil.rmtree(runtime / "broker", ignore_errors=True)
    _check_free(args.port, "Home Assistant", "--port")
    _check_free(args.mqtt_port, "the MQTT broker", "--mqtt-port")

    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    broker = Broker(runtime / "broker", port=args.mqtt_port)
    hass = Hass(runtime / "config", REPO / ".run" / "cache", port=args.port)
    started: list[int] = []
    props: list[VirtualProp] = []
    widget: PtyWidget | None = None
    ola: Olad | None = None
    try:
        print(f"develop: starting mosquitto on 127.0.0.1:{broker.port}")
        broker.start()
        started.append(broker.process.pid)
        pidfile.write_text(" ".join(map(str, started)))
        # A virtual Enttec DMX USB Pro: a pseudo-terminal that decodes frames.
        link = runtime / "dev" / "usb-ENTTEC_DMX_USB_PRO_EN777-if00-port0"
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        widget = PtyWidget(link)
        print(f"develop: virtual Enttec DMX USB Pro at {widget.link}")
        if ola_installed():
            ola = Olad(runtime / "ola").start()
            started.append(ola.process.pid)
            pidfile.write_text(" ".join(map(str, started)))
            print(f"develop: olad at {ola.url} (universe 1)")
        else:
            print("develop: olad is not installed; show lighting runs without OLA")
        print(f"develop: starting Home Assistant (logs in {runtime}/config/hass.out)")
        hass.prepare()
        # The room show: motion at the coffin starts it (docs/shows.md).
        shows = hass.config / "propnet" / "shows"
        shows.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "docs" / "shows" / "crypt.yaml", shows / "crypt.yaml")
        hass.process.start()
        started.append(hass.process.pid)
        pidfile.write_text(" ".join(map(str, started)))
        hass.wait_ready()
        hass.ensure_mqtt(broker.host, broker.port)
        for name in VIRTUAL_PROPS:
            print(
                f"develop: starting the virtual {name} (PropNet firmware on MicroPython)"
            )
            prop = VirtualProp(
                name,
                runtime / "props" / name,
                broker.host,
                broker.port,
                # The sender's knobs turn by themselves: the show's colour moves.
                env={"PROPNET_SIM_ADC": "sweep"},
            )
            props.append(prop.start())
            started.append(prop.process.pid)
            pidfile.write_text(" ".join(map(str, started)))
        set_up_propnet(hass, widget.link, ola.url if ola else None)
        dashboard = install_dashboard(hass)
        print(
            "\n"
            f"  Home Assistant: {hass.url}\n"
            f"  Show dashboard: {dashboard}\n"
            f"  Login:          {USERNAME} / {PASSWORD}\n"
            f"  MQTT broker:    {broker.url} (anonymous)\n"
            "  Virtual props running PropNet's firmware under MicroPython are\n"
            f"  announcing themselves ({', '.join(VIRTUAL_PROPS)}); their consoles\n"
            f"  log to {runtime}/props/<name>/prop.log. PropNet and its show\n"
            "  lighting are set up (a virtual Enttec on a pseudo-terminal, and OLA\n"
            "  when olad is installed); the dashboard is docs/dashboard.yaml.\n"
            "\n"
            "develop: running; press Ctrl-C to stop"
        )
        while not stopping:
            broker.process.check_alive()
            hass.process.check_alive()
            for prop in props:
                prop.process.check_alive()
            time.sleep(0.5)
    except RuntimeError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    finally:
        # Home Assistant first: it then says offline for show lighting while
        # the broker is up, and no output of its vanishes under it.
        print("\ndevelop: stopping Home Assistant, the props, olad and mosquitto")
        hass.stop()
        for prop in props:
            prop.stop()
        if widget is not None:
            widget.close()
        if ola is not None:
            ola.stop()
        broker.stop()
        pidfile.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
