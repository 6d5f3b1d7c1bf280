"""Pushes a build to a running prop over MQTT and reports whether the prop kept it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from pathlib import Path
import queue
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .contract import commands, transfer


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


class AsyncLink:
    """The transfer's Link over a PropLink: its blocking waits run in a thread."""

    def __init__(self, link: PropLink) -> None:
        """Wrap ``link``."""
        self.link = link

    async def command(self, action: str, params: dict[str, Any] | None = None) -> str:
        """Send one command; return its ack's message."""
        try:
            ack = await asyncio.to_thread(self.link.command, action, params)
        except UpdateError as err:
            raise transfer.TransferError("refused", str(err)) from None
        return str(ack.get("message") or "")

    async def wait_restart(self, within: float) -> None:
        """Wait for the prop to go offline and come back."""
        try:
            await asyncio.to_thread(self.link.wait_restart, within)
        except UpdateError as err:
            raise transfer.TransferError("no_restart", str(err)) from None


def files_to_send(build_dir: Path) -> dict[str, bytes]:
    """Return the build's files an update carries (all but main.py and boot.py)."""
    try:
        return transfer.read_release(build_dir).files()
    except transfer.TransferError as err:
        raise UpdateError(f"{build_dir}: {err}") from None


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

    current: list[str] = []

    def report(sent: int, total: int, stage: str) -> None:
        # One line a file: when the next one starts, and at the commit.
        if stage.startswith("sent "):
            if current and current[0] != stage:
                progress(f"{current[0]} ({current[1]})")
            current[:] = [stage, f"{sent}/{total} bytes"]
        elif stage == "restarting":
            if current:
                progress(f"{current[0]} ({current[1]})")
            progress("committed; the prop restarts to try the update")

    try:
        return asyncio.run(
            transfer.install(
                AsyncLink(link),
                files,
                version=version,
                trial=trial,
                confirm=confirm,
                progress=report,
            )
        )
    except transfer.TransferError as err:
        raise UpdateError(str(err)) from None
