"""Benchmark: props announced through PropNet against Home Assistant's own MQTT discovery.

On a real mosquitto and fresh real Home Assistant processes (one per side and
run, the sides alternating), it announces the same devices and entities both
ways and measures:

- the time until every entity exists, counted from entity registry
  creations (a small event each; ``state_changed`` for thousands of new
  entities can overrun the websocket's pending-message limit);
- how much Home Assistant's resident memory grew;
- state updates applied per second, two ways: one sensor updated at a high
  rate, and many sensors updated round-robin; PropNet's through both its
  status and its telemetry topics. Each is timed until every sensor's final
  value shows in the REST API, and the run fails if one never does.

Each figure is given as min / median / max over ``--runs`` runs, with the
recorder on (as users run Home Assistant) and off, and PropNet's as a ratio
of the native figure of the same run.

    .venv/bin/python -m bench.discovery [--devices 200] [--updates 20000]
        [--runs 3] [--recorder on|off|both]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import json
from pathlib import Path
import statistics
import subprocess
import tempfile
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness.broker import Broker
from tests.harness.hass import REPO, Hass, without_recorder
from tests.harness.ws import HassWebSocket

# Ten entities per device, the same mix both ways.
KINDS = ["sensor"] * 5 + ["binary_sensor"] * 3 + ["switch"] * 2


def rss_kib(pid: int) -> int:
    """Return a process's resident memory in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def publisher(broker: Broker) -> mqtt.Client:
    """Return a connected paho client with its network loop running."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench")
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, messages: list[tuple[str, str]]) -> None:
    """Publish every message with QoS 1 and wait until the broker has them."""
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(60)


def native_discovery(n: int) -> list[tuple[str, str]]:
    """Home Assistant device-based discovery messages for n devices."""
    messages = []
    for d in range(n):
        components = {}
        for e, kind in enumerate(KINDS):
            component: dict[str, Any] = {
                "p": kind,
                "unique_id": f"native{d}_{e}",
                "name": f"E{e}",
                "state_topic": f"native/{d}/{e}",
            }
            if kind == "switch":
                component["command_topic"] = f"native/{d}/{e}/set"
            components[f"e{e}"] = component
        payload = {
            "dev": {"ids": f"native{d}", "name": f"Native {d}"},
            "o": {"name": "bench"},
            "cmps": components,
        }
        messages.append((f"homeassistant/device/native{d}/config", json.dumps(payload)))
    return messages


def propnet_discovery(n: int) -> list[tuple[str, str]]:
    """PropNet announce, availability and status messages for n props."""
    messages = []
    for d in range(n):
        entities = [
            {"key": f"e{e}", "type": kind, "name": f"E{e}"}
            for e, kind in enumerate(KINDS)
        ]
        announce = {"v": 1, "id": f"p{d}", "name": f"Prop {d}", "entities": entities}
        status = {
            f"e{e}": (0 if kind == "sensor" else False) for e, kind in enumerate(KINDS)
        }
        messages += [
            (f"propnet/p{d}/availability", "online"),
            (f"propnet/p{d}/announce", json.dumps(announce)),
            (f"propnet/p{d}/status", json.dumps(status)),
        ]
    return messages


async def count_created(
    hass: Hass, total: int, prefix: str, start: Callable[[], None], limit: float = 120
) -> float:
    """Run ``start``; return the seconds until ``total`` entities of ``prefix`` were created.

    PropNet's own Identify and Restart buttons are extra: only the entities
    both sides were asked to make count.
    """
    async with HassWebSocket(hass.url, hass.token) as ws:
        await ws.command("subscribe_events", event_type="entity_registry_updated")
        seen: set[str] = set()
        began = time.perf_counter()
        task = asyncio.create_task(asyncio.to_thread(start))
        try:
            async with asyncio.timeout(limit):
                while len(seen) < total:
                    message = await ws.receive()
                    if message.get("type") != "event":
                        continue
                    data = message["event"]["data"]
                    entity_id: str = data.get("entity_id", "")
                    if (
                        data.get("action") == "create"
                        and f".{prefix}" in entity_id
                        and not entity_id.endswith(("_identify", "_restart"))
                    ):
                        seen.add(entity_id)
        except TimeoutError:
            raise TimeoutError(f"saw {len(seen)} of {total} entities") from None
        elapsed = time.perf_counter() - began
        await task
        return elapsed


def wait_values(hass: Hass, wanted: dict[str, str], timeout: float = 180) -> float:
    """Return when every entity in ``wanted`` shows its value; fail if one never does."""
    deadline = time.perf_counter() + timeout
    missing = dict(wanted)
    while time.perf_counter() < deadline:
        states = {s["entity_id"]: s["state"] for s in hass.get("/api/states")}
        missing = {e: v for e, v in missing.items() if states.get(e) != v}
        if not missing:
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"{len(missing)} final values never arrived, such as {missing}")


def mosquitto_pub(broker: Broker, topic: str, lines: list[str]) -> None:
    """Publish ``lines`` on ``topic`` with mosquitto_pub (C: not what is measured)."""
    subprocess.run(
        [
            *("mosquitto_pub", "-h", broker.host, "-p", str(broker.port)),
            *("-t", topic, "-q", "1", "-l"),
        ],
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
    )


def one_sensor(side: str, path: str, updates: int) -> tuple[str, list[str], str]:
    """Return the topic, payloads and entity of ``updates`` updates of one sensor."""
    if side == "native":
        return "native/0/0", [str(i + 1) for i in range(updates)], "sensor.native_0_e0"
    topic = f"propnet/p0/{path}"
    return (
        topic,
        [json.dumps({"e0": i + 1}) for i in range(updates)],
        "sensor.prop_0_e0",
    )


def round_robin(
    side: str, path: str, devices: int, updates: int
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Return ``updates`` messages spread over every device's sensors, and the final values.

    The telemetry run uses other values than the status run, so its final
    values are not already showing when it starts.
    """
    base = 100_000 if path == "telemetry" else 1000
    sensors = [
        (d, e)
        for d in range(devices)
        for e, kind in enumerate(KINDS)
        if kind == "sensor"
    ]
    messages: list[tuple[str, str]] = []
    final: dict[str, str] = {}
    for n in range(updates):
        d, e = sensors[n % len(sensors)]
        value = str(base + n)
        if side == "native":
            messages.append((f"native/{d}/{e}", value))
            final[f"sensor.native_{d}_e{e}"] = value
        else:
            messages.append((f"propnet/p{d}/{path}", json.dumps({f"e{e}": base + n})))
            final[f"sensor.prop_{d}_e{e}"] = value
    return messages, final


