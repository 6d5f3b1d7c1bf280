"""Benchmark: a show played from its media player in a real Home Assistant (recorder on), idle and under bench.system's load.

Three props run PropNet's firmware on the MicroPython unix port under
libfaketime (seconds off, 100 to 200 ppm fast or slow) at a real-time
priority, and keep the time of Home Assistant's own show clock, found from
the retained message it publishes. The show file has 20 lid toggles per
prop 100 ms apart, 20 light cues on a show lighting dimmer (Enttec DMX USB
Pro on a pseudo-terminal, and sACN) and
20 ``mqtt.publish`` action cues, each 50 ms after a prop cue. It is played
through ``media_player.media_play`` over the REST API. Everything is stamped
outside Home Assistant on the machine's monotonic clock (Home Assistant's
show clock too): each prop pin change, each DMX frame and sACN packet in a
receiving process of their own (``bench/dmxstamp.py``: the kernel's
receive instant for sACN), each action's MQTT message at a subscriber in
a process of its own (``bench/mqttstamp.py``), both at the props' real-time
priority. The same sACN packets and action messages also go to a receiver
of the sacn library and a subscriber inside the bench's process, as this
bench first measured them: the two in the same run say what stamping in a
busy process adds.
Each run plays the show once with Home Assistant idle and once while the
load of ``bench.system``'s load scenario runs: 100 props sending telemetry
every second and 200 RGB commands a second into show lighting (which makes
the RGB fixture change at 40 frames a second on the same outputs).

With ``--soak-minutes N`` a 30 s show of the same kinds (100 cues each,
300 ms apart) then loops for N minutes in the same Home Assistant, one line
a minute: lateness of each kind, loop lag (websocket pings, as
bench.show_scale probes it), resident memory and cues lost, and beside them
what the machine did that minute: the time the host stole from it
(/proc/stat), and the stalls of two sleeping probes, one above the props'
real-time priority (the machine not running at all) and one at Home
Assistant's own (also the real-time processes keeping both cores). Before and after the soak, with
no show playing, Home Assistant runs one full collection on the bench's
signal (``bench/gcwatch``): whether the memory that grew was garbage not
yet looked for, or objects still kept.

Home Assistant's collections that hold it 5 ms or more (and every full one) are logged from
inside it (``bench/gcwatch``, put on its PYTHONPATH) and shown beside the
loop lag: while a show plays, PropNet keeps them short (``show/interpreter.py``).
The bench's own collections are shown too (its own action subscriber and
sACN receiver stamp on its clock, so a pause of its own looks late there),
and in the soak it freezes what it has kept each minute, so
that they stay short.

    .venv/bin/python -m bench.show_hass --runs 3
    .venv/bin/python -m bench.show_hass --runs 1 --soak-minutes 60
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
import gc
import json
import os
from pathlib import Path
import queue
import shutil
import signal
import statistics
import tempfile
import threading
import time

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import sacn

from custom_components.propnet.protocol.commands import new_ulid
from custom_components.propnet.protocol.timesync import hub_us
from tests.harness.broker import Broker
from tests.harness.demo import set_lighting_options
from tests.harness.hass import REPO, Hass, HassError
from tests.harness.procs import free_port, wait_until
from tests.harness.showroom import Room, firings, realtime_allowed, show_room
from tests.harness.watcher import Watcher

from .dmxstamp import DmxStamps
from .gcwatch.gcpauses import watch
from .mqttstamp import MqttStamps
from .probes import LagProbe, StallProbe, percentiles, rss_kb, stolen_ms

CUES, EVERY_MS, PROPS = 20, 100, 3
SOAK_CUES, SOAK_EVERY_MS = 100, 300  # the soak's show: 30 s
PLAYER = "media_player.room_show"
WASH = 4  # the dimmer's channel (demo fixtures: Main 1-3, Wash 4)
ACTION_TOPIC = "bench/show/cue"
LIGHT_AT_MS, ACTION_AT_MS = 20, 50


def light_level(i: int) -> int:
    """Return the dimmer level light cue ``i`` sets: every cue a new one."""
    return 10 + (i * 37) % 240


def show_file(cues: int = CUES, every_ms: int = EVERY_MS) -> str:
    """Return the show: lid toggles on every prop, a dimmer cue and an action cue every ``every_ms``."""
    lines = ["name: Room show", "lead: 0.5", "cues:"]
    for i in range(cues):
        op = "turn_on" if i % 2 == 0 else "turn_off"
        at = i * every_ms / 1000
        lines.extend(
            f"  - {{at: {at}, prop: cue_{p}, {op}: lid}}" for p in range(PROPS)
        )
        lines.append(
            f"  - {{at: {at + LIGHT_AT_MS / 1000}, light: Wash, brightness: {light_level(i)}}}"
        )
        lines.append(
            f"  - {{at: {at + ACTION_AT_MS / 1000}, action: mqtt.publish,"
            f" data: {{topic: {ACTION_TOPIC}, payload: '{i}'}}}}"
        )
    return "\n".join(lines) + "\n"


class SacnTimes:
    """An sACN receiver of the sacn library: each packet's arrival and the dimmer's value."""

    def __init__(self, port: int) -> None:
        """Listen on loopback ``port`` for universe 1."""
        self.packets: queue.Queue[tuple[float, int]] = queue.Queue()
        self.receiver = sacn.sACNreceiver(bind_address="127.0.0.1", bind_port=port)
        self.receiver.register_listener(
            "universe",
            lambda packet: self.packets.put(
                (time.monotonic(), packet.dmxData[WASH - 1])
            ),
            universe=1,
        )
        self.receiver.start()

    def drain(self) -> list[tuple[float, int]]:
        """Return what arrived since the last drain."""
        out: list[tuple[float, int]] = []
        while True:
            try:
                out.append(self.packets.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop listening."""
        self.receiver.stop()


