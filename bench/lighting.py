"""Benchmark: show lighting through real mosquitto and a real Home Assistant, and the DMX output.

Prints, with the command that reproduces them:

- commands a second the hub applies from a burst published by mosquitto_pub;
- round-trip latency (command published, retained state received back)
  p50/p99/p99.9 at a steady rate, against the broker alone on the same
  machine (a plain publish echoed back) as the reference;
- the Enttec output's frame rate and frame-to-frame jitter on a real
  pseudo-terminal, against DMX's limit of about 44 full frames a second.

    .venv/bin/python -m bench.lighting [--burst 5000] [--rate 200] [--seconds 10]
        [--runs 3] [--recorder on|off|both]

Home Assistant runs as users run it (recorder on, with its defaults);
``--recorder both`` (the default) also runs it without the recorder, to show
what recording costs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from pathlib import Path
import queue
import socket
import statistics
import subprocess
import tempfile
import threading
import time

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.propnet.lighting.dedupe import Dedupe
from custom_components.propnet.lighting.engine import LightingEngine, Source
from custom_components.propnet.lighting.outputs.enttec import EnttecOutput
from custom_components.propnet.protocol.commands import new_ulid
from custom_components.propnet.protocol.rgb import RgbCommand, RgbState
from tests.harness.broker import Broker
from tests.harness.hass import REPO, Hass, without_recorder
from tests.harness.pty_widget import PtyWidget


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which ``fraction`` of ``values`` fall."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Client:
    """A paho client that timestamps what arrives on its subscriptions."""

    def __init__(self, broker: Broker, topics: list[str]) -> None:
        """Connect and subscribe."""
        self.arrivals: queue.Queue[tuple[float, str, bytes]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.arrivals.put(
            (time.perf_counter(), m.topic, m.payload)
        )
        self.client.connect(broker.host, broker.port)
        # Small publishes should not wait for Nagle's algorithm; otherwise the
        # client, not what is measured, sets the latency.
        sock = self.client.socket()
        assert sock is not None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if topics:
            self.client.subscribe([(topic, 1) for topic in topics])
        self.client.loop_start()
        time.sleep(0.5)

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


def paced_round_trips(
    client: Client, topic: str, rate: float, seconds: float, body: object
) -> list[float]:
    """Publish at ``rate`` a second and return each message's round trip in ms."""
    sent: dict[str, float] = {}
    done = threading.Event()
    latencies: list[float] = []
    total = int(rate * seconds)

    def collect() -> None:
        while len(latencies) < total:
            try:
                arrived, _, payload = client.arrivals.get(timeout=10)
            except queue.Empty:
                break
            key = (
                json.loads(payload).get("src")
                if payload.startswith(b"{")
                else payload.decode()
            )
            if key in sent:
                latencies.append((arrived - sent.pop(key)) * 1000)
        done.set()

    collector = threading.Thread(target=collect)
    collector.start()
    start = time.perf_counter()
    for n in range(total):
        key = f"b{n}"
        target = start + n / rate
        while (now := time.perf_counter()) < target:
            time.sleep(min(0.001, target - now))
        sent[key] = time.perf_counter()
        payload = body(key) if callable(body) else key
        client.client.publish(topic, payload, qos=1)
    done.wait(30)
    collector.join(1)
    return latencies


