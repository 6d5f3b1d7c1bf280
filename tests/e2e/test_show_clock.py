"""Props with shows under a real Home Assistant: it opens the show clock, the props find it and fire together on it.

Three MicroPython props with shifted, fast and slow clocks (libfaketime) are
told nothing but the broker: Home Assistant opens its time service when they
announce, publishes where it is, and shows each prop's clock health as
entities. Cues sent to them for one instant fire at it on Home Assistant's
own clock (the machine's monotonic clock, which this test reads too): the
clock's error, each firing stamped outside the prop less the lateness the
prop measured itself, is within 2 ms for 95 % of them, and every firing is
within its tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import time

import pytest

from custom_components.propnet.protocol.timesync import hub_us
from tests.harness.broker import Broker
from tests.harness.demo import set_lighting_options
from tests.harness.hass import Hass
from tests.harness.procs import free_port, wait_until
from tests.harness.pty_widget import PtyWidget
from tests.harness.showroom import (
    Room,
    assert_on_time,
    clock_errors,
    faketime_available,
    show_room,
    skews,
    toggles,
)
from tests.harness.watcher import Watcher
from tests.lighting.test_network import SacnCatcher

pytestmark = pytest.mark.skipif(
    not faketime_available(), reason="libfaketime (Debian faketime) not installed"
)
CUES, EVERY_MS = 20, 100


@pytest.fixture
def room(propnet_cleanup: Hass, broker: Broker, tmp_path: Path) -> Iterator[Room]:
    """Add PropNet to the shared hass and start three props with shows."""
    result = propnet_cleanup.config_flow(
        "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
    )
    assert result["type"] == "create_entry", result
    with show_room(tmp_path, broker.port, None) as running:
        yield running


def test_home_assistant_keeps_the_show_clock_and_shows_each_props_health(
    real_hass: Hass, room: Room
) -> None:
    """The clock's address is retained, each prop syncs, and its health is on its device page."""
    clock = room.watcher.wait_for(
        "propnet/_hub/clock", 30, match=lambda m: bool(m.payload)
    )
    where = json.loads(clock.payload)
    assert where["v"] == 1
    assert isinstance(where["port"], int)
    # Home Assistant writes its log from a thread of its own, so the line can
    # trail the retained message.
    wait_until(
        lambda: "show clock answers on" in real_hass.process.log.read_text(),
        10,
        "the log line naming the show clock's address",
    )
    for n in range(3):
        real_hass.wait_state(
            f"binary_sensor.cue_{n}_clock_synced", "on", 30, room.props[n].tail()
        )
        assert real_hass.states()[f"sensor.cue_{n}_show"]["state"] == "empty"

    def health_reported() -> bool:
        states = real_hass.states()
        return all(
            states.get(f"sensor.cue_{n}_clock_error_bound", {}).get("state")
            not in (None, "unknown", "unavailable")
            for n in range(3)
        )

    wait_until(health_reported, 30, "the clock's health readings")
    states = real_hass.states()
    for n in range(3):
        bound = float(states[f"sensor.cue_{n}_clock_error_bound"]["state"])
        assert 0 <= bound <= 2, bound
        drift = float(states[f"sensor.cue_{n}_clock_drift"]["state"])
        # libfaketime runs the props 100 to 200 ppm fast or slow.
        assert 50 <= abs(drift) <= 250, drift

    room.load_everywhere(toggles(CUES, EVERY_MS))
    real_hass.wait_state("sensor.cue_0_show", "loaded", 10)
    mark = room.watcher.mark()
    start = hub_us() + 1_000_000
    room.start_everywhere(start)
    time.sleep(1 + CUES * EVERY_MS / 1000 + 0.6)
    late = skews(room.stamps, start, CUES, EVERY_MS, 3)
    assert_on_time(late, clock_errors(room, mark, late, CUES))
    log = real_hass.process.log.read_text()
    assert "Error handling show" not in log


def put_show(real_hass: Hass, name: str, template: str, player: str) -> None:
    """Write a show of every prop's lid toggles into Home Assistant, reload, and wait until it is ready."""
    cues = "\n".join(
        f"  - {{at: {i * EVERY_MS / 1000}, prop: cue_{p}, turn_{'on' if i % 2 == 0 else 'off'}: lid}}"
        for i in range(CUES)
        for p in range(3)
    )
    folder = real_hass.config / "propnet" / "shows"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(template.format(cues=cues))
    real_hass.post("/api/services/propnet/reload_shows", {})

    def ready() -> bool:
        state = real_hass.states().get(player)
        return state is not None and state["attributes"].get("not_ready") == {}

    wait_until(ready, 40, f"the {name} show to be ready")