def first_frames(
    seen: list[tuple[float, int]],
    start: int,
    cues: int = CUES,
    every_ms: int = EVERY_MS,
) -> tuple[list[int], int]:
    """Return each light cue's first frame with its level minus its instant (us), and how many never came."""
    out: list[int] = []
    missed = 0
    for i in range(cues):
        instant = start + (i * every_ms + LIGHT_AT_MS) * 1000
        near = [
            round(t * 1e6) - instant
            for t, value in seen
            if value == light_level(i) and -5_000 <= round(t * 1e6) - instant <= 90_000
        ]
        if near:
            out.append(min(near))
        else:
            missed += 1
    return out, missed


@contextmanager
def load(port: int, props: int = 100, rgb_rate: int = 200) -> Iterator[None]:
    """Keep Home Assistant busy as bench.system's load scenario does, while the block runs."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", port)
    c.loop_start()
    ids = [f"load_{i:03d}" for i in range(props)]
    for prop_id in ids:
        announce = {
            "v": 1,
            "id": prop_id,
            "name": f"Load {prop_id[-3:]}",
            "entities": [{"key": "temperature", "type": "sensor", "unit": "°C"}],
        }
        c.publish(f"propnet/{prop_id}/announce", json.dumps(announce), 1, True)
        c.publish(f"propnet/{prop_id}/availability", "online", 1, True)
    stop = threading.Event()

    def run() -> None:
        started = time.monotonic()
        sent, tick, next_telemetry = 0, 0, started
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_telemetry:
                tick += 1
                for prop_id in ids:
                    c.publish(
                        f"propnet/{prop_id}/telemetry",
                        json.dumps({"temperature": tick}),
                    )
                next_telemetry += 1
            while sent < int((now - started) * rgb_rate):
                v = sent % 256
                body = {
                    "cmd_id": new_ulid(),
                    "src": "bench",
                    "r": v,
                    "g": 255 - v,
                    "b": 128,
                }
                c.publish("v1/demo/rgb/cmd", json.dumps(body), 1)
                sent += 1
            time.sleep(0.002)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        time.sleep(5)  # the load is on before the show starts
        yield
    finally:
        stop.set()
        thread.join(5)
        c.loop_stop()
        c.disconnect()


def set_up_entries(hass: Hass, enttec: Path | None, network_outputs: str) -> None:
    """Add PropNet for props and for show lighting through the UI's flows, with these outputs."""
    for kind, step in (
        ("props", {"prefix": "propnet"}),
        ("lighting", {"base": "v1/demo/rgb"}),
    ):
        result = hass.config_flow("propnet", {"next_step_id": kind}, step)
        assert result["type"] == "create_entry", result
        if kind == "lighting":
            set_lighting_options(
                hass,
                result["result"]["entry_id"],
                enttec,
                None,
                network_outputs=network_outputs,
            )


