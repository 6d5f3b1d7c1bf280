"""The action cues' MQTT messages stamped in a process of their own, at the stampers' real-time priority, so the bench's busy threads cannot delay the stamp.

The bench's own subscriber stamps in a process that also runs the load
(300 publishes a second), the sACN receiver and the lag probe: a message
can wait there for the interpreter lock, up to Python's 5 ms switch
interval per thread ahead of it, and look that much late. Here nothing
else runs: the stamp is taken as the client hands the message over.
"""

from __future__ import annotations

from dataclasses import dataclass
import sys
import threading
import time

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .dmxstamp import start_stamper


@dataclass(frozen=True)
class Stamped:
    """One message: when it arrived (monotonic s) and its payload."""

    at: float
    payload: bytes


def child(port: int, topic: str) -> None:
    """Subscribe to ``topic`` on the loopback broker; print each message's arrival and payload."""
    # Nothing is left for the collector to interrupt a stamp with.
    import gc

    gc.disable()
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-mqttstamp")

    def on_connect(c: mqtt.Client, *_args: object) -> None:
        c.subscribe(topic, 0)

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        at = time.monotonic()
        sys.stdout.write(f"{at:.6f} {message.payload.hex()}\n")
        sys.stdout.flush()

    client.on_connect = on_connect
    client.on_subscribe = lambda *_args: ready.set()
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not ready.wait(10):
        raise SystemExit("no subscription")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()


class MqttStamps:
    """Messages on one topic, stamped by ``child`` in its own process; ``mark`` and ``messages`` as the tests' Watcher has them."""

    def __init__(self, port: int, topic: str, realtime: bool) -> None:
        """Start the process and wait until it is subscribed."""
        self.messages: list[Stamped] = []
        self.proc = start_stamper("bench.mqttstamp", [str(port), topic], realtime)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            at, payload = line.split(maxsplit=1) if " " in line else (line, "")
            self.messages.append(Stamped(float(at), bytes.fromhex(payload.strip())))

    def mark(self) -> int:
        """Return how many messages have arrived, to read only later ones."""
        return len(self.messages)

    def close(self) -> None:
        """End the process."""
        self.proc.kill()
        self.proc.wait(5)
        self._thread.join(2)


if __name__ == "__main__":
    child(int(sys.argv[1]), sys.argv[2])
