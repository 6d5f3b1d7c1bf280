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

    .venv/bin/python -m bench.firmware [--pings 500] [--outage 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import shutil
import subprocess
import tempfile
import time

from custom_components.propnet.protocol.commands import build_command, new_ulid
from propnet_tool.build import STUBS
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


def heap(broker: Broker, folder: Path, mpy: bool) -> dict[str, int]:
    """Return the HEAP figures of bench/mp_heap.py for a coffin jumper build."""
    prepare(
        Path("firmware/props/coffin_jumper.yaml"),
        folder,
        broker.host,
        broker.port,
        mpy=mpy,
        extra={"id": "coffin_heap"},
    )
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
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pings", type=int, default=500)
    parser.add_argument("--outage", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        broker = Broker(tmp / "broker").start()
        try:
            run(broker, tmp, args.pings, args.outage)
        finally:
            broker.stop()
    print(
        "\nreproduce: .venv/bin/python -m bench.firmware "
        f"--pings {args.pings} --outage {args.outage}"
    )


def run(broker: Broker, tmp: Path, pings: int, outage: float) -> None:
    """Measure against ``broker``."""
    source = heap(broker, tmp / "heap-py", mpy=False)
    compiled = heap(broker, tmp / "heap-mpy", mpy=True)
    print("heap (bytes, MicroPython unix port, gc.mem_alloc after gc.collect)")
    print(
        f"  MQTT client alone, imported and connected: {source['client_connected']:>7}"
    )
    for name, h in (("from .py", source), ("from .mpy", compiled)):
        print(
            f"  coffin jumper {name}: imports {h['imported']:>7}, built {h['built']:>7},"
            f" online and running {h['running']:>7}"
        )
    wasm = heap32(broker, tmp / "heap-wasm")
    if wasm is None:
        print("  (32-bit WebAssembly port skipped: needs node and npm)")
    else:
        print(
            f"  32-bit WebAssembly port, from .py: imports {wasm['imported']:>7},"
            f" built {wasm['built']:>7} (no sockets there, so not connected)"
        )

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
            print(
                f"\nstart to online: {(online.at - started) * 1000:.0f} ms (process start included)"
            )
            time.sleep(0.5)
            echo = echo_rtt(watcher, pings)
            acks = ping_rtt(watcher, pings)
            print(
                f"\ncommand to ack, {pings} pings (ms): p50 {percentile(acks, 0.5):.2f}, p99 {percentile(acks, 0.99):.2f}"
            )
            print(
                f"broker echo reference (ms):       p50 {percentile(echo, 0.5):.2f}, p99 {percentile(echo, 0.99):.2f}"
            )
            print(f"ratio p50: {percentile(acks, 0.5) / percentile(echo, 0.5):.2f}")
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
        figures = json.loads(session_log.read_text().split("DONE", 1)[1])
        print(
            f"\nQoS 1 publish to PUBACK on the prop, {figures['count']} publishes (ms): p50 {figures['p50']}, max {figures['max']}"
        )

    recovery(broker, tmp, outage)


def recovery(broker: Broker, tmp: Path, outage: float) -> None:
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
        print(f"\nbroker restart after {outage:.0f} s down:")
        print(
            f"  prop online again: {(fresh.at - back) * 1000:.0f} ms after the broker accepted connections"
        )
        print(
            f"  held QoS 1 publish delivered: within {(delivered_wall - back) * 1000:.0f} ms (polled every 10 ms)"
        )
    finally:
        held.stop()
        prop.terminate()
        prop.wait(10)
        assert port_open(broker.port)


if __name__ == "__main__":
    main()