class Outputs:
    """What the show reaches outside Home Assistant: the DMX receivers' process, the action stamper's, and the bench's own sACN receiver and action subscriber."""

    def __init__(
        self,
        stamps: DmxStamps,
        receiver: SacnTimes,
        actions: MqttStamps,
        actions_in_bench: Watcher,
    ) -> None:
        """Keep the four."""
        self.stamps = stamps
        self.receiver = receiver
        self.actions = actions
        self.actions_in_bench = actions_in_bench


def play(
    hass: Hass,
    room: Room,
    outputs: Outputs,
    cues: int = CUES,
    every_ms: int = EVERY_MS,
) -> dict[str, list[int]]:
    """Play the show once; return each kind of cue's lateness against its instant, in us."""
    outputs.receiver.drain()
    action_mark = outputs.actions.mark()
    in_bench_mark = outputs.actions_in_bench.mark()
    mark = room.watcher.mark()
    hass.post("/api/services/media_player/media_play", {"entity_id": PLAYER})
    start_cmd = room.watcher.wait_for(
        "propnet/cue_0/cmd",
        10,
        since=mark,
        match=lambda m: json.loads(m.payload)["action"] == "show_start",
    )
    start = json.loads(start_cmd.payload)["params"]["at"]
    time.sleep(max(0.0, (start - hub_us()) / 1e6) + cues * every_ms / 1000 + 0.7)
    got, missed = firings(room.stamps, start, cues, every_ms, PROPS)
    enttec_seen, sacn_seen = outputs.stamps.since(start / 1e6 - 1)
    enttec, enttec_missed = first_frames(enttec_seen, start, cues, every_ms)
    network, network_missed = first_frames(sacn_seen, start, cues, every_ms)
    # The same packets to a receiver in this process: what stamping here
    # adds (a cue it misses is not counted lost: the kernel's stamp saw it).
    in_bench, _ = first_frames(outputs.receiver.drain(), start, cues, every_ms)
    actions, actions_in_bench = (
        [
            round(seen.at * 1e6)
            - (start + (int(seen.payload) * every_ms + ACTION_AT_MS) * 1000)
            for seen in messages
        ]
        for messages in (
            outputs.actions.messages[action_mark:],
            outputs.actions_in_bench.messages[in_bench_mark:],
        )
    )
    lost = {
        "prop": missed,
        "enttec": enttec_missed,
        "sacn": network_missed,
        "action": cues - len(actions),
    }
    if any(lost.values()):
        print(f"  (cues not seen: {lost})")
    wait_until(lambda: hass.states()[PLAYER]["state"] == "idle", 10, "the show to end")
    # Home Assistant's own measure: how late its loop woke for each of the
    # cues it fired (light and action), beside what the stampers saw.
    own = hass.states()[PLAYER]["attributes"].get("cue_lateness_ms") or {}
    return {
        "hub_p99": [round(own["p99"] * 1000)] if own else [],
        "hub_max": [round(own["max"] * 1000)] if own else [],
        "prop": got,
        "enttec": enttec,
        "sacn": network,
        "action": actions,
        "sacn_in_bench": in_bench,
        "action_in_bench": actions_in_bench,
    }


