"""A small client for Home Assistant's websocket API, for tests and tools."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp


class WebSocketError(RuntimeError):
    """A websocket command failed."""


class HassWebSocket:
    """One authenticated websocket connection to a running Home Assistant."""

    def __init__(self, url: str, token: str) -> None:
        """Describe the connection; enter the context to open it."""
        self.url = url.replace("http", "ws", 1) + "/api/websocket"
        self.token = token
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1

    async def __aenter__(self) -> Self:
        """Connect and authenticate."""
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.url)
        hello = await self._ws.receive_json()
        if hello["type"] != "auth_required":
            raise WebSocketError(f"unexpected greeting {hello}")
        await self._ws.send_json({"type": "auth", "access_token": self.token})
        answer = await self._ws.receive_json()
        if answer["type"] != "auth_ok":
            raise WebSocketError(f"authentication failed: {answer}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the connection."""
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def send(self, command: str, **fields: Any) -> int:
        """Send a command and return its id without waiting for the answer."""
        assert self._ws is not None
        message_id = self._next_id
        self._next_id += 1
        await self._ws.send_json({"id": message_id, "type": command, **fields})
        return message_id

    async def receive(self) -> dict[str, Any]:
        """Return the next message from Home Assistant."""
        assert self._ws is not None
        message: dict[str, Any] = await self._ws.receive_json()
        return message

    async def command(self, command: str, **fields: Any) -> Any:
        """Send a command and return its result, raising on failure."""
        message_id = await self.send(command, **fields)
        while True:
            message = await self.receive()
            if message.get("id") != message_id or message["type"] != "result":
                continue
            if not message["success"]:
                raise WebSocketError(f"{command}: {message['error']}")
            return message["result"]
