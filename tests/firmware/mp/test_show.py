"""A show on the prop, on MicroPython: cue lists loaded and refused, fired on the hub's time, paused, resumed, kept over a restart."""

import asyncio
import json
import os
import time

from check import eq, run, test
from fixture import node, queued, settle
import machine
import network

PARTS = [
    {"kind": "switch", "type": "switch", "key": "lid", "pin": 23},
    {"kind": "light", "type": "light", "key": "eyes", "pins": [12, 13, 14]},
    {"kind": "button", "type": "button", "key": "scare", "on_press": "scare"},
]
SCARE = {"scare": [["on", "lid"], ["delay", 0.5], ["off", "lid"]]}
OFFSET_US = 5000000000  # the hub's clock is this far ahead of the prop's


class FakeNet:
    """Records what power save was asked for."""

    def __init__(self):
        """Nothing asked yet."""
        self.saving = []

    def power_save(self, on):
        """Record ``on``."""
        self.saving.append(on)

    def mac(self):
        """Return a made-up MAC."""
        return "a4:cf:12:00:00:09"


def fresh():
    for path in ("show.json", "show_run.json"):
        try:
            os.remove(path)
        except OSError:
            pass


def prop(clean=True):
    """Return a node with shows whose clock is synced with a hub 5000 s ahead."""
    if clean:
        fresh()
    n = node(PARTS, SCARE, show={"tolerance": 0.02})
    n.net = FakeNet()
    sync(n.show)
    return n


def sync(show):
    local = show.clock.local()
    # Three exchanges a second apart with a 200 us round trip: synced at once.
    for i in range(3):
        t0 = local + i * 300000
        show.clock.add(t0, t0 + OFFSET_US + 100, t0 + OFFSET_US + 100, t0 + 200)
    show.sync.heard_ms = time.ticks_ms()


def cmd(n, action, params=None):
    n._on_cmd(
        "cmd", json.dumps({"action": action, "params": params, "correlation_id": "c1"})
    )
    return queued(n, "ack")[-1]


def hub_now(n):
    return n.show.clock.hub_us()


CUES = [
    [0, "on", "lid"],
    [100, "off", "lid"],
    [150, "set", "eyes", {"on": True, "rgb": [255, 0, 0]}],
    [200, "run", "scare"],
]


@test
def a_cue_list_loads_and_is_kept_on_flash():
    n = prop()
    ack = cmd(n, "show_load", {"show": "room", "cues": CUES})
    eq(ack["ok"], True, "ack")
    eq(ack["message"], "4 cues of room loaded", "message")
    eq(n.show.state, "loaded", "state")
    eq(n.status()["show_state"], "loaded", "status")
    eq(n.net.saving, [False], "power save off while a show is loaded")
    with open("show.json") as f:
        eq(json.load(f)[0], "room", "kept")
    eq(cmd(n, "show_load", {"show": "room", "cues": []})["ok"], True, "cleared")
    eq(n.show.state, "empty", "empty")
    eq(n.net.saving, [False, True], "power save back on")