def soak(
    hass: Hass,
    room: Room,
    outputs: Outputs,
    minutes: int,
    *,
    gc_log: Path,
    own: OwnPauses,
) -> None:
    """Loop a 30 s show for ``minutes``; print each minute's lateness, loop lag, memory and losses."""
    cues, every_ms = SOAK_CUES, SOAK_EVERY_MS
    shows = hass.config / "propnet" / "shows"
    (shows / "room.yaml").write_text(show_file(cues, every_ms))
    hass.post("/api/services/propnet/reload_shows", {})
    wait_until(
        lambda: hass.states()[PLAYER]["attributes"].get("media_duration") == 30,
        30,
        "the 30 s show",
    )
    print(f"  soak: a 30 s show ({cues} cues of each kind) looping for {minutes} min")
    print(
        "    minute, prop skew p50 / p99 / max, Enttec p99 / max, sACN p99 / max,"
        " action p99 / max, sACN and action stamped in the bench's process p99 / max,"
        " Home Assistant's own measure of how late it woke for its cues, worst run's p99 / max (ms), loop lag p99 / max (ms), RSS MB, cues lost,"
        " of them skipped by the runner, runs, Home Assistant's GC pauses >= 50 ms"
        " (longest ms), its full collections (longest ms), the bench's own"
        " pauses >= 50 ms (longest ms), time the host stole (ms, both cores),"
        " the machine's stalls >= 10 ms (longest ms), a normal-priority"
        " process's stalls >= 10 ms (longest ms)"
    )
    probe = LagProbe(hass)
    # Beside a lost cue: was it the machine (the host, the kernel), the
    # processes above Home Assistant's priority, or Home Assistant?
    machine, normal = StallProbe(realtime=True), StallProbe(realtime=False)
    failed: list[str] = []
    try:
        end = time.monotonic() + minutes * 60
        minute = 0
        while time.monotonic() < end:
            began = time.monotonic()
            stolen_before = stolen_ms()
            skipped_before = skipped(hass)
            got: dict[str, list[int]] = {}
            lost = runs = 0
            while time.monotonic() - began < 60 and time.monotonic() < end:
                try:
                    one = play(hass, room, outputs, cues, every_ms)
                except HassError as err:
                    # Counted and said, and the soak goes on: the minute's
                    # line shows what was lost; the logs are kept at the end.
                    failed.append(str(err))
                    print(f"    play failed: {err}", flush=True)
                    wait_until(
                        lambda: hass.states()[PLAYER]["state"] == "idle",
                        60,
                        "the show to end",
                    )
                    continue
                runs += 1
                for kind, values in one.items():
                    got.setdefault(kind, []).extend(values)
                    if kind in ("prop", "enttec", "sacn", "action"):
                        lost += cues * (PROPS if kind == "prop" else 1) - len(values)
            minute += 1
            # A minute whose every play failed has no figures, not zeros.
            prop = summary(got["prop"]) if got.get("prop") else None
            parts = [
                "-"
                if prop is None
                else f"{prop[0]:.2f} / {prop[1]:.2f} / {prop[2]:.2f}",
                *(
                    "{:.2f} / {:.2f}".format(*summary(got[kind])[1:])
                    if got.get(kind)
                    else "-"
                    for kind in (
                        "enttec",
                        "sacn",
                        "action",
                        "sacn_in_bench",
                        "action_in_bench",
                    )
                ),
                # The worst run's p99 and max of the minute.
                "{:.2f} / {:.2f}".format(
                    max(got["hub_p99"]) / 1000, max(got["hub_max"]) / 1000
                )
                if got.get("hub_p99")
                else "-",
            ]
            now = time.monotonic()
            lag = percentiles(probe.between(began, now))
            logged = gc_pauses(gc_log, began, now)
            pauses = [ms for _, ms in logged]
            long_pauses = [ms for ms in pauses if ms >= 50]
            full = [ms for generation, ms in logged if generation == 2]
            mine = own.between(began, now)
            stalls = [
                f"{len(gaps)} ({max(gaps, default=0):.0f})"
                for gaps in (machine.between(began, now), normal.between(began, now))
            ]
            print(
                f"    {minute:3d}, "
                + ", ".join(parts)
                + f", {lag[1]:.2f} / {lag[2]:.2f},"
                f" {rss_kb(hass) / 1024:.0f}, {lost}, {skipped(hass) - skipped_before},"
                f" {runs}, {len(long_pauses)} ({max(pauses, default=0):.0f}),"
                f" {len(full)} ({max(full, default=0):.1f}),"
                f" {len([ms for ms in mine if ms >= 50])} ({max(mine, default=0):.0f}),"
                f" {stolen_ms() - stolen_before:.0f}, {stalls[0]}, {stalls[1]}",
                flush=True,
            )
            # What the bench has kept so far (stamps, messages) is left out
            # of its later collections, so that they stay short.
            gc.freeze()
    finally:
        probe.close()
        machine.close()
        normal.close()
    print(f"  soak: {len(failed)} plays failed")
    if failed:
        raise SoakFailedError(failed)