def lighting_figures(
    folder: Path, burst: int, rate: float, seconds: float, recorder: bool = True
) -> dict[str, float]:
    """Measure the hub in a real Home Assistant, with its recorder on or off."""
    broker = Broker(folder / "broker").start()
    hass = Hass(folder / "hass", REPO / ".run" / "cache").prepare()
    if not recorder:
        without_recorder(hass.config)
    hass.start()
    try:
        hass.ensure_mqtt(broker.host, broker.port)
        result = hass.config_flow(
            "propnet", {"next_step_id": "lighting"}, {"base": "v1/demo/rgb"}
        )
        assert result["type"] == "create_entry", result
        client = Client(broker, ["v1/demo/rgb/state", "bench/echo"])
        try:
            # Wait for the hub's subscription: probe until a command comes back.
            while True:
                probe = new_ulid()
                client.client.publish(
                    "v1/demo/rgb/cmd",
                    json.dumps(
                        {"cmdId": probe, "src": "probe", "r": 0, "g": 0, "b": 0}
                    ),
                    qos=1,
                )
                try:
                    while probe.encode() not in client.arrivals.get(timeout=0.5)[2]:
                        pass
                    break
                except queue.Empty:
                    continue

            def command(key: str) -> str:
                return json.dumps(
                    {"cmdId": new_ulid(), "src": key, "r": 1, "g": 2, "b": 3}
                )

            hub = paced_round_trips(client, "v1/demo/rgb/cmd", rate, seconds, command)
            echo = paced_round_trips(client, "bench/echo", rate, seconds, None)

            lines = "\n".join(
                json.dumps(
                    {"cmdId": new_ulid(), "src": "burst", "r": n % 256, "g": 0, "b": 0}
                )
                for n in range(burst)
            )

            def processed() -> int:
                entry_id = result["result"]["entry_id"]
                data = hass.get(f"/api/diagnostics/config_entry/{entry_id}")["data"]
                return int(data["stats"]["processed"])

            while not client.arrivals.empty():
                client.arrivals.get()
            before = processed()
            began = time.perf_counter()
            subprocess.run(
                [
                    "mosquitto_pub",
                    "-h",
                    broker.host,
                    "-p",
                    str(broker.port),
                    "-t",
                    "v1/demo/rgb/cmd",
                    "-q",
                    "1",
                    "-l",
                ],
                input=lines + "\n",
                text=True,
                check=True,
            )
            received = 0
            last = began
            while received < burst:
                try:
                    last, _, payload = client.arrivals.get(timeout=20)
                except queue.Empty:
                    break
                if b'"burst"' in payload:
                    received += 1
            # The hub's own count: the receiver above is one MQTT client, and
            # mosquitto drops what it cannot queue for a client (1,000 messages
            # by default) when states come faster than that client reads.
            applied = processed() - before
        finally:
            client.close()
    finally:
        hass.stop()
        broker.stop()
    return {
        "burst_rate": received / (last - began),
        "burst_received": received,
        "burst_applied": applied,
        "hub_p50": percentile(hub, 0.5),
        "hub_p99": percentile(hub, 0.99),
        "hub_p999": percentile(hub, 0.999),
        "hub_samples": len(hub),
        "echo_p50": percentile(echo, 0.5),
        "echo_p99": percentile(echo, 0.99),
        "echo_p999": percentile(echo, 0.999),
    }


