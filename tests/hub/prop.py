"""A scripted prop that speaks the contract inside Home Assistant's test MQTT."""

from __future__ import annotations

import copy
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message

from tests.harness.scripted_prop import COFFIN_ENTITIES, COFFIN_STATUS


class Prop:
    """A prop on the test broker: announces, reports, and answers commands.

    ``reply`` decides how it answers: "ok" (ack and new status), "silent" (no
    ack at all) or an error code for ``ok: false``.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        prop_id: str = "coffin_jumper",
        name: str = "Coffin Jumper",
        prefix: str = "propnet",
        entities: list[dict[str, Any]] | None = None,
        mac: str = "a4:cf:12:00:00:01",
    ) -> None:
        """Describe the prop; nothing is sent yet."""
        self.hass = hass
        self.id = prop_id
        self.prefix = prefix
        self.announcement: dict[str, Any] = {
            "v": 1,
            "id": prop_id,
            "name": name,
            "model": "Coffin jumper",
            "manufacturer": "PropNet",
            "sw_version": "1.0.0",
            "hw_version": "esp32",
            "mac": mac,
            "ip": "192.168.1.50",
            "entities": copy.deepcopy(
                COFFIN_ENTITIES if entities is None else entities
            ),
        }
        self.state: dict[str, Any] = (
            copy.deepcopy(COFFIN_STATUS) if entities is None else {}
        )
        self.reply = "ok"
        self.commands: list[dict[str, Any]] = []

    def topic(self, kind: str) -> str:
        """Return one of this prop's topics."""
        return f"{self.prefix}/{self.id}/{kind}"

    def send(self, kind: str, payload: Any, retain: bool = False) -> None:
        """Publish a payload (JSON unless bytes or str) on one of its topics."""
        if not isinstance(payload, bytes | str):
            payload = json.dumps(payload)
        async_fire_mqtt_message(self.hass, self.topic(kind), payload, 1, retain)

    async def connect(self) -> None:
        """Do what a prop does on connecting: online, announce, status."""
        await self.answer_commands()
        self.send("availability", "online")
        self.send("announce", self.announcement)
        self.send("status", self.state)
        await self.hass.async_block_till_done()

    def go_offline(self) -> None:
        """Send the last will."""
        self.send("availability", "offline")

    def fire(
        self, key: str, event_type: str, data: dict[str, Any] | None = None
    ) -> None:
        """Fire an event of an event entity."""
        self.send("event", {"key": key, "type": event_type, "data": data or {}})

    async def answer_commands(self) -> None:
        """Listen on the cmd topic and answer as a real prop would."""
        await mqtt.async_subscribe(self.hass, self.topic("cmd"), self._on_command, 1)

    @callback
    def _on_command(self, msg: mqtt.ReceiveMessage) -> None:
        command = json.loads(msg.payload)
        self.commands.append(command)
        if self.reply == "silent":
            return
        cid = command["correlation_id"]
        if self.reply != "ok":
            self.send(
                "ack",
                {
                    "correlation_id": cid,
                    "ok": False,
                    "error": self.reply,
                    "message": "lid jammed",
                },
            )
            return
        self.send("ack", {"correlation_id": cid, "ok": True})
        if command["action"] == "set":
            key, value = command["key"], command["value"]
            kinds = {e["key"]: e["type"] for e in self.announcement["entities"]}
            if kinds.get(key) == "siren":
                value = value["on"]
            elif isinstance(value, dict) and isinstance(self.state.get(key), dict):
                value = {
                    **self.state[key],
                    **{k: v for k, v in value.items() if k != "transition"},
                }
            self.state[key] = value
            self.send("status", {key: value})
