"""Sets up the demo show in a running Home Assistant: PropNet, show lighting, the dashboard."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml

from ..common import sectioned
from .hass import REPO, Hass, HassError
from .ws import HassWebSocket

DASHBOARD_FILE = REPO / "docs" / "dashboard.yaml"
DASHBOARD_PATH = "propnet-show"
FIXTURES = "Main, 1, rgb\nWash, 4, dimmer"


def _entry(hass: Hass, title: str) -> dict[str, Any] | None:
    for entry in hass.entries("propnet"):
        if entry["title"] == title:
            return entry
    return None


def set_up_propnet(hass: Hass, enttec_port: Path | None, ola_url: str | None) -> None:
    """Add PropNet for props and for show lighting (once), and point lighting at the outputs."""
    if _entry(hass, "PropNet") is None:
        result = hass.config_flow(
            "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
        )
        if result["type"] != "create_entry":
            raise HassError(f"adding PropNet failed: {result}")
    lighting = _entry(hass, "Show lighting")
    if lighting is None:
        result = hass.config_flow(
            "propnet", {"next_step_id": "lighting"}, {"base": "v1/demo/rgb"}
        )
        if result["type"] != "create_entry":
            raise HassError(f"adding show lighting failed: {result}")
        lighting = result["result"]
    assert lighting is not None
    # The outputs' addresses change between runs (OLA's ports), so the
    # options are set on every start.
    set_lighting_options(hass, lighting["entry_id"], enttec_port, ola_url)


def set_lighting_options(
    hass: Hass,
    entry_id: str,
    enttec_port: Path | None,
    ola_url: str | None,
    **extra: Any,
) -> None:
    """Run the lighting options flow: two fixtures, the given outputs, ``extra``, defaults otherwise."""
    menu = hass.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    flow = hass.post(
        f"/api/config/config_entries/options/flow/{menu['flow_id']}",
        {"next_step_id": "settings"},
    )
    options: dict[str, Any] = {
        "fixtures": FIXTURES,
        "enttec_fps": 40,
        "enttec_universe": 1,
        "ola_universe": 1,
        "sacn_input_universe": 0,
        "sacn_input_channel": 1,
        "sacn_input_port": 5568,
        "input_baudrate": 115200,
        "input_channel": 1,
        "dedupe_ttl": 900,
        "dedupe_capacity": 4096,
        "queue_size": 10000,
    }
    if enttec_port is not None:
        options["enttec_port"] = str(enttec_port)
    if ola_url is not None:
        options["ola_url"] = ola_url
    options.update(extra)
    done = hass.post(
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        sectioned(options),
    )
    if done["type"] != "create_entry":
        raise HassError(f"setting the lighting options failed: {done}")


def dashboard_config() -> dict[str, Any]:
    """Return the show dashboard of docs/dashboard.yaml."""
    config: dict[str, Any] = yaml.safe_load(DASHBOARD_FILE.read_text())
    return config


async def _install_dashboard(hass: Hass) -> None:
    async with HassWebSocket(hass.url, hass.token) as ws:
        dashboards = await ws.command("lovelace/dashboards/list")
        if not any(d["url_path"] == DASHBOARD_PATH for d in dashboards):
            await ws.command(
                "lovelace/dashboards/create",
                url_path=DASHBOARD_PATH,
                title="PropNet show",
                icon="mdi:ghost",
                show_in_sidebar=True,
                require_admin=False,
                mode="storage",
            )
        await ws.command(
            "lovelace/config/save", url_path=DASHBOARD_PATH, config=dashboard_config()
        )


def install_dashboard(hass: Hass) -> str:
    """Create (or refresh) the show dashboard; return its URL."""
    asyncio.run(_install_dashboard(hass))
    return f"{hass.url}/{DASHBOARD_PATH}/show"
