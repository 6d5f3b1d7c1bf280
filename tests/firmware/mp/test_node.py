"""The runtime on MicroPython: commands and acks, sequences, safe mode, offline queueing."""

import asyncio
import json

from check import eq, run, test
from fixture import latest, node, queued, settle
from propnet.mqtt import _varint, publish_packet
from propnet.safety import BootGuard

COFFIN = [
    {"kind": "switch", "type": "switch", "key": "lid", "pin": 23},
    {"kind": "button", "type": "button", "key": "scare", "on_press": "scare"},
    {
        "kind": "select",
        "type": "select",
        "key": "mode",
        "options": ["idle", "armed"],
        "initial": "armed",
    },
    {
        "kind": "number",
        "type": "number",
        "key": "delay",
        "min": 0,
        "max": 5,
        "initial": 0.05,
    },
    {"kind": "event", "type": "event", "key": "scared", "event_types": ["scare"]},
    {"kind": "sensor", "type": "sensor", "key": "triggers", "source": "counter"},
]
SCARE = {
    "scare": [
        ["when", "mode", "armed"],
        ["event", "scared", "scare"],
        ["count", "triggers"],
        ["on", "lid"],
        ["delay", "delay"],
        ["off", "lid"],
        ["cooldown", 0.1],
    ]
}


def cmd(n, payload):
    n._on_cmd("cmd", json.dumps(payload) if not isinstance(payload, bytes) else payload)
    acks = queued(n, "ack")
    return acks[-1] if acks else None


@test
def commands_are_acked_with_the_contracts_errors():
    n = node(COFFIN, SCARE)
    eq(
        cmd(n, {"action": "ping", "correlation_id": "c1"}),
        {"correlation_id": "c1", "ok": True},
        "ping",
    )
    a = cmd(n, {"action": "set", "key": "nope", "value": 1, "correlation_id": "c2"})
    eq((a["ok"], a["error"]), (False, "unknown_key"), "unknown key")
    a = cmd(n, {"action": "dance", "correlation_id": "c3"})
    eq(a["error"], "unsupported_action", "unknown action")
    a = cmd(n, {"action": "set", "key": "lid", "value": "open", "correlation_id": "c4"})
    eq(a["error"], "bad_value", "bad value")
    a = cmd(n, {"action": "press", "key": "lid", "correlation_id": "c5"})
    eq(a["error"], "unsupported_action", "pressing a switch")
    a = cmd(n, {"key": "lid", "correlation_id": "c6"})
    eq(a["error"], "bad_value", "no action")
    eq(
        cmd(n, {"action": "set", "key": "lid", "value": True, "correlation_id": "c7"})[
            "ok"
        ],
        True,
        "set",
    )
    eq(n.status()["lid"], True, "state follows")


@test
def bad_command_payloads_are_dropped_and_counted():
    n = node(COFFIN, SCARE)
    cmd(n, b"{not json")
    cmd(n, b"[1, 2]")
    cmd(n, {"action": "ping", "correlation_id": ""})
    cmd(n, {"action": "ping", "correlation_id": "x" * 65})
    eq(queued(n, "ack"), [], "nothing can be acked")
    eq(n.drops, {"bad_json": 1, "not_an_object": 1, "bad_correlation_id": 2}, "drops")
    n._on_message("propnet/other/cmd", b"{}")
    eq(n.drops["unexpected_topic"], 1, "unexpected topic")


@test
def a_named_action_runs_once_then_cools_down():
    n = node(COFFIN, SCARE)

    async def go():
        eq(
            cmd(n, {"action": "press", "key": "scare", "correlation_id": "p1"})["ok"],
            True,
            "press",
        )
        await settle(5)
        eq(n.status()["lid"], True, "lid open")
        eq(
            cmd(n, {"action": "scare", "correlation_id": "p2"})["error"],
            "busy",
            "running",
        )
        await settle(80)
        eq(n.status()["lid"], False, "lid closed after the delay")
        eq(
            cmd(n, {"action": "press", "key": "scare", "correlation_id": "p3"})[
                "error"
            ],
            "busy",
            "cooling",
        )
        await settle(120)
        eq(
            cmd(n, {"action": "press", "key": "scare", "correlation_id": "p4"})["ok"],
            True,
            "again",
        )
        await settle(100)

    asyncio.run(go())
    eq(n.status()["triggers"], 2, "two scares counted")
    eq([e["type"] for e in queued(n, "event")], ["scare", "scare"], "events")


@test
def a_when_step_stops_the_sequence_quietly():
    n = node(COFFIN, SCARE)
    n.component("mode").set("idle")

    async def go():
        eq(cmd(n, {"action": "scare", "correlation_id": "w1"})["ok"], True, "accepted")
        await settle(20)

    asyncio.run(go())
    eq(n.status()["triggers"], 0, "nothing ran")
    eq(n.status()["lid"], False, "lid stayed shut")