@test
def bad_cue_lists_are_refused_and_the_loaded_show_stays():
    n = prop()
    cmd(n, "show_load", {"show": "room", "cues": CUES})
    cases = [
        (
            {"show": "x", "cues": [[0, "dance", "lid"]]},
            "unsupported_action",
            "cue 0: 'dance' is not a cue",
        ),
        (
            {"show": "x", "cues": [[0, "on", "nothing"]]},
            "unknown_key",
            "no entity nothing",
        ),
        (
            {"show": "x", "cues": [[0, "press", "lid"]]},
            "unsupported_action",
            "cue 0: lid cannot press",
        ),
        (
            {"show": "x", "cues": [[0, "move", "lid", 10]]},
            "unsupported_action",
            "cue 0: lid cannot move",
        ),
        (
            {"show": "x", "cues": [[0, "run", "nope"]]},
            "unsupported_action",
            "cue 0: no sequence named",
        ),
        ({"show": "x", "cues": [[-5, "on", "lid"]]}, "bad_value", "cue 0: at must be"),
        ({"show": "x", "cues": [[0, "on"]]}, "bad_value", "cue 0: must be"),
        (
            {"show": "x", "cues": [[0, "set", "eyes"]]},
            "bad_value",
            "cue 0: set needs a value",
        ),
        ({"show": "x", "cues": "no"}, "bad_value", "cues must be a list"),
        ({"show": "", "cues": []}, "bad_value", "show must be"),
        (
            {"show": "x", "cues": [[i, "on", "lid"] for i in range(257)]},
            "bad_value",
            "a show holds at most 256",
        ),
        (
            {"show": "x", "part": 3, "cues": []},
            "bad_value",
            "part 3 of x came out of order",
        ),
    ]
    for params, code, message in cases:
        ack = cmd(n, "show_load", params)
        eq(ack["ok"], False, "refused " + repr(params)[:40])
        eq(ack["error"], code, "code for " + message)
        eq(ack["message"][: len(message)], message, "message")
        eq(n.show.name, "room", "the loaded show stays")
        eq(len(n.show.cues), 4, "its cues stay")


@test
def a_long_show_comes_in_parts():
    n = prop()
    first = [[i * 10, "on", "lid"] for i in range(150)]
    second = [[2000 + i * 10, "off", "lid"] for i in range(100)]
    ack = cmd(n, "show_load", {"show": "long", "cues": first, "more": True})
    eq(ack["message"], "part 0 of long kept", "part kept")
    eq(n.show.state, "empty", "nothing replaced yet")
    ack = cmd(n, "show_load", {"show": "long", "part": 1, "cues": second})
    eq(ack["message"], "250 cues of long loaded", "all parts")


@test
def starting_needs_a_show_and_a_clock():
    fresh()
    n = node(PARTS, SCARE, show={})
    eq(cmd(n, "show_start", {"at": 1})["message"], "no show is loaded", "no show")
    cmd(n, "show_load", {"show": "room", "cues": CUES})
    ack = cmd(n, "show_start", {"at": 1})
    eq(
        (ack["error"], ack["message"]),
        ("busy", "the clock has not synced with the hub yet"),
        "no clock",
    )
    sync(n.show)
    eq(cmd(n, "show_start", {"at": "soon"})["error"], "bad_value", "a bad instant")
    eq(cmd(n, "show_resume", {"at": 1})["error"], "busy", "nothing paused")
    eq(cmd(n, "show_pause")["error"], "busy", "nothing running")


async def _fires_on_time():
    n = prop()
    cmd(n, "show_load", {"show": "room", "cues": CUES})
    start = hub_now(n) + 50000
    eq(cmd(n, "show_start", {"at": start})["ok"], True, "started")
    asyncio.create_task(n.show._fire())
    del machine.writes[:]
    await settle(30)
    eq(machine.pins.get(23, 0), 0, "not yet")
    await settle(40)
    eq(machine.pins.get(23), 1, "the lid opened at 0 ms")
    await settle(250)
    eq(n.show.fired, 4, "all four fired")
    eq(n.show.skipped, 0, "none skipped")
    eq(n.status()["eyes"]["rgb"], [255, 0, 0], "eyes red")
    eq("scare" in n.actions.running, True, "the sequence runs")
    eq(n.show.state, "loaded", "over")
    # Each outcome is reported with the cue's lateness.
    items = n.show.report_items
    eq([i[0] for i in items], [0, 1, 2, 3], "reported in order")
    eq([i[2] for i in items], ["fired"] * 4, "fired")
    for i in items:
        if not 0 <= i[1] <= 20000:
            raise AssertionError("lateness %r" % (i,))


@test
def cues_fire_at_the_hubs_instant():
    asyncio.run(_fires_on_time())


