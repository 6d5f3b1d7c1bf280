"""A paho client that records every message on some topics, for asserting on traffic."""

from __future__ import annotations

from dataclasses import dataclass
import socket
import threading
import time
from typing import Any, Self

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .procs import LOOPBACK


@dataclass(frozen=True)
class Seen:
    """One message as received."""

    topic: str
    payload: bytes
    retain: bool
    at: float


class Watcher:
    """Subscribes to ``topics`` and keeps what arrives."""

    def __init__(
        self,
        port: int,
        *topics: str,
        host: str = LOOPBACK,
        login: tuple[str, str] | None = None,
    ) -> None:
        """Connect and subscribe; blocks until the subscription is acknowledged."""
        self.messages: list[Seen] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.connect(host, port)
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            # Small messages should not wait for Nagle's algorithm (timings).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("the watcher could not subscribe")

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(
                Seen(msg.topic, msg.payload, msg.retain, time.monotonic())
            )
            self._cond.notify_all()

    def publish(
        self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False
    ) -> float:
        """Publish, wait until the broker has it, and return when publishing began."""
        started = time.monotonic()
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)
        return started

    def wait_for(
        self, topic: str, timeout: float = 10, since: int = 0, match: Any = None
    ) -> Seen:
        """Return the first message on ``topic`` after index ``since`` (matching ``match``)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for seen in self.messages[since:]:
                    if seen.topic == topic and (match is None or match(seen)):
                        return seen
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [m.topic for m in self.messages[since:]]
                    raise TimeoutError(
                        f"nothing on {topic} within {timeout} s; saw {got}"
                    )
                self._cond.wait(left)

    def mark(self) -> int:
        """Return an index: wait_for(since=mark) ignores what came before."""
        with self._cond:
            return len(self.messages)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Self:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Disconnect on leaving."""
        self.close()
