"""Benchmark: props announced through PropNet against Home Assistant's own MQTT discovery.

On a real mosquitto and fresh real Home Assistant processes (one per side and
run, the sides alternating), it makes the same devices with the same
entities both ways (a native device gets the Identify, Restart, Firmware and
Log level entities every prop has), each device publishing its first states
retained, and measures:

- the time until every entity exists, counted from entity registry
  creations (a small event each; ``state_changed`` for thousands of new
  entities can overrun the websocket's pending-message limit), then checks
  that every entity shows its device's first value;
- how much Home Assistant's resident memory grew, once the recorder has
  written everything;
- state updates applied per second, two ways: one sensor updated at a high
  rate, and many sensors updated round-robin; PropNet's through its status
  topic and then its telemetry topic, each against a native run at the same
  point of the session. Each is timed until every sensor's final value shows
  in the REST API, and the run fails if one never does.

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
import os
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


def cpu_seconds(pid: int) -> float:
    """Return the processor time a process has used so far, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def publisher(broker: Broker) -> mqtt.Client:
    """Return a connected paho client with its network loop running."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench")
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish_all(
    client: mqtt.Client, messages: list[tuple[str, str]], retain: bool = False
) -> None:
    """Publish every message with QoS 1 and wait until the broker has them."""
    infos = [
        client.publish(topic, payload, qos=1, retain=retain)
        for topic, payload in messages
    ]
    for info in infos:
        info.wait_for_publish(60)


def native_discovery(n: int) -> list[tuple[str, str]]:
    """Home Assistant device-based discovery messages for n devices, then their states.

    Each device publishes its config and then each entity's state, retained,
    as real devices do: both sides end with every entity showing a value. The
    native devices have what every prop gets besides its own entities
    (Identify and Restart buttons, a Firmware update entity and a disabled
    Log level select), so both sides make the same entities.
    """
    messages = []
    for d in range(n):
        components: dict[str, dict[str, Any]] = {}
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
        for key in ("identify", "restart"):
            components[key] = {
                "p": "button",
                "unique_id": f"native{d}_{key}",
                "name": key.title(),
                "device_class": key,
                "entity_category": "config",
                "command_topic": f"native/{d}/{key}",
            }
        components["firmware"] = {
            "p": "update",
            "unique_id": f"native{d}_firmware",
            "name": "Firmware",
            "device_class": "firmware",
            "entity_category": "config",
            "state_topic": f"native/{d}/firmware",
        }
        components["log_level"] = {
            "p": "select",
            "unique_id": f"native{d}_log_level",
            "name": "Log level",
            "entity_category": "diagnostic",
            "enabled_by_default": False,
            "options": ["debug", "info", "warning", "error"],
            "command_topic": f"native/{d}/log_level",
        }
        payload = {
            "dev": {"ids": f"native{d}", "name": f"Native {d}", "sw": "1.0.0"},
            "o": {"name": "bench"},
            "cmps": components,
        }
        messages.append((f"homeassistant/device/native{d}/config", json.dumps(payload)))
        messages += [
            (f"native/{d}/{e}", "0" if kind == "sensor" else "OFF")
            for e, kind in enumerate(KINDS)
        ]
        firmware = {"installed_version": "1.0.0", "latest_version": "1.0.0"}
        messages.append((f"native/{d}/firmware", json.dumps(firmware)))
    return messages


def first_values(side: str, n: int) -> dict[str, str]:
    """Return the first state every entity shows once discovered: what a device reports."""
    prefix = "native_" if side == "native" else "prop_"
    values = {}
    for d in range(n):
        for e, kind in enumerate(KINDS):
            values[f"{kind}.{prefix}{d}_e{e}"] = "0" if kind == "sensor" else "off"
        values[f"update.{prefix}{d}_firmware"] = "off"  # up to date
    return values


# Every device's entities: its own, and Identify, Restart, Firmware, Log level.
ENTITIES_PER_DEVICE = len(KINDS) + 4


def propnet_discovery(n: int) -> list[tuple[str, str]]:
    """PropNet availability, announce and status messages for n props (retained)."""
    messages = []
    for d in range(n):
        entities = [
            {"key": f"e{e}", "type": kind, "name": f"E{e}"}
            for e, kind in enumerate(KINDS)
        ]
        announce = {
            "v": 1,
            "id": f"p{d}",
            "name": f"Prop {d}",
            "sw_version": "1.0.0",
            "entities": entities,
        }
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
    """Run ``start``; return the seconds until ``total`` entities of ``prefix`` were created."""
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
                    if data.get("action") == "create" and f".{prefix}" in entity_id:
                        seen.add(entity_id)
        except TimeoutError:
            raise TimeoutError(f"saw {len(seen)} of {total} entities") from None
        elapsed = time.perf_counter() - began
        await task
        return elapsed


def wait_values(hass: Hass, wanted: dict[str, str], timeout: float = 180) -> float:
    """Return when every entity in ``wanted`` shows its value; fail if one never does.

    One entity is read alone: reading all 2,600 states every 50 ms would
    load the Home Assistant being measured.
    """
    deadline = time.perf_counter() + timeout
    missing = dict(wanted)
    while time.perf_counter() < deadline:
        if len(missing) == 1:
            (entity_id,) = missing
            states = {entity_id: hass.get(f"/api/states/{entity_id}")["state"]}
        else:
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


# PropNet's two update paths, each against a native run at the same point of
# the session: Home Assistant's second run of either side is faster than its
# first (the recorder settles after discovery), so a path measured second
# must be compared with a native run measured second.
PATHS = ("status", "telemetry")


def update(
    side: str, path: str, device: int, sensor: int, value: int
) -> tuple[str, str]:
    """Return the message that sets one sensor on one side."""
    if side == "native":
        return f"native/{device}/{sensor}", str(value)
    return f"propnet/p{device}/{path}", json.dumps({f"e{sensor}": value})


def entity(side: str, device: int, sensor: int) -> str:
    """Return the entity id of one sensor on one side."""
    return f"sensor.{'native_' if side == 'native' else 'prop_'}{device}_e{sensor}"


def one_sensor(
    side: str, path: str, updates: int, base: int
) -> tuple[str, list[str], dict[str, str]]:
    """Return the topic and payloads of ``updates`` updates of one sensor, and its last value."""
    messages = [update(side, path, 0, 0, base + n) for n in range(1, updates + 1)]
    return (
        messages[0][0],
        [payload for _, payload in messages],
        {entity(side, 0, 0): str(base + updates)},
    )


def round_robin(
    side: str, path: str, devices: int, updates: int, base: int
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Return ``updates`` messages spread over every device's sensors, and the final values.

    The final values are in the order of their last update: the last is the
    last message's.
    """
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
        messages.append(update(side, path, d, e, base + n))
        final.pop(entity(side, d, e), None)
        final[entity(side, d, e)] = str(base + n)
    return messages, final