async def _late_cues_are_skipped():
    n = prop()
    cmd(
        n,
        "show_load",
        {"show": "room", "cues": [[0, "on", "lid"], [500, "off", "lid"]]},
    )
    # Started half a second in the past: the first cue is 500 ms late.
    cmd(n, "show_start", {"at": hub_now(n) - 480000})
    asyncio.create_task(n.show._fire())
    await settle(100)
    eq(n.show.skipped, 1, "the late cue is skipped")
    eq(machine.pins.get(23, 0), 0, "and did not fire")
    eq(n.show.report_items[0][2], "skipped", "reported as skipped")
    eq(n.show.report_items[0][1] > 20000, True, "with its lateness")
    eq(n.show.fired, 1, "the cue still ahead fired")
    eq(n.show.readings()["cues_skipped"], 1, "counted in the telemetry")


@test
def a_cue_later_than_its_tolerance_is_skipped_and_counted():
    asyncio.run(_late_cues_are_skipped())


async def _a_part_that_raises():
    n = prop()
    cues = [[0, "on", "lid"], [50, "off", "lid"], [100, "on", "lid"]]
    cmd(n, "show_load", {"show": "room", "cues": cues})
    lid = n.components["lid"]
    real = lid.command
    calls = []

    def broken_once(action, value, params):
        calls.append(action)
        if len(calls) == 2:
            raise OSError(5)  # EIO: the driver behind the pin failed
        return real(action, value, params)

    lid.command = broken_once
    cmd(n, "show_start", {"at": hub_now(n) + 10000})
    asyncio.create_task(n.show._fire())
    await settle(200)
    eq([i[2] for i in n.show.report_items], ["fired", "internal", "fired"], "outcomes")
    eq((n.show.fired, n.show.failed), (2, 1), "counted")
    eq(machine.pins.get(23), 1, "the cue after it fired")
    eq(n.show.state, "loaded", "the show ran to its end")


@test
def a_cue_whose_part_raises_is_counted_and_the_show_goes_on():
    asyncio.run(_a_part_that_raises())


async def _cue_task_fails():
    n = prop()
    cues = [[0, "on", "lid"], [300, "off", "lid"], [400, "on", "lid"]]
    cmd(n, "show_load", {"show": "room", "cues": cues})
    clock = n.show.clock
    real = clock.local_at
    calls = []

    def broken_once(hub):
        calls.append(hub)
        if len(calls) == 1:
            raise MemoryError("memory allocation failed")
        return real(hub)

    clock.local_at = broken_once
    # As the prop runs it: the task is started again after a failure.
    n.show.forever(n.show._fire)
    cmd(n, "show_start", {"at": hub_now(n) + 50000})
    await settle(600)
    eq(n.faults.get("show"), 1, "the failure is counted")
    eq(n.show.state, "loaded", "not left running with nothing firing")
    eq(n.show.skipped + n.show.fired, 3, "every cue fired or was skipped")
    eq(n.show.fired >= 2, True, "the cues after the restart fired")
    eq(machine.pins.get(23), 1, "the last cue fired")


@test
def a_show_goes_on_after_its_cue_task_fails_and_restarts():
    asyncio.run(_cue_task_fails())


@test
def the_stub_pins_keep_only_the_latest_writes():
    pin = machine.Pin(2, machine.Pin.OUT)
    for i in range(20001):
        pin.value(i % 2)
    eq(len(machine.writes) <= 4096, True, "bounded, got %d" % len(machine.writes))
    eq(machine.writes[-1], (2, 0), "the newest kept")