def collect_now(hass: Hass, log: Path) -> str:
    """Have Home Assistant run a full collection (bench/gcwatch, on SIGUSR1); return what it found and its memory before and after."""
    before = rss_kb(hass) / 1024
    lines = len(log.read_text().splitlines()) if log.exists() else 0
    os.kill(hass.process.pid, signal.SIGUSR1)
    found = ""

    def reported() -> bool:
        nonlocal found
        found = next(
            (
                line[2:]
                for line in log.read_text().splitlines()[lines:]
                if line.startswith("# full collection")
            ),
            "",
        )
        return bool(found)

    wait_until(reported, 30, "Home Assistant's full collection")
    return f"{found}; resident memory {before:.0f} MB before, {rss_kb(hass) / 1024:.0f} MB after"


def gc_pauses(log: Path, start: float, end: float) -> list[tuple[int, float]]:
    """Return the (generation, ms) of Home Assistant's logged collections (5 ms or more, or full) that began between two monotonic instants."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        if line.startswith("#"):
            continue
        began, generation, ms, _collected = line.split()
        if start <= float(began) < end:
            out.append((int(generation), float(ms)))
    return out


class ProbedHass(Hass):
    """Home Assistant with bench/gcwatch on its PYTHONPATH (its alone: the props and the stamper do not log)."""

    def __init__(self, config: Path, cache: Path, gc_log: Path) -> None:
        """Log slow collections to ``gc_log``."""
        self.gc_log = gc_log  # before Hass's own set-up, which reads _env
        super().__init__(config, cache)

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env["PROPNET_GC_LOG"] = str(self.gc_log)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(
                None, [str(Path(__file__).parent / "gcwatch"), env.get("PYTHONPATH")]
            )
        )
        return env


class OwnPauses:
    """This process's own collections of 5 ms or more: its action subscriber and its own sACN receiver stamp on its clock, so a pause of its own looks like a late or lost cue."""

    def __init__(self) -> None:
        """Start recording."""
        self.pauses: list[tuple[float, float]] = []  # (began, ms)
        watch(lambda began, _gen, ms, _collected: self.pauses.append((began, ms)))

    def between(self, start: float, end: float) -> list[float]:
        """Return the pauses (ms) that began between two monotonic instants."""
        return [ms for began, ms in self.pauses if start <= began < end]


def skipped(hass: Hass) -> int:
    """Return the show's count of cues skipped as too late, over all its plays."""
    return int(hass.states()[PLAYER]["attributes"].get("cues_skipped", 0))


class SoakFailedError(Exception):
    """Plays of the soak that Home Assistant refused or failed."""


def summary(values: list[int]) -> tuple[float, float, float]:
    """Return p50, p99 and max of the absolute values, in ms."""
    ordered = sorted(abs(v) for v in values) or [0]
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return pick(0.5) / 1000, pick(0.99) / 1000, ordered[-1] / 1000