def publish_fast(broker: Broker, messages: list[tuple[str, str]]) -> None:
    """Publish many topics' messages at QoS 1 from one paho client, as fast as it goes."""
    client = publisher(broker)
    try:
        publish_all(client, messages)
    finally:
        client.loop_stop()
        client.disconnect()


async def run_side(
    name: str,
    folder: Path,
    broker: Broker,
    devices: int,
    updates: int,
    *,
    recorder: bool,
) -> dict[str, float]:
    """Measure one way of discovery in a fresh Home Assistant."""
    hass = Hass(folder / name, REPO / ".run" / "cache").prepare()
    if not recorder:
        without_recorder(hass.config)
    hass.start()
    figures: dict[str, float] = {}
    try:
        hass.ensure_mqtt(broker.host, broker.port)
        if name == "propnet":
            result = hass.config_flow(
                "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
            )
            assert result["type"] == "create_entry", result
            messages = propnet_discovery(devices)
            prefix = "prop_"
        else:
            messages = native_discovery(devices)
            prefix = "native_"
        await asyncio.sleep(2)  # let start-up work settle before the baseline
        before = rss_kib(hass.process.pid)
        client = publisher(broker)
        try:
            figures["seconds"] = await count_created(
                hass,
                devices * len(KINDS),
                prefix,
                lambda: publish_all(client, messages),
            )
        finally:
            client.loop_stop()
            client.disconnect()
        # Home Assistant batches new MQTT subscriptions and writes the first
        # states: the same wait on both sides before the memory and updates.
        await asyncio.sleep(3)
        figures["memory_mib"] = (rss_kib(hass.process.pid) - before) / 1024
        paths = ["status", "telemetry"] if name == "propnet" else ["state"]
        for path in paths:
            topic, lines, entity_id = one_sensor(name, path, updates)
            began = time.perf_counter()
            await asyncio.to_thread(mosquitto_pub, broker, topic, lines)
            done = await asyncio.to_thread(wait_values, hass, {entity_id: str(updates)})
            figures[f"one_{path}"] = updates / (done - began)
            batch, final = round_robin(name, path, devices, updates)
            began = time.perf_counter()
            await asyncio.to_thread(publish_fast, broker, batch)
            done = await asyncio.to_thread(wait_values, hass, final)
            figures[f"many_{path}"] = updates / (done - began)
    finally:
        hass.stop()
    return figures