ROOM_SHOW = """\
name: Room show
lead: 0.5
cues:
{cues}
  - at: 1
    action: mqtt.publish
    data: {{topic: propnet_test/cue, payload: thunder}}
"""


def test_a_show_file_plays_the_props_together_from_its_media_player(
    real_hass: Hass, room: Room, broker: Broker
) -> None:
    """A show file under propnet/shows, reloaded, played: three props fire every cue on the show clock, and the action cue is on time."""
    with Watcher(broker.port, "propnet_test/cue") as thunder:
        _play_the_room_show(real_hass, room, thunder)


def _play_the_room_show(real_hass: Hass, room: Room, thunder: Watcher) -> None:
    """Play the room show and check its props and its action cue."""
    player = "media_player.room_show"
    put_show(real_hass, "room", ROOM_SHOW, player)
    mark = room.watcher.mark()
    real_hass.post("/api/services/media_player/media_play", {"entity_id": player})
    starts = [
        room.watcher.wait_for(
            f"propnet/cue_{p}/cmd",
            10,
            since=mark,
            match=lambda m: json.loads(m.payload)["action"] == "show_start",
        )
        for p in range(3)
    ]
    instants = {json.loads(s.payload)["params"]["at"] for s in starts}
    assert len(instants) == 1, "one instant for every prop"
    start = instants.pop()
    real_hass.wait_state(player, "playing", 5)
    assert heap_frozen(real_hass), "playing: the collector leaves it be"
    time.sleep(max(0.0, (start - hub_us()) / 1e6) + CUES * EVERY_MS / 1000 + 0.6)
    late = skews(room.stamps, start, CUES, EVERY_MS, 3)
    assert_on_time(late, clock_errors(room, mark, late, CUES))
    # The action cue went out at 1 s, through Home Assistant's MQTT client.
    heard = thunder.wait_for("propnet_test/cue", 5)
    assert heard.payload == b"thunder"
    assert abs(heard.at * 1e6 - (start + 1_000_000)) <= 50_000
    real_hass.wait_state(player, "idle", 10)
    state = real_hass.states()[player]
    assert state["attributes"]["runs"] == 1
    assert state["attributes"]["cues_skipped"] == 0
    assert not heap_frozen(real_hass), "ended: given back"


def heap_frozen(real_hass: Hass) -> bool:
    """Return whether the props hub's diagnostics say a show holds Home Assistant's heap frozen."""
    for entry in real_hass.entries("propnet"):
        path = f"/api/diagnostics/config_entry/{entry['entry_id']}"
        if "shows" in (data := real_hass.get(path)["data"]):
            frozen: bool = data["shows"]["heap_frozen"]
            return frozen
    raise AssertionError("no props hub runs shows")


HAUNT = """\
name: Haunt
lead: 0.5
cycle:
  trigger: {{entity_id: binary_sensor.haunt_motion, to: "on"}}
  cooldown: 3
  idle:
    duration: 1
    cues:
      - {{at: 0, light: Wash, brightness: 50}}
cues:
{cues}
  - {{at: 0.5, light: Wash, brightness: 255}}
  - {{at: 1, chase: [Left, Right], step: 0.1, times: 2}}
  - {{at: 1.5, light: Wash, brightness: 0}}
"""
ROOM_FIXTURES = "Main, 1, rgb\nWash, 4, dimmer\nLeft, 5, dimmer\nRight, 6, dimmer"


