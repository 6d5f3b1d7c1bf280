"""Benchmark: a big show in a real Home Assistant (recorder on): 50 props, 2,000 cues and four universes of an xLights sequence at 40 fps.

Fifty props are simulated on one MQTT connection (each announces shows,
a synced clock and a lid, and acknowledges every command as the firmware
does); show lighting sends universes 1 to 4 over sACN to a receiver of the
sacn library. The show is 30 s: each prop toggles its lid 40 times, and an
FSEQ file made here (2,048 channels, 1,200 frames, zstd) plays onto the
four universes. Home Assistant's event-loop lag is probed from outside the
whole time: a websocket ``ping`` every 20 ms, its round trip measured (the
loop must run the handler); the same probe with Home Assistant idle, in the
same run, is the reference. Each run also counts the sequence frames shown
and skipped and the sACN packets per universe.

With ``--soak-minutes N`` the show loops for N minutes (started again as it
ends) and each minute's loop lag, Home Assistant's resident memory, frames
skipped and cues skipped are printed, to show they stay flat.

    .venv/bin/python -m bench.show_scale --runs 3
    .venv/bin/python -m bench.show_scale --runs 1 --soak-minutes 60
"""

from __future__ import annotations

import argparse
from collections import Counter
import json
from pathlib import Path
import queue
import statistics
import tempfile
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import sacn

from bench.probes import LagProbe, percentiles, rss_kb
from bench.show_hass import set_up_entries
from custom_components.propnet.show.fseq import write_fseq
from tests.harness.broker import Broker
from tests.harness.hass import REPO, Hass
from tests.harness.procs import free_port, wait_until

PROPS, TOGGLES, SHOW_S, STEP_MS, UNIVERSES = 50, 40, 30, 25, 4
PLAYER = "media_player.big_show"


def show_file() -> str:
    """Return the show: 2,000 prop cues and the sequence from 0 s."""
    lines = ["name: Big show", "lead: 1", "cues:", "  - {at: 0, sequence: big.fseq}"]
    every = SHOW_S / TOGGLES
    for prop in range(PROPS):
        for i in range(TOGGLES):
            op = "turn_on" if i % 2 == 0 else "turn_off"
            # Props spread across each step, as a real show's would be.
            at = round(i * every + prop * every / PROPS, 3)
            lines.append(f"  - {{at: {at}, prop: big_{prop:02d}, {op}: lid}}")
    return "\n".join(lines) + f"\nduration: {SHOW_S}\n"


