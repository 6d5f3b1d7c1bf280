"""Benchmark: the prop firmware on the MicroPython unix port against a real mosquitto.

Prints, with the command that reproduces them:

- the heap the runtime holds with the coffin jumper config, from .py sources
  and from the .mpy files `build` makes, next to the MQTT client alone
  after import and connect (what mqtt_as is usually measured at);
- the time from starting the prop to its retained ``online``;
- command to ack round trip (ping, as the hub sends it) p50/p99, against
  the broker alone echoing a publish on the same machine (the reference);
- a QoS 1 publish from the prop to its PUBACK, p50/max;
- recovery after a broker restart: from the broker accepting connections
  again to the prop's fresh ``online``, and to a QoS 1 publish held during
  the outage being delivered.

    .venv/bin/python -m bench.firmware [--pings 500] [--outage 3] [--runs 3]

Each measurement runs ``--runs`` times (a fresh broker and prop each time)
and is printed as min / median / max.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import shutil
import statistics
import subprocess
import tempfile
import time

from custom_components.propnet.protocol.commands import build_command, new_ulid
from propnet_tool.build import STUBS, installed
from propnet_tool.simulate import command, micropython, prepare
from tests.harness.broker import Broker
from tests.harness.procs import port_open, wait_until
from tests.harness.virtual_prop import mp_script
from tests.harness.watcher import Watcher

BENCH = Path(__file__).resolve().parent
TOPIC = "propnet/coffin_jumper"


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which ``fraction`` of ``values`` fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def heap(
    broker: Broker, folder: Path, mpy: bool, romfs: bool = False
) -> dict[str, int]:
    """Return the HEAP figures of bench/mp_heap.py for a coffin jumper build.

    With ``romfs`` the library is packed by ``mpremote romfs build --mpy``
    and imported from that image, as a board with a ROM partition does.
    """
    prepare(
        Path("firmware/props/coffin_jumper.yaml"),
        folder,
        broker.host,
        broker.port,
        mpy=mpy,
        extra={"id": "coffin_heap"},
    )
    if romfs:
        mpremote = installed("mpremote")
        if mpremote is None:
            raise SystemExit("mpremote is not installed; run scripts/setup")
        subprocess.run(
            [
                mpremote,
                "romfs",
                "--mpy",
                "--output",
                str(folder / "romfs.img"),
                "build",
                str(folder / "lib"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder / "lib")
    env = {"MICROPYPATH": f"{STUBS}:{folder / 'lib'}:.frozen", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [micropython(), str(BENCH / "mp_heap.py")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("HEAP "))
    result: dict[str, int] = json.loads(line[5:])
    return result


WASM_PACKAGE = "@micropython/micropython-webassembly-pyscript@1.27.0"


def heap32(broker: Broker, folder: Path) -> dict[str, int] | None:
    """Return the heap before connecting on the 32-bit WebAssembly port, if Node.js is here."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    package = Path(".run/bench-wasm")
    if not (package / "node_modules" / "@micropython").exists():
        package.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--prefix", str(package), WASM_PACKAGE],
            check=True,
            capture_output=True,
            timeout=300,
        )
    prepare(
        Path("firmware/props/coffin_jumper.yaml"),
        folder,
        broker.host,
        broker.port,
        mpy=False,
    )
    out = subprocess.run(
        [
            "node",
            str(BENCH / "mp_heap32.mjs"),
            str(package.resolve()),
            str(folder),
            str(STUBS),
            str(BENCH / "mp_heap.py"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("HEAP ")]
    if not lines:
        return None
    result: dict[str, int] = json.loads(lines[0][5:])
    return result


def echo_rtt(watcher: Watcher, count: int) -> list[float]:
    """Return round trips of a publish echoed by the broker to the same client."""
    times = []
    for i in range(count):
        mark = watcher.mark()
        sent = watcher.publish("bench/echo", str(i))
        got = watcher.wait_for("bench/echo", since=mark)
        times.append((got.at - sent) * 1000)
    return times


def ping_rtt(watcher: Watcher, count: int) -> list[float]:
    """Return command-to-ack round trips of ``count`` pings, in ms."""
    times = []
    for _ in range(count):
        cid = new_ulid()
        mark = watcher.mark()
        sent = watcher.publish(f"{TOPIC}/cmd", build_command("ping", cid))
        got = watcher.wait_for(
            f"{TOPIC}/ack", since=mark, match=lambda m, c=cid: c.encode() in m.payload
        )
        times.append((got.at - sent) * 1000)
    return times


def main() -> None:
    """Run every measurement ``--runs`` times and print min / median / max of each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pings", type=int, default=500)
    parser.add_argument("--outage", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            broker = Broker(tmp / "broker").start()
            try:
                figures = run(broker, tmp, args.pings)
                figures |= recovery(broker, tmp, args.outage)
            finally:
                broker.stop()
            runs.append(figures)
    print(f"{args.runs} runs; min / median / max")
    for key, label in LABELS.items():
        values = [figures[key] for figures in runs if key in figures]
        if values:
            print(
                f"{label:58}{min(values):>9.2f} {statistics.median(values):>9.2f}"
                f" {max(values):>9.2f}"
            )
    print(
        "\nreproduce: .venv/bin/python -m bench.firmware "
        f"--pings {args.pings} --outage {args.outage:g} --runs {args.runs}"
    )


# What each figure is, in the order printed.
LABELS = {
    "client_connected": "heap, MQTT client alone, imported and connected (B)",
    "py_imported": "heap, coffin jumper from .py: imports (B)",
    "py_built": "heap, coffin jumper from .py: built (B)",
    "py_running": "heap, coffin jumper from .py: online and running (B)",
    "mpy_imported": "heap, coffin jumper from .mpy: imports (B)",
    "mpy_built": "heap, coffin jumper from .mpy: built (B)",
    "mpy_running": "heap, coffin jumper from .mpy: online and running (B)",
    "rom_imported": "heap, coffin jumper from a ROMFS image: imports (B)",
    "rom_built": "heap, coffin jumper from a ROMFS image: built (B)",
    "rom_running": "heap, coffin jumper from a ROMFS image: online and running (B)",
    "wasm_imported": "heap, 32-bit wasm port from .py: imports (B)",
    "wasm_built": "heap, 32-bit wasm port from .py: built (B)",
    "start_to_online_ms": "start to retained online, process start included (ms)",
    "ack_p50_ms": "command to ack p50 (ms)",
    "ack_p99_ms": "command to ack p99 (ms)",
    "echo_p50_ms": "broker echo reference p50 (ms)",
    "echo_p99_ms": "broker echo reference p99 (ms)",
    "ack_echo_ratio_p50": "ratio command-to-ack / echo, p50 (same run)",
    "qos1_p50_ms": "QoS 1 publish to PUBACK p50 (ms)",
    "qos1_max_ms": "QoS 1 publish to PUBACK max (ms)",
    "online_after_broker_ms": "broker back: prop online again after (ms)",
    "held_delivered_ms": "broker back: held QoS 1 publish delivered within (ms)",
}


def run(broker: Broker, tmp: Path, pings: int) -> dict[str, float]:
    """Measure heap, start-up, round trips and QoS 1 timing against ``broker``."""
    figures: dict[str, float] = {}
    source = heap(broker, tmp / "heap-py", mpy=False)
    compiled = heap(broker, tmp / "heap-mpy", mpy=True)
    rom = heap(broker, tmp / "heap-rom", mpy=False, romfs=True)
    figures["client_connected"] = source["client_connected"]
    for name, h in (("py", source), ("mpy", compiled), ("rom", rom)):
        for part in ("imported", "built", "running"):
            figures[f"{name}_{part}"] = h[part]
    wasm = heap32(broker, tmp / "heap-wasm")
    if wasm is not None:
        figures["wasm_imported"] = wasm["imported"]
        figures["wasm_built"] = wasm["built"]

    folder = prepare(
        Path("firmware/props/coffin_jumper.yaml"),
        tmp / "flash",
        broker.host,
        broker.port,
        mpy=True,
    )
    argv, env = command(folder)
    with Watcher(broker.port, f"{TOPIC}/#", "bench/#") as watcher:
        started = time.monotonic()
        prop = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.DEVNULL)
        try:
            online = watcher.wait_for(
                f"{TOPIC}/availability",
                match=lambda m: m.payload == b"online" and not m.retain,
            )
            watcher.wait_for(f"{TOPIC}/status")
            figures["start_to_online_ms"] = (online.at - started) * 1000
            time.sleep(0.5)
            echo = echo_rtt(watcher, pings)
            acks = ping_rtt(watcher, pings)
            figures["ack_p50_ms"] = percentile(acks, 0.5)
            figures["ack_p99_ms"] = percentile(acks, 0.99)
            figures["echo_p50_ms"] = percentile(echo, 0.5)
            figures["echo_p99_ms"] = percentile(echo, 0.99)
            figures["ack_echo_ratio_p50"] = percentile(acks, 0.5) / percentile(
                echo, 0.5
            )
        finally:
            prop.terminate()
            prop.wait(10)

        session_log = tmp / "session.log"
        session = mp_script("qos1_bench.py", [str(broker.port)], session_log, tmp)
        session.start()
        try:
            wait_until(
                lambda: (
                    "DONE" in session_log.read_text() if session_log.exists() else False
                ),
                60,
                "QoS 1 timings",
                0.05,
            )
        finally:
            session.stop()
        qos1 = json.loads(session_log.read_text().split("DONE", 1)[1])
        figures["qos1_p50_ms"] = float(qos1["p50"])
        figures["qos1_max_ms"] = float(qos1["max"])
    return figures


def recovery(broker: Broker, tmp: Path, outage: float) -> dict[str, float]:
    """Restart the broker under a running prop and a client holding a QoS 1 publish."""
    folder = tmp / "flash"
    argv, env = command(folder)
    prop = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    log = tmp / "held.log"
    held = mp_script("mqtt_session.py", [str(broker.port)], log, tmp)
    held.start()
    try:
        with Watcher(broker.port, f"{TOPIC}/availability") as watcher:
            watcher.wait_for(
                f"{TOPIC}/availability", match=lambda m: m.payload == b"online"
            )
        wait_until(lambda: "up 1" in log.read_text(), 10, "the session client", 0.02)
        broker.stop()
        wait_until(lambda: "down" in log.read_text(), 10, "the client to notice", 0.01)
        (tmp / "publish").touch()
        wait_until(lambda: "published" in log.read_text(), 10, "the held publish", 0.01)
        time.sleep(outage)
        broker.start()
        back = time.monotonic()
        with Watcher(broker.port, f"{TOPIC}/availability") as watcher:
            fresh = watcher.wait_for(
                f"{TOPIC}/availability",
                timeout=30,
                match=lambda m: m.payload == b"online" and not m.retain,
            )
        wait_until(lambda: "delivered" in log.read_text(), 30, "delivery", 0.01)
        delivered_wall = time.monotonic()
        return {
            "online_after_broker_ms": (fresh.at - back) * 1000,
            # Polled every 10 ms: "within".
            "held_delivered_ms": (delivered_wall - back) * 1000,
        }
    finally:
        held.stop()
        prop.terminate()
        prop.wait(10)
        assert port_open(broker.port)


if __name__ == "__main__":
    main()