def spread(values: list[float]) -> str:
    """Return ``min / median / max``."""
    return f"{min(values):>9.2f} {statistics.median(values):>9.2f} {max(values):>9.2f}"


async def main() -> None:
    """Run both sides ``--runs`` times and print min / median / max of each figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--recorder", choices=["on", "off", "both"], default="both")
    args = parser.parse_args()
    modes = {"on": [True], "off": [False], "both": [True, False]}[args.recorder]
    results: dict[bool, list[tuple[dict[str, float], dict[str, float]]]] = {
        mode: [] for mode in modes
    }
    with tempfile.TemporaryDirectory(prefix="propnet-bench-") as tmp:
        folder = Path(tmp)
        broker = Broker(folder / "broker").start()
        try:
            for run in range(args.runs):
                for mode in modes:
                    where = folder / f"run{run}-{'on' if mode else 'off'}"
                    native = await run_side(
                        "native",
                        where,
                        broker,
                        args.devices,
                        args.updates,
                        recorder=mode,
                    )
                    ours = await run_side(
                        "propnet",
                        where,
                        broker,
                        args.devices,
                        args.updates,
                        recorder=mode,
                    )
                    results[mode].append((native, ours))
        finally:
            broker.stop()
    entities = args.devices * len(KINDS)
    print(
        f"{args.devices} devices, {entities} entities, {args.updates} updates per "
        f"measurement, {args.runs} runs; min / median / max"
    )
    rows = [
        ("time until all exist (s), lower is better", "seconds", "seconds"),
        ("memory grown (MiB), lower is better", "memory_mib", "memory_mib"),
        ("one sensor, updates/s: status", "one_state", "one_status"),
        ("one sensor, updates/s: telemetry", "one_state", "one_telemetry"),
        ("round-robin, updates/s: status", "many_state", "many_status"),
        ("round-robin, updates/s: telemetry", "many_state", "many_telemetry"),
    ]
    for mode, runs in results.items():
        print(f"\nrecorder {'on' if mode else 'off'}")
        print(f"{'':44}{'min':>9} {'median':>9} {'max':>9}")
        for label, native_key, our_key in rows:
            print(f"{label:44}")
            print(f"{'  native MQTT':44}{spread([n[native_key] for n, _ in runs])}")
            print(f"{'  PropNet':44}{spread([o[our_key] for _, o in runs])}")
            print(
                f"{'  ratio PropNet / native (same run)':44}"
                f"{spread([o[our_key] / n[native_key] for n, o in runs])}"
            )
    print(
        "\nreproduce: .venv/bin/python -m bench.discovery "
        f"--devices {args.devices} --updates {args.updates} --runs {args.runs} "
        f"--recorder {args.recorder}"
    )


if __name__ == "__main__":
    asyncio.run(main())
