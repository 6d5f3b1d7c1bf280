"""A scripted prop speaking the wire contract over a real broker with paho-mqtt.

Run as ``python -m tests.harness.scripted_prop --port N``. It behaves as the
coffin jumper does: it answers every command with an ack and its new status,
fires ``scared/scare`` when Scare is pressed, re-announces when Home
Assistant comes online, and has ``offline`` as its last will.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import signal
import sys
import threading
from types import FrameType
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

COFFIN_ENTITIES: list[dict[str, Any]] = [
    {"key": "lid", "type": "switch", "name": "Lid", "icon": "mdi:coffin"},
    {"key": "scare", "type": "button", "name": "Scare"},
    {
        "key": "motion",
        "type": "binary_sensor",
        "device_class": "motion",
        "name": "Motion",
    },
    {
        "key": "triggers",
        "type": "sensor",
        "state_class": "total_increasing",
        "name": "Triggers",
        "icon": "mdi:counter",
    },
    {
        "key": "eyes",
        "type": "light",
        "color_modes": ["rgb"],
        "effects": ["flicker"],
        "name": "Eyes",
    },
    {
        "key": "delay",
        "type": "number",
        "min": 0,
        "max": 30,
        "step": 0.5,
        "unit": "s",
        "name": "Delay",
        "category": "config",
    },
    {
        "key": "mode",
        "type": "select",
        "options": ["idle", "armed", "show"],
        "name": "Mode",
        "translation_key": "mode",
    },
    {"key": "message", "type": "text", "max_len": 20, "name": "Message"},
    {
        "key": "scared",
        "type": "event",
        "event_types": ["scare", "abort"],
        "name": "Scared",
    },
    {
        "key": "scream",
        "type": "siren",
        "tones": ["scream", "laugh"],
        "volume": True,
        "duration": True,
        "name": "Scream",
    },
    {
        "key": "rssi",
        "type": "sensor",
        "translation_key": "rssi",
        "device_class": "signal_strength",
        "unit": "dBm",
        "category": "diagnostic",
        "enabled": False,
    },
    {
        "key": "uptime",
        "type": "sensor",
        "name": "Uptime",
        "translation_key": "uptime",
        "unit": "s",
        "device_class": "duration",
        "state_class": "total_increasing",
        "category": "diagnostic",
    },
    {
        "key": "reset_reason",
        "type": "sensor",
        "name": "Reset reason",
        "translation_key": "reset_reason",
        "icon": "mdi:restart-alert",
        "device_class": "enum",
        "options": ["power_on", "hard", "watchdog", "deep_sleep", "soft", "unknown"],
        "category": "diagnostic",
    },
]
COFFIN_STATUS: dict[str, Any] = {
    "lid": False,
    "motion": False,
    "triggers": 0,
    "eyes": {"on": False, "rgb": [255, 0, 0], "brightness": 128},
    "delay": 2.5,
    "mode": "idle",
    "message": "",
    "scream": False,
    "reset_reason": "power_on",
}


def announce(prop_id: str, name: str) -> dict[str, Any]:
    """Return the coffin jumper's announce under another id and name."""
    return {
        "v": 1,
        "id": prop_id,
        "name": name,
        "model": "Coffin jumper",
        "manufacturer": "PropNet",
        "sw_version": "1.0.0",
        "hw_version": "scripted",
        "entities": COFFIN_ENTITIES,
    }


class ScriptedProp:
    """The prop's behaviour on top of one paho client."""

    def __init__(
        self, host: str, port: int, prefix: str, prop_id: str, name: str
    ) -> None:
        """Prepare the client with its last will; run() connects."""
        self.base = f"{prefix}/{prop_id}"
        self.announce = announce(prop_id, name)
        self.state = copy.deepcopy(COFFIN_STATUS)
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"scripted-{prop_id}"
        )
        self.client.will_set(f"{self.base}/availability", "offline", qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def publish(self, kind: str, payload: Any, retain: bool = False) -> None:
        """Publish on one of the prop's topics with QoS 1."""
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.client.publish(f"{self.base}/{kind}", data, qos=1, retain=retain)

    def hello(self) -> None:
        """Publish availability, announce and status, in the contract's order."""
        with self.lock:
            self.publish("availability", "online", retain=True)
            self.publish("announce", self.announce, retain=True)
            self.publish("status", self.state, retain=True)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            return
        self.hello()
        client.subscribe(f"{self.base}/cmd", qos=1)
        client.subscribe("homeassistant/status", qos=1)
        print("connected", flush=True)

    def _on_message(
        self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage
    ) -> None:
        if msg.topic == "homeassistant/status":
            if msg.payload == b"online":
                threading.Timer(random.uniform(0, 3), self.hello).start()  # noqa: S311
            return
        command = json.loads(msg.payload)
        print("command", json.dumps(command), flush=True)
        reply: dict[str, Any] = {
            "correlation_id": command["correlation_id"],
            "ok": True,
        }
        with self.lock:
            action, key = command["action"], command.get("key")
            if action == "set" and key in self.state:
                value = command["value"]
                if key == "scream":
                    value = value["on"]
                elif key == "eyes":
                    value = {
                        **self.state["eyes"],
                        **{k: v for k, v in value.items() if k != "transition"},
                    }
                self.state[key] = value
                self.publish("ack", reply)
                self.publish("status", self.state, retain=True)
            elif action == "press" and key == "scare":
                self.publish("ack", reply)
                self.state["triggers"] += 1
                self.publish(
                    "event",
                    {
                        "key": "scared",
                        "type": "scare",
                        "data": {"count": self.state["triggers"]},
                    },
                )
                self.publish("status", self.state, retain=True)
            elif action in {"ping", "identify", "reboot", "announce"}:
                self.publish("ack", reply)
            else:
                self.publish(
                    "ack",
                    {
                        **reply,
                        "ok": False,
                        "error": "unsupported_action",
                        "message": action,
                    },
                )

    def run(self) -> None:
        """Connect and serve until SIGTERM, then say offline and leave."""
        stop = threading.Event()

        def on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_term)
        self.client.connect_async(self.host, self.port, keepalive=10)
        self.client.loop_start()
        stop.wait()
        info = self.client.publish(
            f"{self.base}/availability", "offline", qos=1, retain=True
        )
        info.wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()


def main(argv: list[str] | None = None) -> int:
    """Run one scripted prop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="propnet")
    parser.add_argument("--id", default="coffin_jumper")
    parser.add_argument("--name", default="Coffin Jumper")
    args = parser.parse_args(argv)
    ScriptedProp(args.host, args.port, args.prefix, args.id, args.name).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
