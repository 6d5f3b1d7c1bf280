"""Commands to props: correlation ids, acks awaited with a time limit, failures raised."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from ..const import DOMAIN
from ..protocol.commands import ACK_TIMEOUT, build_command, new_ulid
from ..protocol.decode import MAX_PAYLOAD_BYTES
from ..protocol.messages import Ack
from ..protocol.names import TOPIC_CMD, prop_topic

type AckOutcome = Literal["matched", "unmatched_ack", "ack_mismatch"]

# A prop that says no for one of these did its job: the request was the
# problem (Home Assistant logs those without a traceback). ``internal`` is a
# fault of the prop and stays an error.
REFUSALS = frozenset({"busy", "bad_value", "unknown_key", "unsupported_action"})


class CommandBus:
    """Publishes commands on one prefix and hands each ack to the command awaiting it."""

    def __init__(self, hass: HomeAssistant, prefix: str) -> None:
        """Start with no command in flight."""
        self.hass = hass
        self.prefix = prefix
        self._pending: dict[str, tuple[str, asyncio.Future[Ack]]] = {}

    def on_ack(self, prop_id: str, ack: Ack) -> AckOutcome:
        """Resolve the command ``ack`` answers; say why when it answers none."""
        pending = self._pending.get(ack.correlation_id)
        if pending is None:
            return "unmatched_ack"
        if pending[0] != prop_id:
            return "ack_mismatch"
        if not pending[1].done():
            pending[1].set_result(ack)
        return "matched"

    def target_of(self, correlation_id: str) -> str | None:
        """Return the prop a command in flight went to."""
        pending = self._pending.get(correlation_id)
        return None if pending is None else pending[0]

    def fail_pending(self, reason: str) -> None:
        """Fail every command still waiting, with the translated ``reason``."""
        for prop_id, future in self._pending.values():
            if not future.done():
                future.set_exception(
                    HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key=reason,
                        translation_placeholders={"prop": prop_id},
                    )
                )

    async def async_send(
        self,
        prop_id: str,
        name: str,
        action: str,
        *,
        key: str | None,
        value: Any,
        params: dict[str, Any] | None,
    ) -> Ack:
        """Publish a command and wait for its ack; raise when it fails or none comes."""
        correlation_id = new_ulid()
        placeholders = {"prop": name, "action": action}
        try:
            payload = build_command(action, correlation_id, key, value, params)
        except (TypeError, ValueError) as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="command_not_json",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from None
        if len(payload) > MAX_PAYLOAD_BYTES:
            # The prop reads at most this much; it would drop the command.
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="command_too_large",
                translation_placeholders={
                    **placeholders,
                    "size": str(len(payload)),
                    "limit": str(MAX_PAYLOAD_BYTES),
                },
            )
        future: asyncio.Future[Ack] = self.hass.loop.create_future()
        self._pending[correlation_id] = (prop_id, future)
        try:
            await mqtt.async_publish(
                self.hass,
                prop_topic(self.prefix, prop_id, TOPIC_CMD),
                payload,
                qos=1,
                retain=False,
            )
            async with asyncio.timeout(ACK_TIMEOUT):
                ack = await future
        except TimeoutError:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_timeout",
                translation_placeholders={"prop": name, "action": action},
            ) from None
        finally:
            self._pending.pop(correlation_id, None)
        if not ack.ok:
            refused = ack.error in REFUSALS
            raise (ServiceValidationError if refused else HomeAssistantError)(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={
                    "prop": name,
                    "action": action,
                    "error": ack.error or "",
                    "message": ack.message or "",
                },
            )
        return ack