def publish_fast(
    broker: Broker, messages: list[tuple[str, str]], retain: bool = False
) -> None:
    """Publish many topics' messages at QoS 1 from one paho client, as fast as it goes."""
    client = publisher(broker)
    try:
        publish_all(client, messages, retain)
    finally:
        client.loop_stop()
        client.disconnect()


class DropCount:
    """Follows mosquitto's count of messages it dropped ($SYS, updated every second).

    The bench's broker queues without limit, so Home Assistant gets every
    update however far behind it falls; this shows that it did.
    """

    def __init__(self, broker: Broker) -> None:
        """Subscribe to the broker's dropped-message count."""
        self.value = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sys")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("$SYS/broker/publish/messages/dropped")
        self.client.loop_start()

    def _on_message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        self.value = int(msg.payload)

    def stop(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


async def recorder_idle(hass: Hass, limit: float = 300) -> None:
    """Return once the recorder has taken everything queued so far into its session."""
    async with HassWebSocket(hass.url, hass.token) as ws:
        info: dict[str, Any] = {}
        try:
            async with asyncio.timeout(limit):
                while True:
                    info = await ws.command("recorder/info")
                    if not info["backlog"]:
                        return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise TimeoutError(f"the recorder never caught up: {info}") from None


def recorder_wrote(hass: Hass, entity_id: str, value: str, limit: float = 600) -> None:
    """Return once the recorder has committed ``value`` as the state of ``entity_id``.

    Waiting for an empty queue is not enough: the recorder takes events off
    it into a session that it commits every few seconds, and writing the
    session can take longer than taking the events. The history API reads
    the database, so the state it gives for "now" is the last one committed;
    commits are in order, so every earlier state is written too.
    """
    deadline = time.monotonic() + limit
    recorded = None
    while time.monotonic() < deadline:
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        history = hass.get(
            f"/api/history/period/{now}?filter_entity_id={entity_id}"
            "&minimal_response&no_attributes&significant_changes_only=0"
        )
        recorded = history[0][-1]["state"] if history and history[0] else None
        if recorded == value:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the recorder never wrote {entity_id}={value}: {recorded}")


async def run_side(
    name: str,
    folder: Path,
    broker: Broker,
    devices: int,
    updates: int,
    *,
    drops: DropCount,
    recorder: bool,
) -> dict[str, float]:
    """Measure one way of discovery in a fresh Home Assistant."""
    hass = Hass(folder / name, REPO / ".run" / "cache").prepare()
    if not recorder:
        without_recorder(hass.config)
    hass.start()
    figures: dict[str, float] = {}
    if name == "propnet":
        messages = propnet_discovery(devices)
        prefix = "prop_"
    else:
        messages = native_discovery(devices)
        prefix = "native_"

    async def settle(final: dict[str, str] | None = None) -> None:
        """Wait until the recorder has written what came before, ``final`` last."""
        if recorder:
            await recorder_idle(hass)
            if final:
                last = next(reversed(final))
                await asyncio.to_thread(recorder_wrote, hass, last, final[last])

    try:
        hass.ensure_mqtt(broker.host, broker.port)
        if name == "propnet":
            result = hass.config_flow(
                "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
            )
            assert result["type"] == "create_entry", result
        await asyncio.sleep(2)  # let start-up work settle before the baseline
        await settle()
        dropped = drops.value
        before = rss_kib(hass.process.pid)
        client = publisher(broker)
        try:
            figures["seconds"] = await count_created(
                hass,
                devices * ENTITIES_PER_DEVICE,
                prefix,
                lambda: publish_all(client, messages, retain=True),
            )
        finally:
            client.loop_stop()
            client.disconnect()
        first = first_values(name, devices)
        await asyncio.to_thread(wait_values, hass, first)
        # Home Assistant batches new MQTT subscriptions: the same wait on
        # both sides before memory.
        await asyncio.sleep(3)
        await settle(first)
        figures["memory_mib"] = (rss_kib(hass.process.pid) - before) / 1024
        for run, path in enumerate(PATHS):
            base = 1_000_000 * (2 * run + 1)
            topic, lines, final = one_sensor(name, path, updates, base)
            await settle()
            used = cpu_seconds(hass.process.pid)
            began = time.perf_counter()
            await asyncio.to_thread(mosquitto_pub, broker, topic, lines)
            done = await asyncio.to_thread(wait_values, hass, final)
            figures[f"one_{path}"] = updates / (done - began)
            # What the updates cost, recording them included: steadier than
            # a rate on a shared machine, and what a small board runs out of.
            await settle(final)
            used = cpu_seconds(hass.process.pid) - used
            figures[f"cpu_{path}"] = used / updates * 1e6
            batch, final = round_robin(name, path, devices, updates, base + 500_000)
            await settle()
            began = time.perf_counter()
            await asyncio.to_thread(publish_fast, broker, batch)
            done = await asyncio.to_thread(wait_values, hass, final)
            figures[f"many_{path}"] = updates / (done - began)
            await settle(final)  # the next figure must not pay for these
        await asyncio.sleep(1.5)  # the broker's $SYS count is a second behind
        figures["dropped"] = drops.value - dropped
    finally:
        hass.stop()
        # The next fresh Home Assistant must not find this one's devices.
        await asyncio.to_thread(
            publish_fast, broker, [(topic, "") for topic, _ in messages], True
        )
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
        broker = Broker(
            folder / "broker",
            settings=["max_queued_messages 10000000", "sys_interval 1"],
        ).start()
        drops = DropCount(broker)
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
                        drops=drops,
                        recorder=mode,
                    )
                    ours = await run_side(
                        "propnet",
                        where,
                        broker,
                        args.devices,
                        args.updates,
                        drops=drops,
                        recorder=mode,
                    )
                    results[mode].append((native, ours))
        finally:
            drops.stop()
            broker.stop()
    entities = args.devices * ENTITIES_PER_DEVICE
    print(
        f"{args.devices} devices, {entities} entities, {args.updates} updates per "
        f"measurement, {args.runs} runs; min / median / max"
    )
    rows = [
        ("time until all exist (s), lower is better", "seconds", "seconds"),
        ("memory grown (MiB), lower is better", "memory_mib", "memory_mib"),
        ("one sensor, updates/s: status (first)", "one_status", "one_status"),
        ("one sensor, updates/s: telemetry (second)", "one_telemetry", "one_telemetry"),
        ("one sensor, CPU µs per update: status (first)", "cpu_status", "cpu_status"),
        (
            "one sensor, CPU µs per update: telemetry (second)",
            "cpu_telemetry",
            "cpu_telemetry",
        ),
        ("round-robin, updates/s: status (first)", "many_status", "many_status"),
        (
            "round-robin, updates/s: telemetry (second)",
            "many_telemetry",
            "many_telemetry",
        ),
    ]
    for mode, runs in results.items():
        print(f"\nrecorder {'on' if mode else 'off'}")
        print(f"{'':52}{'min':>9} {'median':>9} {'max':>9}")
        for label, native_key, our_key in rows:
            print(f"{label:52}")
            print(f"{'  native MQTT':52}{spread([n[native_key] for n, _ in runs])}")
            print(f"{'  PropNet':52}{spread([o[our_key] for _, o in runs])}")
            print(
                f"{'  ratio PropNet / native (same run)':52}"
                f"{spread([o[our_key] / n[native_key] for n, o in runs])}"
            )
    lost = sum(
        n["dropped"] + o["dropped"] for runs in results.values() for n, o in runs
    )
    print(f"\nmessages the broker dropped in all runs: {lost:.0f}")
    print(
        "\nreproduce: .venv/bin/python -m bench.discovery "
        f"--devices {args.devices} --updates {args.updates} --runs {args.runs} "
        f"--recorder {args.recorder}"
    )


if __name__ == "__main__":
    asyncio.run(main())
