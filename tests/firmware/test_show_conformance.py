"""A prop with shows, running the real firmware, against the show part of the wire contract, read with the hub's own parsers."""

from __future__ import annotations

from collections.abc import Iterator
import time

import pytest

from custom_components.propnet.protocol import announce as announce_parser
from custom_components.propnet.protocol.cues import Cue, load_parts, parse_show_report
from custom_components.propnet.protocol.timesync import hub_us
from custom_components.propnet.protocol.values import parse_values
from tests.harness.broker import Broker
from tests.harness.showroom import Room, faketime_available, show_room
from tests.harness.timehub import TimeHub

pytestmark = pytest.mark.skipif(
    not faketime_available(), reason="libfaketime (Debian faketime) not installed"
)
SHOW_KEYS = {
    "show_state",
    "clock_synced",
    "clock_error",
    "clock_offset",
    "clock_rtt",
    "clock_drift",
    "cue_lateness",
    "cues_skipped",
}


@pytest.fixture(scope="module")
def room(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """One prop with shows, synced with the hub's own time service."""
    with (
        TimeHub() as hub,
        show_room(
            tmp_path_factory.mktemp("show"), broker.port, hub.port, count=1
        ) as running,
    ):
        running.wait_synced(20)
        yield running


def announce_of(room: Room) -> announce_parser.Announce:
    """Return the announce the prop published, parsed as the hub parses it."""
    seen = room.watcher.wait_for(
        "propnet/cue_0/announce", 5, match=lambda m: bool(m.payload) and not m.retain
    )
    return announce_parser.parse_announce(seen.payload, "cue_0")


def test_the_announce_says_the_prop_runs_shows_and_declares_its_clock(
    room: Room,
) -> None:
    """show.max_cues and the clock's entities, as the hub reads them."""
    announce = announce_of(room)
    assert announce.show_cues == 256
    assert {e.key for e in announce.entities} >= SHOW_KEYS


def test_status_and_telemetry_fit_the_announce(room: Room) -> None:
    """Every show key the prop reports is valid for its announced entity."""
    announce = announce_of(room)
    reported = [
        m
        for m in room.watcher.messages
        if m.topic == "propnet/cue_0/status" and m.payload
    ]
    assert reported
    for m in reported:
        values, problems = parse_values(m.payload, announce, sensors_only=False)
        assert problems == [], problems
    assert values["clock_synced"] is True


def test_the_hubs_parts_load_and_the_reports_parse(room: Room) -> None:
    """A list in the hub's parts is taken whole; what the prop reports parses strictly."""
    cues = [
        Cue(i * 5, "on" if i % 2 == 0 else "off", "lid", None, 25) for i in range(200)
    ]
    parts = load_parts("long", cues)
    assert len(parts) > 1
    for params in parts:
        ack = room.command("cue_0", "show_load", params)
        assert ack["ok"], ack
    assert ack["message"] == "200 cues of long loaded"
    mark = room.watcher.mark()
    assert room.command("cue_0", "show_start", {"at": hub_us() + 300_000})["ok"]
    time.sleep(1.8)
    reports = [
        parse_show_report(m.payload)
        for m in room.watcher.messages[mark:]
        if m.topic == "propnet/cue_0/show"
    ]
    assert reports
    seen = [c for r in reports for c in r.cues]
    assert [c[0] for c in seen] == list(range(200))
    assert all(c[2] == "fired" for c in seen)
    assert reports[-1].state == "loaded"
    assert reports[-1].fired >= 200


def test_refusals_are_the_contracts_errors(room: Room) -> None:
    """Each refusal is an ack with one of the contract's error codes."""
    cases = [
        ({"show": "x", "cues": [[0, "dance", "lid"]]}, "unsupported_action"),
        ({"show": "x", "cues": [[0, "on", "nothing"]]}, "unknown_key"),
        ({"show": "x", "cues": [[0, "move", "lid", 3]]}, "unsupported_action"),
        ({"show": "x", "cues": [["soon", "on", "lid"]]}, "bad_value"),
    ]
    for params, code in cases:
        ack = room.command("cue_0", "show_load", params)
        assert (ack["ok"], ack["error"]) == (False, code), ack
    assert room.command("cue_0", "show_resume", {"at": 1})["error"] == "busy"