async def _pause_resume_seek():
    n = prop()
    cues = [[0, "on", "lid"], [200, "off", "lid"], [400, "on", "lid"]]
    cmd(n, "show_load", {"show": "room", "cues": cues})
    asyncio.create_task(n.show._fire())
    cmd(n, "show_start", {"at": hub_now(n) + 10000})
    await settle(100)
    eq(n.show.fired, 1, "first cue")
    eq(cmd(n, "show_pause")["ok"], True, "paused")
    eq(n.status()["show_state"], "paused", "paused state")
    await settle(300)
    eq(n.show.fired, 1, "nothing fires while paused")
    cmd(n, "show_resume", {"at": hub_now(n) + 10000})
    await settle(150)
    eq(n.show.fired, 2, "the second cue fires 100 ms after resuming")
    eq(machine.pins.get(23), 0, "lid closed")
    # Seek: start again from 350 ms; only the last cue is ahead.
    cmd(n, "show_start", {"at": hub_now(n) + 10000, "from": 350})
    await settle(100)
    eq(n.show.fired, 3, "the cue after the seek point")
    eq(machine.pins.get(23), 1, "lid open")
    cmd(n, "show_start", {"at": hub_now(n) + 10000})
    eq(cmd(n, "show_stop")["ok"], True, "stopped")
    await settle(300)
    eq(n.show.fired, 3, "nothing after stop")
    eq(n.show.state, "loaded", "loaded again")
    eq(
        cmd(n, "show_load", {"show": "x", "cues": cues})["ok"],
        True,
        "a stopped show can be replaced",
    )


@test
def pause_resume_seek_and_stop():
    asyncio.run(_pause_resume_seek())


async def _restart_mid_show():
    n = prop()
    cmd(
        n,
        "show_load",
        {"show": "room", "cues": [[0, "on", "lid"], [300, "off", "lid"]]},
    )
    start = hub_now(n) - 100000
    cmd(n, "show_start", {"at": start})
    # The prop restarts now: a new node reads the show from flash.
    n2 = node(PARTS, SCARE, show={"tolerance": 0.02})
    n2.net = FakeNet()
    eq(n2.show.name, "room", "the show came back from flash")
    eq(n2.show.start_hub, start, "with its start")
    await settle(50)
    eq(n2.show.state, "waiting", "it waits for the clock")
    sync(n2.show)
    asyncio.create_task(n2.show._fire())
    await settle(400)
    eq(n2.show.skipped, 1, "the cue that passed while it was down is skipped")
    eq(n2.show.fired, 1, "the cue still ahead fires")
    eq(machine.pins.get(23), 0, "the lid ended closed")
    eq(n2.show.state, "loaded", "over")


@test
def a_prop_that_restarts_mid_show_fires_the_cues_still_ahead():
    asyncio.run(_restart_mid_show())


@test
def the_hubs_address_comes_from_its_retained_message():
    n = prop()
    n._on_message("propnet/_hub/clock", b'{"v": 1, "port": 41999}')
    eq(n.show.sync.addr is not None, True, "pointed")
    n._on_message("propnet/_hub/clock", b'{"v": 1, "port": "x"}')
    n._on_message("propnet/_hub/clock", b"nonsense")
    eq(n.drops.get("bad_hub_clock"), 2, "bad addresses are counted")


@test
def the_status_and_telemetry_say_how_the_clock_is():
    n = prop()
    r = n.show.readings()
    eq(r["clock_rtt"], 0.2, "round trip in ms")
    eq(r["clock_error"], 0.1, "error bound")
    eq(abs(r["clock_offset"] - OFFSET_US / 1000) < 1, True, "offset")
    eq(n.show.synced(), True, "synced")
    eq(n.status()["clock_synced"], False, "reported once the health loop has looked")


@test
def a_clock_still_slewing_to_a_new_estimate_is_not_synced():
    n = prop()
    c = n.show.clock
    eq(n.show.synced(), True, "synced")
    # One tight exchange puts the hub 10 ms further ahead than the clock
    # shows: the show clock slews there over a second, and until it is
    # within the bound the prop does not say it is synced.
    t0 = c.local()
    c.add(t0, t0 + OFFSET_US + 10100, t0 + OFFSET_US + 10100, t0 + 200)
    eq(c.error_us <= 100, True, "the estimate itself is tight")
    eq(n.show.synced(), False, "not synced while 10 ms off")


@test
def the_radio_stays_awake_on_the_unix_stub_too():
    from propnet.net import Network

    net = Network("ssid", "pw", lambda *a: None)
    net.power_save(False)
    eq(network.WLAN.pm, network.WLAN.PM_NONE, "power save off")
    net.power_save(True)
    eq(network.WLAN.pm, network.WLAN.PM_PERFORMANCE, "back on")


run()