def engine_figures(folder: Path, count: int, rate: float) -> dict[str, float]:
    """Measure the engine alone, publishing every state to a real broker with paho."""
    broker = Broker(folder / "engine-broker").start()
    client = Client(broker, [])
    engine = LightingEngine(Dedupe(capacity=count * 2), queue_size=count * 2)
    latencies: list[float] = []

    def publish(state: RgbState) -> None:
        latencies.append(engine.stats.last_latency_ms)
        client.client.publish(
            "v1/demo/rgb/state", json.dumps(state.as_payload()), qos=1, retain=True
        )

    engine.add_listener(publish)

    async def run() -> tuple[float, float]:
        task = asyncio.create_task(engine.run())
        start = time.perf_counter()
        for n in range(count):  # paced: the apply latency under a steady load
            target = start + n / rate
            if (wait := target - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            engine.submit(RgbCommand(new_ulid(), "bench", n % 256, 0, 0), Source.DEVICE)
        while engine.queue_depth:  # noqa: ASYNC110 - the writer drains it
            await asyncio.sleep(0.001)
        burst_start = time.perf_counter()
        for n in range(count):  # a burst: how fast the writer drains the queue
            engine.submit(RgbCommand(new_ulid(), "bench", n % 256, 1, 0), Source.DEVICE)
        while engine.queue_depth:  # noqa: ASYNC110 - the writer drains it
            await asyncio.sleep(0)
        burst = time.perf_counter() - burst_start
        task.cancel()
        return burst, time.perf_counter() - start

    try:
        burst_seconds, _ = asyncio.run(run())
    finally:
        client.close()
        broker.stop()
    paced = latencies[:count]
    return {
        "rate": count / burst_seconds,
        "p50": percentile(paced, 0.5),
        "p99": percentile(paced, 0.99),
        "p999": percentile(paced, 0.999),
    }


def enttec_figures(folder: Path, seconds: float) -> dict[str, float]:
    """Measure the DMX USB Pro output's frame rate and jitter on a pseudo-terminal."""
    widget = PtyWidget(folder / "usb-ENTTEC")
    output = EnttecOutput(str(widget.link), fps=40)
    output.start()
    try:
        deadline = time.monotonic() + 5
        while output.status.value != "connected" and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        value = 0
        while time.monotonic() - start < seconds:
            value = (value + 1) % 256
            output.update(bytes(512))
            output.update(bytes([value]) + bytes(511))
            time.sleep(0.002)
        arrivals = [t for t, _ in widget.received() if t >= start]
    finally:
        output.stop()
        widget.close()
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    return {
        "fps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "gap_mean": statistics.mean(gaps),
        "gap_stdev": statistics.pstdev(gaps),
        "gap_p99": percentile(gaps, 0.99),
    }


def spread(values: list[float]) -> str:
    """Return ``min / median / max`` of a figure over the runs."""
    return f"{min(values):8.2f} {statistics.median(values):8.2f} {max(values):8.2f}"


def main() -> None:
    """Run the benchmarks ``--runs`` times and print min / median / max of each figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--recorder", choices=["on", "off", "both"], default="both")
    args = parser.parse_args()
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.recorder]
    hubs: dict[bool, list[dict[str, float]]] = {mode: [] for mode in modes}
    dmx: list[dict[str, float]] = []
    engine: list[dict[str, float]] = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="propnet-bench-") as tmp:
            for mode in modes:
                folder = Path(tmp) / f"run{run}-{'on' if mode else 'off'}"
                hubs[mode].append(
                    lighting_figures(folder, args.burst, args.rate, args.seconds, mode)
                )
            dmx.append(enttec_figures(Path(tmp), 5))
            engine.append(engine_figures(Path(tmp), 20000, 2000))
    print(f"{args.runs} runs; each figure min / median / max")
    print(f"{'':44}{'min':>8} {'median':>8} {'max':>8}")
    print(
        f"{'engine alone: commands/s (burst)':44}{spread([e['rate'] for e in engine])}"
    )
    for key, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
        print(
            f"{'engine alone: apply latency ' + name + ' ms':44}"
            f"{spread([e[key] for e in engine])}"
        )
    for mode, runs in hubs.items():
        label = "recorder on" if mode else "recorder off"
        print(
            f"{'hub, ' + label + ': burst commands/s':44}"
            f"{spread([h['burst_rate'] for h in runs])}"
        )
        # Commands applied in all: the paced run, the probe(s) and the burst.
        print(
            f"{'hub, ' + label + ': burst states the receiver got':44}"
            f"{spread([h['burst_received'] for h in runs])}"
        )
        print(
            f"{'hub, ' + label + ': share of the burst applied':44}"
            f"{spread([h['burst_applied'] / args.burst for h in runs])}"
        )
        for key, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
            print(
                f"{'hub, ' + label + ': cmd -> state ' + name + ' ms':44}"
                f"{spread([h['hub_' + key] for h in runs])}"
            )
            print(
                f"{'  ratio to the broker echo (same run)':44}"
                f"{spread([h['hub_' + key] / h['echo_' + key] for h in runs])}"
            )
    print(f"{'Enttec output fps (limit 40)':44}{spread([d['fps'] for d in dmx])}")
    print(f"{'  ratio to the 40 set':44}{spread([d['fps'] / 40 for d in dmx])}")
    print(
        f"{'Enttec frame gap p99 ms (period 25)':44}{spread([d['gap_p99'] for d in dmx])}"
    )
    print(
        f"reproduce: .venv/bin/python -m bench.lighting --burst {args.burst} "
        f"--rate {args.rate:.0f} --seconds {args.seconds:.0f} --runs {args.runs} "
        f"--recorder {args.recorder}"
    )


if __name__ == "__main__":
    main()