def main(argv: list[str] | None = None) -> int:
    """Play the show ``--runs`` times idle and loaded; print min / median / max."""
    parser = argparse.ArgumentParser(prog="bench.show_hass", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--soak-minutes",
        type=int,
        default=0,
        help="then loop a 30 s show this long, one line a minute",
    )
    args = parser.parse_args(argv)
    print(time.strftime("bench.show_hass, %Y-%m-%d %H:%M"))
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        broker = Broker(folder / "broker").start()
        # Home Assistant's interpreter logs its slow garbage collections
        # (bench/gcwatch), so that a stall of its loop can be put down to one.
        gc_log = folder / "gc.log"
        began = time.monotonic()
        own = OwnPauses()
        hass = ProbedHass(folder / "hass", REPO / ".run" / "cache", gc_log)
        hass.prepare().start()
        port, bench_port = free_port(), free_port()
        stamps = DmxStamps(
            folder / "usb-ENTTEC_DMX_USB_PRO_EN777-if00-port0",
            port,
            WASH,
            realtime_allowed(),
        )
        receiver = SacnTimes(bench_port)
        actions = MqttStamps(broker.port, ACTION_TOPIC, realtime_allowed())
        actions_in_bench = Watcher(broker.port, ACTION_TOPIC)
        outputs = Outputs(stamps, receiver, actions, actions_in_bench)
        try:
            hass.ensure_mqtt(broker.host, broker.port)
            set_up_entries(
                hass,
                stamps.link,
                f"sacn 127.0.0.1:{port} universes=1\n"
                f"sacn 127.0.0.1:{bench_port} universes=1",
            )
            shows = hass.config / "propnet" / "shows"
            shows.mkdir(parents=True, exist_ok=True)
            (shows / "room.yaml").write_text(show_file())
            hass.post("/api/services/propnet/reload_shows", {})
            (folder / "props").mkdir()
            with show_room(folder / "props", broker.port, None, count=PROPS) as room:
                wait_until(
                    lambda: (
                        (hass.states().get(PLAYER) or {})
                        .get("attributes", {})
                        .get("not_ready")
                        == {}
                    ),
                    60,
                    "the show to be ready",
                )
                for _ in range(args.runs):
                    for mode in ("idle", "loaded"):
                        if mode == "idle":
                            got = play(hass, room, outputs)
                        else:
                            with load(broker.port):
                                got = play(hass, room, outputs)
                        for kind, values in got.items():
                            results.setdefault((mode, kind), []).append(summary(values))
                if args.soak_minutes:
                    # The same collection before and after: the objects still
                    # tracked after each say what the soak kept alive.
                    print(f"  before the soak: {collect_now(hass, gc_log)}")
                    gc.freeze()
                    soak(hass, room, outputs, args.soak_minutes, gc_log=gc_log, own=own)
                    print(
                        f"  after the soak, with no show playing: {collect_now(hass, gc_log)}"
                    )
                pauses = gc_pauses(gc_log, began, time.monotonic())
                print(
                    f"  Home Assistant's collections of 5 ms or more, and the full ones: {len(pauses)};"
                    " by generation, count and longest ms: "
                    + ", ".join(
                        f"{g}: {len(ms)} ({max(ms):.0f})"
                        for g in (0, 1, 2)
                        if (ms := [m for gen, m in pauses if gen == g])
                    )
                )
                mine = own.between(began, time.monotonic())
                print(
                    f"  the bench's own collections of 5 ms or more: {len(mine)},"
                    f" longest {max(mine, default=0):.0f} ms"
                )
        except Exception:
            keep = REPO / ".run" / "bench-show-hass-failed"
            print(f"  failed: Home Assistant's and the props' logs are in {keep}")
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(
                folder,
                keep,
                ignore=shutil.ignore_patterns("*.db*", "*.sock", "deps", "*.so*"),
                symlinks=True,
                dirs_exist_ok=True,
            )
            raise
        finally:
            actions.close()
            actions_in_bench.close()
            receiver.close()
            stamps.close()
            hass.stop()
            broker.stop()
    labels = {
        "prop": "prop cue skew",
        "enttec": "light cue -> first Enttec frame",
        "sacn": "light cue -> first sACN packet",
        "sacn_in_bench": "light cue -> first sACN packet, stamped in the bench's process",
        "action": "action cue -> its MQTT message",
        "action_in_bench": "action cue -> its MQTT message, stamped in the bench's process",
    }
    for (mode, kind), runs in results.items():
        if kind.startswith("hub_"):
            continue
        parts = []
        for i, label in enumerate(("p50", "p99", "max")):
            column = [r[i] for r in runs]
            parts.append(
                f"{label} {min(column):.2f} / {statistics.median(column):.2f} / {max(column):.2f}"
            )
        print(f"  Home Assistant {mode}, {labels[kind]}: " + ", ".join(parts) + " ms")
    for mode in ("idle", "loaded"):
        # Each run's p99 and max as the runner measured them itself.
        own = [
            [value[0] for value in results.get((mode, f"hub_{part}"), [])]
            for part in ("p99", "max")
        ]
        if own[0]:
            print(
                f"  Home Assistant {mode}, its own measure of how late it woke for its cues: "
                + ", ".join(
                    f"{label} {min(column):.2f} / {statistics.median(column):.2f} / {max(column):.2f}"
                    for label, column in zip(("p99", "max"), own, strict=True)
                )
                + " ms"
            )
    print(
        f"reproduce: .venv/bin/python -m bench.show_hass --runs {args.runs}"
        + (f" --soak-minutes {args.soak_minutes}" if args.soak_minutes else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
