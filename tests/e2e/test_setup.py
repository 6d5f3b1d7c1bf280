"""A user adds PropNet to a real Home Assistant connected to a real broker."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from paho.mqtt import publish

from tests.harness.broker import Broker
from tests.harness.hass import Hass
from tests.harness.ws import HassWebSocket


def wait_for(check: Any, timeout: float = 15) -> Any:
    """Poll ``check()`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)
    return result


async def test_user_adds_propnet_from_the_ui(propnet_cleanup: Hass) -> None:
    """PropNet is in the Add Integration list, and its flow loads an entry."""
    hass = propnet_cleanup
    async with HassWebSocket(hass.url, hass.token) as ws:
        listed = await ws.command("integration/descriptions")
    assert listed["custom"]["integration"]["propnet"]["config_flow"] is True
    assert listed["custom"]["integration"]["propnet"]["name"] == "PropNet"

    result = hass.config_flow(
        "propnet", {"next_step_id": "props"}, {"prefix": "halloween"}
    )
    assert result["type"] == "create_entry", result
    assert result["title"] == "PropNet (halloween)"

    entry = wait_for(
        lambda: next(
            (e for e in hass.entries("propnet") if e["state"] == "loaded"), None
        )
    )
    assert entry["title"] == "PropNet (halloween)"

    # PropNet put its blueprints into Home Assistant's folder on setting up.
    installed = hass.config / "blueprints" / "automation" / "propnet"
    assert (installed / "scare_on_motion.yaml").is_file()

    again = hass.config_flow(
        "propnet", {"next_step_id": "props"}, {"prefix": "halloween"}
    )
    assert again["type"] == "abort"
    assert again["reason"] == "already_configured"


async def test_an_announcing_prop_makes_home_assistant_offer_propnet(
    propnet_cleanup: Hass, broker: Broker
) -> None:
    """A prop's retained announce starts the discovery flow, named after it."""
    hass = propnet_cleanup
    publish.single(
        "propnet/coffin_jumper/announce",
        json.dumps(
            {"v": 1, "id": "coffin_jumper", "name": "Coffin Jumper", "entities": []}
        ),
        qos=1,
        retain=True,
        hostname=broker.host,
        port=broker.port,
    )
    try:
        async with HassWebSocket(hass.url, hass.token) as ws:
            deadline = time.monotonic() + 15
            flows: list[dict[str, Any]] = []
            while not flows:
                assert time.monotonic() < deadline, "no PropNet flow was offered"
                progress = await ws.command("config_entries/flow/progress")
                flows = [f for f in progress if f["handler"] == "propnet"]
                if not flows:
                    await asyncio.sleep(0.1)
        flow = flows[0]
        assert flow["step_id"] == "discovery_confirm"
        assert flow["context"]["title_placeholders"] == {"name": "Coffin Jumper"}

        result = hass.post(f"/api/config/config_entries/flow/{flow['flow_id']}", {})
        assert result["type"] == "create_entry", result
        assert result["title"] == "PropNet"
        wait_for(lambda: [e for e in hass.entries("propnet") if e["state"] == "loaded"])
    finally:
        publish.single(
            "propnet/coffin_jumper/announce",
            b"",
            qos=1,
            retain=True,
            hostname=broker.host,
            port=broker.port,
        )