@test
def the_connection_sends_births_in_the_contracts_order():
    n = node(COFFIN, SCARE)
    births = n._births()
    eq(
        [b[0].rsplit("/", 1)[1] for b in births],
        ["availability", "announce", "status"],
        "order",
    )
    eq([b[2] for b in births], [True, True, True], "retained")
    eq(births[2][1]["mode"], "armed", "status is complete")
    eq(
        [s[0] for s in n.client.subs],
        ["propnet/testprop/cmd", "homeassistant/status"],
        "subs",
    )


@test
def lines_logged_offline_go_out_after_the_births_and_the_ring_is_bounded():
    n = node(COFFIN, SCARE)
    for i in range(20):
        n.log("warning", "line %d" % i)
    n.log("debug", "below the level: not kept")
    eq(len(n.held), 16, "a small ring")
    eq(n.held_dropped, 4, "the oldest dropped and counted")
    n._births()
    lines = [m["msg"] for m in queued(n, "log")]
    eq(lines[0], "(while offline) 4 older lines were dropped", "the count first")
    eq(lines[1], "(while offline) line 4", "then the oldest kept")
    eq(lines[-1], "(while offline) line 19", "the newest last")
    eq((n.held, n.held_dropped), ([], 0), "sent once")


@test
def the_log_level_changes_at_run_time():
    n = node(COFFIN, SCARE)
    n.log("debug", "hidden")
    eq(n.held, [], "info by default")
    a = cmd(
        n, {"action": "log_level", "params": {"level": "debug"}, "correlation_id": "l1"}
    )
    eq(a["ok"], True, "accepted")
    n.log("debug", "shown")
    eq(n.held[-1], ("debug", "shown"), "debug lines now")
    a = cmd(
        n, {"action": "log_level", "params": {"level": "loud"}, "correlation_id": "l2"}
    )
    eq((a["ok"], a["error"]), (False, "bad_value"), "an unknown level")
    a = cmd(n, {"action": "log_level", "correlation_id": "l3"})
    eq(a["error"], "bad_value", "no level")


@test
def offline_telemetry_and_status_keep_the_newest_and_events_queue():
    n = node(COFFIN, SCARE)
    n.telemetry("a", 1)
    n.telemetry("b", 2)
    n.telemetry("a", 3)
    eq(latest(n, "telemetry"), {"a": 3, "b": 2}, "merged telemetry")
    for i in range(40):
        n.event("scared", "scare", {"i": i})
    events = queued(n, "event")
    eq(len(events), 32, "bounded queue")
    eq(events[0]["data"]["i"], 8, "oldest dropped first")
    eq(n.client.stats["dropped"], 8, "drops counted")


@test
def safe_mode_after_repeated_failed_boots():
    import os

    try:
        os.remove("boots")
    except OSError:
        pass
    for expected in (False, False, False, True):
        guard = BootGuard(3, "boots")
        eq(guard.safe_mode, expected, "boot")
    comps = COFFIN + [
        {"kind": "system", "type": "system", "keys": {"uptime": "uptime"}}
    ]
    n = node(comps, SCARE, guard=guard)
    eq(list(n.components), [], "only diagnostics run")
    a = json.loads(n.announce())
    eq(a["name"], "Test prop (safe mode)", "the name says so")
    eq([e["key"] for e in a["entities"]], ["uptime"], "only diagnostics are announced")
    guard.good()
    eq(BootGuard(3, "boots").safe_mode, False, "a good run resets the count")


@test
def a_status_in_flight_when_the_link_broke_does_not_follow_the_fresh_one():
    from propnet.mqtt import MQTTClient, _Message

    c = MQTTClient("t", "127.0.0.1", 1)
    c._inflight[1] = _Message("p/x/status", {"lid": True}, True, 1)
    c._inflight[2] = _Message("p/x/event", {"key": "e"}, False, 1)
    c._close()
    eq(
        [m.topic for m in c._queue],
        ["p/x/status", "p/x/event"],
        "both wait, status first",
    )
    eq(c._queue[0].dup, True, "marked as a resend")
    c.publish("p/x/status", {"lid": False}, True, 1, latest=True)
    c.supersede(["p/x/availability", "p/x/announce", "p/x/status"])
    eq([m.topic for m in c._queue], ["p/x/event"], "the event is still owed")
    eq(c._latest, {}, "the births carry the status")


@test
def packets_encode_as_mqtt_311():
    eq(bytes(_varint(127)), b"\x7f", "1 byte")
    eq(bytes(_varint(128)), b"\x80\x01", "2 bytes")
    eq(bytes(_varint(16384)), b"\x80\x80\x01", "3 bytes")
    p = publish_packet("a/b", b"hi", True, 1, 7, True)
    eq(p, b"\x3b\x09\x00\x03a/b\x00\x07hi", "QoS 1 retained DUP publish")


@test
def ulids_are_crockford_base32_and_sort_by_time():
    from propnet import ulid

    a = ulid.new(1700000000000)
    b = ulid.new(1700000000001)
    eq(len(a), 26, "length")
    eq(a < b, True, "time order")
    for ch in a:
        if ch not in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            raise AssertionError("bad character " + ch)
    # The integration's protocol.commands.new_ulid gives the same prefix.
    eq(a[:10], "01HF7YAT00", "timestamp part")


run()
