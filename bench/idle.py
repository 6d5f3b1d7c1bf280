"""Benchmark: a running demo left alone; does any prop drop, reconnect or fire an event nobody caused.

Start the demo (``scripts/develop --fresh``), then run this beside it:

    .venv/bin/python -m bench.idle --minutes 10 [--busy]

It watches the broker (every prop's availability, events and log lines) and
Home Assistant (every state change of PropNet's entities, over the
websocket) for that long, touching nothing, and prints what happened.
``--busy`` keeps both cores spinning meanwhile, as a loaded machine would.
Exit code 1 when a prop went offline, reconnected or fired an event.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import json
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness.develop import RUNTIME
from tests.harness.hass import Hass
from tests.harness.procs import busy_cores
from tests.harness.ws import HassWebSocket


class BrokerWatch:
    """Counts what the props say on the broker."""

    def __init__(self, port: int) -> None:
        """Subscribe to every prop's availability, events and log."""
        self.offline: Counter[str] = Counter()
        self.online: Counter[str] = Counter()
        self.events: list[tuple[str, bytes]] = []
        self.lost: list[str] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(
            [
                ("propnet/+/availability", 1),
                ("propnet/+/event", 1),
                ("propnet/+/log", 0),
            ]
        )
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        prop, kind = msg.topic.split("/")[1:3]
        if kind == "availability" and not msg.retain:
            (self.online if msg.payload == b"online" else self.offline)[prop] += 1
        elif kind == "event":
            self.events.append((prop, msg.payload))
        elif kind == "log" and b"connection lost" in msg.payload:
            self.lost.append(f"{prop}: {json.loads(msg.payload).get('msg')}")

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


async def watch_hass(url: str, token: str, seconds: float) -> dict[str, Counter[str]]:
    """Count PropNet entities' state changes: to unavailable, and of event entities."""
    unavailable: Counter[str] = Counter()
    fired: Counter[str] = Counter()
    async with HassWebSocket(url, token) as ws:
        entities = await ws.command("config/entity_registry/list")
        ours = {e["entity_id"] for e in entities if e["platform"] == "propnet"}
        await ws.send("subscribe_events", event_type="state_changed")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(ws.receive(), left)
            except TimeoutError:
                break
            data = message.get("event", {}).get("data", {})
            entity_id = data.get("entity_id")
            if entity_id not in ours or data.get("new_state") is None:
                continue
            if data["new_state"]["state"] == "unavailable":
                unavailable[entity_id] += 1
            elif entity_id.startswith("event."):
                fired[entity_id] += 1
    return {"unavailable": unavailable, "event entities": fired}


def main(argv: list[str] | None = None) -> int:
    """Watch the running demo and say what happened."""
    parser = argparse.ArgumentParser(prog="bench.idle", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--busy", action="store_true", help="keep both cores busy")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args(argv)
    hass = Hass(RUNTIME / "config", RUNTIME / "cache", port=args.port)
    broker = BrokerWatch(args.mqtt_port)
    seconds = args.minutes * 60
    started = time.strftime("%Y-%m-%d %H:%M")
    try:
        if args.busy:
            with busy_cores():
                seen = asyncio.run(watch_hass(hass.url, hass.token, seconds))
        else:
            seen = asyncio.run(watch_hass(hass.url, hass.token, seconds))
    finally:
        broker.close()
    print(f"bench.idle, {started}, {args.minutes:g} min, cores busy: {args.busy}")
    print(f"  props offline:   {dict(broker.offline) or 0}")
    print(f"  props back:      {dict(broker.online) or 0}")
    print(f"  lost links:      {len(broker.lost)} {broker.lost[:5]}")
    print(f"  prop events:     {len(broker.events)}")
    for what, counts in seen.items():
        print(f"  {what + ':':16} {dict(counts) or 0}")
    print(
        "reproduce: scripts/develop --fresh, then .venv/bin/python -m bench.idle "
        f"--minutes {args.minutes:g}{' --busy' if args.busy else ''}"
    )
    bad = broker.offline or broker.lost or broker.events or any(seen.values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
