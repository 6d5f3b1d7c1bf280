"""Benchmark: props announced through PropNet against Home Assistant's own MQTT discovery.

In one run, on a real mosquitto and two fresh real Home Assistant processes,
it announces the same devices and entities both ways and prints how long
until every entity exists, the memory Home Assistant grew by, and how many
state updates a second each way applies, with PropNet's figures as ratios of
the native ones.

    .venv/bin/python -m bench.discovery [--devices 200] [--updates 20000]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import json
from pathlib import Path
import subprocess
import tempfile
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness.broker import Broker
from tests.harness.hass import REPO, Hass
from tests.harness.ws import HassWebSocket

# Ten entities per device, the same mix both ways.
DEBUG = False
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


async def count_until(
    hass: Hass,
    total: int,
    wanted: Callable[[dict[str, Any]], bool],
    start: Callable[[], None],
    limit: float = 60,
) -> float:
    """Run ``start`` and return the seconds until ``total`` wanted state events."""
    async with HassWebSocket(hass.url, hass.token) as ws:
        await ws.command("subscribe_events", event_type="state_changed")
        seen = 0
        began = time.perf_counter()
        task = asyncio.create_task(asyncio.to_thread(start))
        try:
            async with asyncio.timeout(limit):
                while seen < total:
                    message = await ws.receive()
                    if DEBUG and message.get("type") == "event":
                        print(json.dumps(message["event"]["data"])[:300])
                    if message.get("type") == "event" and wanted(
                        message["event"]["data"]
                    ):
                        seen += 1
        except TimeoutError:
            raise TimeoutError(f"saw {seen} of {total} events") from None
        elapsed = time.perf_counter() - began
        await task
        return elapsed


def created(prefix: str) -> Callable[[dict[str, Any]], bool]:
    """Match the first state of a new entity whose id starts with a prefix's device names."""

    def check(data: dict[str, Any]) -> bool:
        entity_id: str = data["entity_id"]
        # PropNet's own Identify and Restart buttons are extra; count only
        # the entities both sides were asked to make.
        return (
            data["old_state"] is None
            and f".{prefix}" in entity_id
            and not entity_id.endswith(("_identify", "_restart"))
        )

    return check


def wait_value(hass: Hass, entity_id: str, value: str, timeout: float = 120) -> float:
    """Return when ``entity_id`` shows ``value``, polling the REST API."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        state = hass.get(f"/api/states/{entity_id}")
        if state["state"] == value:
            return time.perf_counter()
        time.sleep(0.01)
    raise TimeoutError(f"{entity_id} never showed {value}")


async def run_side(
    name: str, folder: Path, broker: Broker, devices: int, updates: int
) -> dict[str, float]:
    """Measure one way of discovery in a fresh Home Assistant."""
    hass = Hass(folder / name, REPO / ".run" / "cache").prepare().start()
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
            seconds = await count_until(
                hass,
                devices * len(KINDS),
                created(prefix),
                lambda: publish_all(client, messages),
            )
            after = rss_kib(hass.process.pid)
            # Home Assistant batches new MQTT subscriptions; let them reach
            # the broker before the updates, the same wait on both sides.
            await asyncio.sleep(3)
            # Every update goes to one sensor, published by mosquitto_pub (C,
            # so the publisher is not what is measured). Messages on one
            # connection are applied in order: when the last value shows,
            # every update before it has been applied.
            if name == "propnet":
                topic, entity_id = "propnet/p0/status", "sensor.prop_0_e0"
                lines = [json.dumps({"e0": i + 1}) for i in range(updates)]
            else:
                topic, entity_id = "native/0/0", "sensor.native_0_e0"
                lines = [str(i + 1) for i in range(updates)]
            began = time.perf_counter()
            await asyncio.to_thread(
                subprocess.run,
                [
                    "mosquitto_pub",
                    "-h",
                    broker.host,
                    "-p",
                    str(broker.port),
                    "-t",
                    topic,
                    "-q",
                    "1",
                    "-l",
                ],
                input="\n".join(lines) + "\n",
                text=True,
                check=True,
            )
            done = await asyncio.to_thread(wait_value, hass, entity_id, str(updates))
            update_seconds = done - began
        finally:
            client.loop_stop()
            client.disconnect()
    finally:
        hass.stop()
    return {
        "seconds": seconds,
        "memory_mib": (after - before) / 1024,
        "updates_per_second": updates / update_seconds,
    }


async def main() -> None:
    """Run both sides and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="propnet-bench-") as tmp:
        folder = Path(tmp)
        broker = Broker(folder / "broker").start()
        try:
            native = await run_side(
                "native", folder, broker, args.devices, args.updates
            )
            ours = await run_side("propnet", folder, broker, args.devices, args.updates)
        finally:
            broker.stop()
    entities = args.devices * len(KINDS)
    print(f"{args.devices} devices, {entities} entities, {args.updates} state updates")
    print(f"{'':28}{'native MQTT':>14}{'PropNet':>12}{'ratio':>9}")
    rows = [
        ("time until all exist (s)", "seconds", "lower is better"),
        ("memory grown (MiB)", "memory_mib", "lower is better"),
        ("updates applied per second", "updates_per_second", "higher is better"),
    ]
    for label, key, sense in rows:
        ratio = ours[key] / native[key] if native[key] else float("nan")
        print(
            f"{label:28}{native[key]:>14.2f}{ours[key]:>12.2f}{ratio:>9.2f}  ({sense})"
        )
    print(
        "reproduce: .venv/bin/python -m bench.discovery "
        f"--devices {args.devices} --updates {args.updates}"
    )


if __name__ == "__main__":
    asyncio.run(main())
