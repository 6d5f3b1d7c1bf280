"""A user's measured lead in a real hass: measured in one play, still there after a restart, gone with the entry."""

from __future__ import annotations

from pathlib import Path

from tests.harness.hass import Hass
from tests.harness.procs import wait_until

# A script that takes a third of a second stands for a slow device: with
# ``lead: measured`` PropNet times it to its return.
SCRIPTS = """\
fog_burst:
  alias: Fog burst
  sequence:
    - delay: {milliseconds: 300}
"""
SHOW = """\
name: Fog
lead: 0.5
cues:
  - {at: 0.4, action: script.fog_burst, lead: measured}
duration: 1
"""
PLAYER = "media_player.fog"
KEY = "script.fog_burst"


def leads(real_hass: Hass) -> dict[str, int]:
    """Return the fog show's measured leads as its media player lists them."""
    state = real_hass.states().get(PLAYER)
    assert state is not None, "the fog show's player"
    return dict(state["attributes"]["measured_leads_ms"])


def test_a_measured_lead_outlives_a_home_assistant_restart(
    propnet_cleanup: Hass,
) -> None:
    """Play once: the fog machine's 300 ms are measured. Restart: the show still calls it that early. Delete PropNet: the measure goes."""
    real_hass = propnet_cleanup
    (real_hass.config / "scripts.yaml").write_text(SCRIPTS)
    real_hass.post("/api/services/script/reload", {})
    folder = real_hass.config / "propnet" / "shows"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fog.yaml").write_text(SHOW)
    result = real_hass.config_flow(
        "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
    )
    assert result["type"] == "create_entry", result
    (entry_id,) = [e["entry_id"] for e in real_hass.entries("propnet")]
    real_hass.wait_state(PLAYER, "idle", 30)
    assert leads(real_hass) == {KEY: 0}, "nothing measured yet"

    real_hass.post("/api/services/media_player/media_play", {"entity_id": PLAYER})
    wait_until(lambda: leads(real_hass)[KEY] > 0, 10, "the fog burst measured")
    measured = leads(real_hass)[KEY]
    assert 300 <= measured < 1000, measured
    real_hass.wait_state(PLAYER, "idle", 10)

    real_hass.restart()
    real_hass.wait_state(PLAYER, "idle", 30)
    assert leads(real_hass) == {KEY: measured}, "the measure came back"
    saved: Path = real_hass.config / ".storage" / f"propnet.shows.{entry_id}.leads"
    assert saved.exists()

    real_hass.delete(f"/api/config/config_entries/entry/{entry_id}")
    wait_until(lambda: not saved.exists(), 10, "the saved leads removed")
    (folder / "fog.yaml").unlink()
    (real_hass.config / "scripts.yaml").write_text("{}\n")