def sequence_file() -> bytes:
    """Return a 30 s FSEQ of four universes at 40 fps: a chase every frame changes."""
    channels = UNIVERSES * 512
    frames = [
        bytes((n * 3 + c) % 256 for c in range(channels))
        for n in range(SHOW_S * 1000 // STEP_MS)
    ]
    return write_fseq(frames, STEP_MS, frames_per_block=40)


class Props:
    """Fifty props with shows on one MQTT connection: announce, status, an ack for every command."""

    def __init__(self, port: int) -> None:
        """Connect and announce every prop."""
        self.commands: Counter[str] = Counter()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("propnet/+/cmd", 1)
        for n in range(PROPS):
            prop = f"big_{n:02d}"
            announce = {
                "v": 1,
                "id": prop,
                "name": f"Big {n:02d}",
                "show": {"v": 1, "max_cues": 256},
                "entities": [
                    {"key": "lid", "type": "switch"},
                    {"key": "clock_synced", "type": "binary_sensor"},
                ],
            }
            self.client.publish(f"propnet/{prop}/availability", "online", 1, True)
            self.client.publish(
                f"propnet/{prop}/announce", json.dumps(announce), 1, True
            )
            self.client.publish(
                f"propnet/{prop}/status",
                json.dumps({"lid": False, "clock_synced": True}),
                1,
                True,
            )

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        command = json.loads(msg.payload)
        self.commands[command["action"]] += 1
        prop = msg.topic.split("/")[1]
        client.publish(
            f"propnet/{prop}/ack",
            json.dumps({"correlation_id": command["correlation_id"], "ok": True}),
            1,
        )

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


class Packets:
    """An sACN receiver of the sacn library counting packets per universe."""

    def __init__(self, port: int) -> None:
        """Listen on loopback ``port`` to universes 1 to 4."""
        self.seen: queue.Queue[int] = queue.Queue()
        self.receiver = sacn.sACNreceiver(bind_address="127.0.0.1", bind_port=port)
        for universe in range(1, UNIVERSES + 1):
            self.receiver.register_listener(
                "universe",
                lambda packet: self.seen.put(packet.universe),
                universe=universe,
            )
        self.receiver.start()

    def count(self) -> Counter[int]:
        """Return the packets per universe since the last count."""
        out: Counter[int] = Counter()
        while True:
            try:
                out[self.seen.get_nowait()] += 1
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop listening."""
        self.receiver.stop()


def attributes(hass: Hass) -> dict[str, Any]:
    """Return the show's media player attributes."""
    found: dict[str, Any] = hass.states()[PLAYER]["attributes"]
    return found


def play(hass: Hass) -> float:
    """Press play; return when (the show's zero is a second later)."""
    hass.post("/api/services/media_player/media_play", {"entity_id": PLAYER})
    return time.monotonic()


def run_once(
    hass: Hass, probe: LagProbe, packets: Packets, props: Props
) -> dict[str, Any]:
    """Idle reference, then one play of the show: loop lag both ways, frames, packets."""
    quiet_from = time.monotonic()
    time.sleep(10)
    idle = percentiles(probe.between(quiet_from, time.monotonic()))
    before = attributes(hass)
    packets.count()
    started = play(hass)
    wait_until(
        lambda: hass.states()[PLAYER]["state"] == "playing", 10, "the show to play"
    )
    wait_until(
        lambda: hass.states()[PLAYER]["state"] == "idle", SHOW_S + 20, "the show to end"
    )
    ended = time.monotonic()
    after = attributes(hass)
    return {
        "idle": idle,
        "show": percentiles(probe.between(started, ended)),
        "frames_shown": after["frames_shown"] - before["frames_shown"],
        "frames_skipped": after["frames_skipped"] - before["frames_skipped"],
        "cues_skipped": after["cues_skipped"] - before["cues_skipped"],
        "packets": dict(sorted(packets.count().items())),
        "loads": props.commands["show_load"],
    }


def soak(hass: Hass, probe: LagProbe, minutes: int) -> None:
    """Loop the show for ``minutes``; print each minute's lag, memory and skips."""
    print(f"  soak: the 30 s show looping for {minutes} min")
    print(
        "    minute, loop lag p50 / p99 / max ms, RSS MB, frames skipped, cues skipped, runs"
    )
    end = time.monotonic() + minutes * 60
    minute_start = time.monotonic()
    minute = 0
    while time.monotonic() < end:
        if hass.states()[PLAYER]["state"] == "idle":
            play(hass)
        time.sleep(1)
        if time.monotonic() - minute_start >= 60:
            minute += 1
            lag = percentiles(probe.between(minute_start, time.monotonic()))
            got = attributes(hass)
            print(
                f"    {minute:3d}, {lag[0]:.2f} / {lag[1]:.2f} / {lag[2]:.2f},"
                f" {rss_kb(hass) / 1024:.0f}, {got['frames_skipped']},"
                f" {got['cues_skipped']}, {got['runs']}",
                flush=True,
            )
            minute_start = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    """Play the big show ``--runs`` times; print min / median / max; optionally soak."""
    parser = argparse.ArgumentParser(prog="bench.show_scale", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--soak-minutes", type=int, default=0)
    args = parser.parse_args(argv)
    print(time.strftime("bench.show_scale, %Y-%m-%d %H:%M"))
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        broker = Broker(folder / "broker").start()
        hass = Hass(folder / "hass", REPO / ".run" / "cache").prepare().start()
        port = free_port()
        packets = Packets(port)
        props: Props | None = None
        probe: LagProbe | None = None
        try:
            hass.ensure_mqtt(broker.host, broker.port)
            set_up_entries(hass, None, f"sacn 127.0.0.1:{port} universes=1,2,3,4")
            shows = hass.config / "propnet" / "shows"
            shows.mkdir(parents=True, exist_ok=True)
            (shows / "big.fseq").write_bytes(sequence_file())
            (shows / "big.yaml").write_text(show_file())
            props = Props(broker.port)
            hass.post("/api/services/propnet/reload_shows", {})
            wait_until(
                lambda: (
                    (hass.states().get(PLAYER) or {})
                    .get("attributes", {})
                    .get("not_ready")
                    == {}
                ),
                120,
                "the big show to be ready",
            )
            probe = LagProbe(hass)
            for _ in range(args.runs):
                results.append(run_once(hass, probe, packets, props))
                print(f"  run: {results[-1]}", flush=True)
            if args.soak_minutes:
                soak(hass, probe, args.soak_minutes)
        finally:
            if probe is not None:
                probe.close()
            if props is not None:
                props.close()
            packets.close()
            hass.stop()
            broker.stop()
    for key, label in (("idle", "idle (reference)"), ("show", "during the show")):
        parts = []
        for i, name in enumerate(("p50", "p99", "max")):
            column = [r[key][i] for r in results]
            parts.append(
                f"{name} {min(column):.2f} / {statistics.median(column):.2f} / {max(column):.2f}"
            )
        print(
            f"  loop lag (websocket ping round trip), {label}: "
            + ", ".join(parts)
            + " ms"
        )
    ratio = [r["show"][1] / r["idle"][1] for r in results if r["idle"][1]]
    if ratio:
        print(
            "  p99 during the show / idle: "
            f"{min(ratio):.2f} / {statistics.median(ratio):.2f} / {max(ratio):.2f}"
        )
    for key in ("frames_shown", "frames_skipped", "cues_skipped"):
        column = [r[key] for r in results]
        print(f"  {key}: {min(column)} / {statistics.median(column)} / {max(column)}")
    print(
        f"reproduce: .venv/bin/python -m bench.show_scale --runs {args.runs}"
        + (f" --soak-minutes {args.soak_minutes}" if args.soak_minutes else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
