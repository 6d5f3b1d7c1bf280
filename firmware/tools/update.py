"""Pushes a build to a running prop over MQTT and reports whether the prop kept it."""

from __future__ import annotations

import base64
from collections.abc import Callable
import hashlib
import json
from pathlib import Path
import queue
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .build import MANIFEST
from .contract import commands

CHUNK = 2048
# main.py holds the rollback and boot.py runs before it: never sent.
FIXED = ("main.py", "boot.py")


class UpdateError(Exception):
    """The prop refused a step, did not answer, or rolled the update back."""


class PropLink:
    """A paho connection that sends commands to one prop and waits for their acks."""

    def __init__(
        self,
        host: str,
        port: int,
        base: str,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        """Connect and subscribe to the prop's acks and availability."""
        self.base = base
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.availability: queue.Queue[tuple[bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_message = self._on_message
        subscribed = queue.Queue[int]()
        self.client.on_subscribe = lambda *_: subscribed.put(1)
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe([(f"{base}/ack", 1), (f"{base}/availability", 1)])
        subscribed.get(timeout=10)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/ack"):
            try:
                self.acks.put(json.loads(msg.payload))
            except ValueError:
                return
        else:
            self.availability.put((msg.payload, msg.retain))

    def command(
        self, action: str, params: dict[str, Any] | None = None, timeout: float = 5
    ) -> dict[str, Any]:
        """Send one command and return its ack; raise UpdateError if refused or unanswered."""
        cid = commands.new_ulid()
        payload = commands.build_command(action, cid, params=params)
        self.client.publish(f"{self.base}/cmd", payload, qos=1)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UpdateError(
                    f"no ack for {action} within {timeout} s; is the prop online?"
                )
            try:
                ack = self.acks.get(timeout=left)
            except queue.Empty:
                continue
            if ack.get("correlation_id") != cid:
                continue
            if not ack.get("ok"):
                raise UpdateError(
                    f"{action} refused: {ack.get('error')}: {ack.get('message')}"
                )
            return ack

    def wait_restart(self, timeout: float) -> None:
        """Wait for the prop to go offline and come back online."""
        deadline = time.monotonic() + timeout
        seen_offline = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UpdateError("the prop did not restart and come back online")
            try:
                payload, retained = self.availability.get(timeout=left)
            except queue.Empty:
                continue
            if retained:
                continue
            if payload == b"offline":
                seen_offline = True
            elif payload == b"online" and seen_offline:
                return

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def files_to_send(build_dir: Path) -> dict[str, bytes]:
    """Return the build's files an update carries (all but main.py and boot.py)."""
    manifest: dict[str, str] = json.loads((build_dir / MANIFEST).read_text())
    return {
        path: (build_dir / path).read_bytes() for path in manifest if path not in FIXED
    }


def push(
    link: PropLink,
    files: dict[str, bytes],
    *,
    version: str,
    trial: float = 60,
    confirm: float = 10,
    progress: Callable[[str], None] = lambda _: None,
) -> str:
    """Send ``files`` to the prop, let it restart on trial, and return how the update ended."""
    manifest = {p: [len(d), hashlib.sha256(d).hexdigest()] for p, d in files.items()}
    link.command(
        "update_begin",
        {"files": manifest, "version": version, "trial": trial, "confirm": confirm},
    )
    sent = 0
    total = sum(len(d) for d in files.values())
    for path, data in files.items():
        for offset in range(0, len(data), CHUNK):
            piece = base64.b64encode(data[offset : offset + CHUNK]).decode()
            link.command(
                "update_chunk", {"path": path, "offset": offset, "data": piece}
            )
            sent += min(CHUNK, len(data) - offset)
        progress(f"sent {path} ({sent}/{total} bytes)")
    link.command("update_commit")
    progress("committed; the prop restarts to try the update")
    link.wait_restart(timeout=trial + 30)
    deadline = time.monotonic() + trial + confirm + 30
    while time.monotonic() < deadline:
        try:
            status = str(link.command("update_status").get("message", ""))
        except UpdateError:
            # Rolling back restarts the prop: it may be away for a moment.
            time.sleep(0.5)
            continue
        if status != "trial":
            return status
        time.sleep(0.5)
    raise UpdateError("the prop was still on trial when the wait ended")