def test_motion_starts_the_room_show_its_lights_reach_the_outputs_and_the_cooldown_refuses(
    real_hass: Hass, room: Room, tmp_path: Path
) -> None:
    """Idle look, motion, the show on props, Enttec and sACN together, a refusal while it cools down, the idle look again."""
    log_from = len(real_hass.process.log.read_text())
    port = free_port()
    receiver = SacnCatcher(port, 1)
    widget = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN777-if00-port0")
    try:
        result = real_hass.config_flow(
            "propnet", {"next_step_id": "lighting"}, {"base": "v1/haunt/rgb"}
        )
        assert result["type"] == "create_entry", result
        set_lighting_options(
            real_hass,
            result["result"]["entry_id"],
            widget.link,
            None,
            network_outputs=f"sacn 127.0.0.1:{port} universes=1",
            fixtures=ROOM_FIXTURES,
        )
        player = "media_player.haunt"
        put_show(real_hass, "haunt", HAUNT, player)
        # Armed and waiting: the idle loop's look on both outputs.
        wash = 4
        wait_until(
            lambda: any(f[wash] == 50 for _, f in widget.received()),
            10,
            "the idle look",
        )
        receiver.until(lambda p: p.dmxData[wash - 1] == 50)

        mark = room.watcher.mark()
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "on"})
        start_message = room.watcher.wait_for(
            "propnet/cue_0/cmd",
            10,
            since=mark,
            match=lambda m: json.loads(m.payload)["action"] == "show_start",
        )
        start = json.loads(start_message.payload)["params"]["at"]
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "off"})
        # Someone else walks by while the show runs: refused.
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "on"})
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "off"})
        receiver.until(lambda p: p.dmxData[wash - 1] == 255)
        time.sleep(max(0.0, (start - hub_us()) / 1e6) + 2.0)
        late = skews(room.stamps, start, CUES, EVERY_MS, 3)
        assert_on_time(late, clock_errors(room, mark, late, CUES))
        # The light cue's first frame left at its instant on both outputs.
        due = (start + 500_000) / 1e6
        enttec = next(t for t, f in widget.received() if f[wash] == 255)
        assert -0.002 <= enttec - due <= 0.05, enttec - due
        # The chase: Left, Right, Left, Right, each alone for its step.
        left, right = 5, 6
        alone: list[tuple[float, str]] = []
        for t, f in widget.received():
            # One frame may hold both while a step hands over (the next on
            # and the last going back leave microseconds apart): not a step.
            lit = {(True, False): "Left", (False, True): "Right"}.get(
                (bool(f[left]), bool(f[right]))
            )
            if lit is not None and (not alone or alone[-1][1] != lit):
                alone.append((t, lit))
        assert [who for _, who in alone] == ["Left", "Right", "Left", "Right"], alone
        for step, (t, _) in enumerate(alone):
            chase_due = (start + 1_000_000 + step * 100_000) / 1e6
            assert -0.002 <= t - chase_due <= 0.05, (step, t - chase_due)
        last = widget.received()[-1][1]
        assert (last[left], last[right]) == (0, 0), "both back after the chase"
        real_hass.wait_state(player, "idle", 10)
        # Home Assistant's own measure of the cues it fired (the wash's two
        # and the chase's steps): none later than the 20 ms tolerance.
        lateness = real_hass.states()[player]["attributes"]["cue_lateness_ms"]
        assert lateness["cues"] >= 2, lateness
        assert 0 <= lateness["p50"] <= lateness["p99"] <= lateness["max"] <= 20
        real_hass.wait_state("sensor.haunt_cycle", "cooldown", 5)
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "on"})
        real_hass.post("/api/states/binary_sensor.haunt_motion", {"state": "off"})

        def refused_twice() -> bool:
            attributes = real_hass.states()["sensor.haunt_cycle"]["attributes"]
            return (
                attributes["refused"] == 2 and attributes["last_refusal"] == "cooldown"
            )

        wait_until(refused_twice, 5, "two refusals, the last for the cooldown")
        assert real_hass.states()["sensor.haunt_runs"]["state"] == "1"
        # The show is over: the idle look is back.
        after = time.monotonic()
        wait_until(
            lambda: any(t > after and f[wash] == 50 for t, f in widget.received()),
            5,
            "the idle look after the show",
        )
        real_hass.wait_state("sensor.haunt_cycle", "waiting", 10)
        assert "Traceback" not in real_hass.process.log.read_text()[log_from:]
    finally:
        receiver.close()
        widget.close()


def test_a_show_exported_from_home_assistant_is_imported_back_whole(
    real_hass: Hass, room: Room
) -> None:
    """Export through the REST API, the show file lost, imported back: the same show plays again."""
    player = "media_player.travel_show"
    put_show(real_hass, "travel", ROOM_SHOW.replace("Room show", "Travel show"), player)
    exported = real_hass.post(
        "/api/services/propnet/export_show?return_response", {"show": "travel"}
    )["service_response"]
    archive = Path(exported["file"])
    assert archive == real_hass.config / "propnet/exports/travel.propnet-show.zip"
    assert archive.stat().st_size == exported["bytes"]

    (real_hass.config / "propnet" / "shows" / "travel.yaml").unlink()
    real_hass.post("/api/services/propnet/reload_shows", {})
    wait_until(
        lambda: player not in real_hass.states(), 20, "the show to go with its file"
    )
    imported = real_hass.post(
        "/api/services/propnet/import_show?return_response",
        {"file": "propnet/exports/travel.propnet-show.zip"},
    )["service_response"]
    assert imported == {"show": "travel"}
    wait_until(lambda: player in real_hass.states(), 20, "the imported show")
