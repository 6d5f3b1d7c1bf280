"""Fault, storm, load and security scenarios on a running Show; used by tests and bench.

Each scenario checks what the issue requires and returns its measured
figures, so the system tests (reduced load) and bench/system.py (full load)
share one implementation.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import threading
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.propnet.protocol.commands import new_ulid
from tests.harness.hass import HassError
from tests.harness.procs import wait_until
from tests.harness.show import TESTER_LOGIN, Show, rgb_command
from tests.harness.watcher import Watcher

LID = "switch.coffin_jumper_lid"
BROKER_CHECK_SLACK = 5


def client(show: Show, login: tuple[str, str] | None = TESTER_LOGIN) -> mqtt.Client:
    """Return a connected paho client (the tester may write any topic)."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2)
    if login is not None:
        c.username_pw_set(*login)
    c.connect(show.broker.host, show.broker.port)
    sock = c.socket()
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.loop_start()
    return c


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which ``fraction`` of ``values`` fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# -- Security ------------------------------------------------------------------


def security(show: Show) -> dict[str, Any]:
    """Passwords and the ACL: strangers are refused, a prop writes only its own topics."""
    refused = []
    for login in (None, ("coffin_jumper", "wrong")):
        c = mqtt.Client(CallbackAPIVersion.VERSION2)
        if login is not None:
            c.username_pw_set(*login)
        result: list[Any] = []
        c.on_connect = lambda _c, _u, _f, reason, _p, r=result: r.append(reason)
        c.connect(show.broker.host, show.broker.port)
        c.loop_start()
        wait_until(lambda r=result: r, 10, "the broker's answer", 0.05)
        c.loop_stop()
        refused.append(result[0].is_failure)
    assert refused == [True, True], (
        "anonymous and wrong-password clients must be refused"
    )

    # The coffin jumper's own login cannot write the receiver's status.
    before = show.state("light.rgb_receiver_strip")["state"]
    rogue = client(show, ("coffin_jumper", "coffin_jumper-secret"))
    with Watcher(
        show.broker.port, "propnet/rgb_receiver/status", login=TESTER_LOGIN
    ) as w:
        w.wait_for("propnet/rgb_receiver/status")  # the retained one
        mark = w.mark()
        rogue.publish(
            "propnet/rgb_receiver/status",
            json.dumps({"strip": {"on": True, "brightness": 255, "rgb": [1, 2, 3]}}),
            qos=1,
            retain=True,
        ).wait_for_publish(5)
        time.sleep(1)
        leaked = w.messages[mark:]
    rogue.loop_stop()
    rogue.disconnect()
    assert leaked == [], "the ACL let a prop write another prop's topic"
    assert show.state("light.rgb_receiver_strip")["state"] == before
    return {
        "refused": "anonymous and wrong password",
        "foreign_write": "dropped by the ACL",
    }


# -- Storm ---------------------------------------------------------------------

STORM_ANNOUNCE = {
    "v": 1,
    "id": "storm_prop",
    "name": "Storm Prop",
    "entities": [{"key": "level", "type": "sensor", "name": "Level"}],
}

# Each malformed message is exactly one drop in the props hub's counters.
MALFORMED = [
    ("propnet/storm_prop/status", b"{not json"),
    ("propnet/storm_prop/telemetry", b"[1, 2]"),
    ("propnet/storm_prop/event", b'{"key": "nope", "type": "x", "data": {}}'),
    ("propnet/storm_prop/status", b'{"level": 1, "pad": "' + b"x" * 5000 + b'"}'),
    ("propnet/storm_prop/telemetry", b"\xff\xfe"),
]
RGB_MALFORMED = b'{"r": 1, "g": 2, "b": 3}'


def storm(show: Show, count: int = 10_000, exact: bool = True) -> dict[str, Any]:
    """Malformed messages over every topic during a show: HA answers, good ones apply, counts add up.

    Sent as fast as one client can, at QoS 0, mosquitto drops what it cannot
    queue for Home Assistant (1,000 messages by default) once Home Assistant
    falls that far behind. ``exact`` (the test's reduced storm) asserts that
    every malformed message was counted; the full storm of the benchmark
    reports how many were.
    """
    c = client(show)
    c.publish(
        "propnet/storm_prop/announce", json.dumps(STORM_ANNOUNCE), qos=1, retain=True
    ).wait_for_publish(5)
    c.publish(
        "propnet/storm_prop/availability", "online", qos=1, retain=True
    ).wait_for_publish(5)
    show.wait_available("sensor.storm_prop_level", timeout=30)
    props_before = show.diagnostics("PropNet")["dropped"]["total"]
    rejected_before = show.diagnostics("Show lighting")["stats"]["rejected"]
    show.probe(reset=True)
    latencies: list[float] = []
    stop = threading.Event()

    def ping() -> None:
        while not stop.is_set():
            started = time.monotonic()
            show.hass.get("/api/")
            latencies.append((time.monotonic() - started) * 1000)
            time.sleep(0.1)

    pinger = threading.Thread(target=ping, daemon=True)
    pinger.start()
    sent_props = sent_rgb = good = 0
    started = time.monotonic()
    for i in range(count):
        if i % 100 == 99:
            good += 1
            c.publish("propnet/storm_prop/telemetry", json.dumps({"level": good}))
            continue
        if i % 10 == 9:
            c.publish("v1/demo/rgb/cmd", RGB_MALFORMED)
            sent_rgb += 1
            continue
        topic, payload = MALFORMED[i % len(MALFORMED)]
        c.publish(topic, payload)
        sent_props += 1
    c.publish(
        "propnet/storm_prop/telemetry", json.dumps({"level": "final"})
    ).wait_for_publish(10)
    publish_seconds = time.monotonic() - started

    def settled() -> bool:
        return show.state("sensor.storm_prop_level").get("state") == "final"

    wait_until(settled, 60, "the last good message to apply", 0.2)
    stop.set()
    pinger.join(5)
    props_after = show.diagnostics("PropNet")["dropped"]["total"]
    rejected_after = show.diagnostics("Show lighting")["stats"]["rejected"]
    probe = show.probe()
    # The test configuration logs PropNet at debug level; a user sees warnings.
    warnings = [
        line
        for line in show.log_lines("storm_prop")
        if " WARNING " in line or " ERROR " in line
    ]
    c.loop_stop()
    c.disconnect()
    counted_props = props_after - props_before
    counted_rgb = rejected_after - rejected_before
    if exact:
        assert counted_props == sent_props, (counted_props, sent_props)
        assert counted_rgb == sent_rgb, (counted_rgb, sent_rgb)
    assert counted_props <= sent_props
    assert counted_rgb <= sent_rgb
    # Logged once per kind of problem, not once per message.
    assert len(warnings) == len(MALFORMED), warnings
    return {
        "messages": count,
        "malformed_to_props": sent_props,
        "malformed_to_props_counted": counted_props,
        "malformed_rgb": sent_rgb,
        "malformed_rgb_counted": counted_rgb,
        "good_applied": good + 1,
        "publish_seconds": round(publish_seconds, 2),
        "rest_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "rest_max_ms": round(max(latencies), 1) if latencies else None,
        "loop_lag_p99_ms": round(probe["p99_ms"], 1),
        "log_lines": len(warnings),
    }


# -- Load ----------------------------------------------------------------------


def load(show: Show, props: int, rgb_rate: int, seconds: float) -> dict[str, Any]:
    """N props sending telemetry every second and RGB commands at a rate; lag, queue, memory."""
    c = client(show)
    ids = [f"load_{i:03d}" for i in range(props)]
    for prop_id in ids:
        announce = {
            "v": 1,
            "id": prop_id,
            "name": f"Load {prop_id[-3:]}",
            "entities": [
                {
                    "key": "temperature",
                    "type": "sensor",
                    "unit": "°C",
                    "name": "Temperature",
                }
            ],
        }
        c.publish(
            f"propnet/{prop_id}/announce", json.dumps(announce), qos=1, retain=True
        )
        c.publish(f"propnet/{prop_id}/availability", "online", qos=1, retain=True)
    show.wait_available(*(f"sensor.{p}_temperature" for p in ids[-3:]), timeout=120)
    seq_before = show.diagnostics("Show lighting")["state"]["seq"]
    rss_before = show.probe(reset=True)["rss_mib"]
    depths: list[int] = []
    started = time.monotonic()
    sent_rgb = 0
    tick = 0
    next_telemetry = started
    next_sample = started
    while (now := time.monotonic()) - started < seconds:
        if now >= next_telemetry:
            tick += 1
            for prop_id in ids:
                c.publish(
                    f"propnet/{prop_id}/telemetry", json.dumps({"temperature": tick})
                )
            next_telemetry += 1
        due = int((now - started) * rgb_rate)
        while sent_rgb < due:
            v = sent_rgb % 256
            c.publish(
                "v1/demo/rgb/cmd", rgb_command(new_ulid(), v, 255 - v, 128), qos=1
            )
            sent_rgb += 1
        if now >= next_sample:
            depths.append(int(show.diagnostics("Show lighting")["queue_depth"]))
            next_sample += 1
        time.sleep(0.002)
    expected_seq = seq_before + sent_rgb

    def applied() -> bool:
        return int(show.diagnostics("Show lighting")["state"]["seq"]) >= expected_seq

    wait_until(applied, 60, "every RGB command applied", 0.2)
    last = show.state(f"sensor.{ids[0]}_temperature").get("state")
    probe = show.probe()
    c.loop_stop()
    c.disconnect()
    assert int(show.diagnostics("Show lighting")["state"]["seq"]) == expected_seq
    assert last == str(tick), (last, tick)
    return {
        "props": props,
        "rgb_per_second": rgb_rate,
        "seconds": seconds,
        "telemetry_messages": props * tick,
        "rgb_commands": sent_rgb,
        "loop_lag_p50_ms": round(probe["p50_ms"], 1),
        "loop_lag_p99_ms": round(probe["p99_ms"], 1),
        "loop_lag_max_ms": round(probe["max_ms"], 1),
        "queue_depth_max": max(depths) if depths else 0,
        "rss_mib_before": round(rss_before, 1),
        "rss_mib_after": round(probe["rss_mib"], 1),
    }


# -- Faults --------------------------------------------------------------------


def broker_restart(show: Show, downtime: float = 3) -> dict[str, Any]:
    """Broker killed during a show: commands fail loudly; everything back within 10 s of its return."""
    c = client(show)
    cmd_id = new_ulid()
    c.publish(
        "v1/demo/rgb/cmd", rgb_command(cmd_id, 90, 80, 70), qos=1
    ).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()
    wait_until(
        lambda: show.diagnostics("Show lighting")["state"]["cmdId"] == cmd_id,
        10,
        "the colour",
        0.1,
    )
    device_id = show.hass.post(
        "/api/template", {"template": f"{{{{ device_id('{LID}') }}}}"}
    )
    # Killed, not stopped: retained messages since its last save are lost.
    show.broker.kill()
    # The entities say so at once ...
    wait_until(
        lambda: show.state(LID).get("state") == "unavailable",
        10,
        "the lid unavailable",
        0.1,
    )
    # ... and an action sent anyway raises instead of vanishing. (Home
    # Assistant itself skips entity actions on unavailable entities.)
    error = ""
    try:
        show.hass.post(
            "/api/services/propnet/send_command",
            {"device_id": device_id, "action": "press", "key": "scare"},
        )
    except HassError as err:
        error = str(err)
    assert "500" in error or "400" in error, (
        "a command during the outage must fail loudly"
    )
    time.sleep(downtime)
    show.broker.start()
    back = time.monotonic()
    entities = [
        e
        for e in show.propnet_entities()
        if not e.startswith("sensor.storm") and not e.startswith("sensor.load")
    ]
    took = show.wait_available(*entities, timeout=10)
    with Watcher(
        show.broker.port,
        "v1/demo/rgb/state",
        "propnet/+/availability",
        login=TESTER_LOGIN,
    ) as w:
        state = w.wait_for("v1/demo/rgb/state", timeout=10)
        w.wait_for(
            "propnet/coffin_jumper/availability", match=lambda m: m.payload == b"online"
        )
    assert json.loads(state.payload)["cmdId"] == cmd_id
    return {
        "command_during_outage": "raised an error",
        "entities": len(entities),
        "all_available_s": round(took, 2),
        "since_broker_back_s": round(time.monotonic() - back, 2),
        "rgb_state_retained_again": True,
    }


def prop_power_loss(show: Show) -> dict[str, Any]:
    """Cut a prop off, silently and then by power: unavailable within 1.5 keep-alives; back after."""
    prop = show.props["coffin_jumper"]

    def gone() -> bool:
        return show.state(LID).get("state") == "unavailable"

    # Frozen (SIGSTOP): its connection stays open but silent, as when Wi-Fi
    # drops out from under it. Only the broker's keep-alive check notices.
    group = prop.process.pid
    os.killpg(group, signal.SIGSTOP)
    frozen = time.monotonic()
    wait_until(gone, 15 * 1.5 + 5, "the silent prop to become unavailable", 0.1)
    silent = time.monotonic() - frozen
    os.killpg(group, signal.SIGCONT)
    show.wait_available(LID, timeout=30)
    thawed = time.monotonic() - frozen - silent
    # mosquitto checks keep-alives on its own timer: allow it a few seconds.
    assert silent <= 15 * 1.5 + BROKER_CHECK_SLACK, silent
    killed = time.monotonic()
    show.props["coffin_jumper"].kill()

    def gone() -> bool:
        return show.state(LID).get("state") == "unavailable"

    wait_until(gone, 15 * 1.5 + 5, "the lid to become unavailable", 0.1)
    unavailable = time.monotonic() - killed
    assert unavailable <= 15 * 1.5 + BROKER_CHECK_SLACK, unavailable
    show.props["coffin_jumper"].start()
    restarted = time.monotonic()
    show.wait_available(LID, timeout=30)
    return {
        "keepalive_s": 15,
        "silent_unavailable_after_s": round(silent, 2),
        "silent_back_after_s": round(thawed, 2),
        "unavailable_after_s": round(unavailable, 2),
        "available_after_restart_s": round(time.monotonic() - restarted, 2),
    }


def enttec_replug(show: Show) -> dict[str, Any]:
    """Unplug the DMX widget, change the colour, plug it back: the last frame within 2 s."""
    c = client(show)
    show.widget.unplug()
    wait_until(
        lambda: (
            show.diagnostics("Show lighting")["outputs"].get("enttec") == "disconnected"
        ),
        10,
        "the Enttec output to notice",
        0.1,
    )
    c.publish(
        "v1/demo/rgb/cmd", rgb_command(new_ulid(), 11, 22, 33), qos=1
    ).wait_for_publish(5)
    time.sleep(1)
    show.widget.plug()
    plugged = time.monotonic()

    def resumed() -> float | None:
        for at, frame in show.widget.received():
            if at >= plugged and frame[1:4] == bytes([11, 22, 33]):
                return at
        return None

    at = wait_until(resumed, 10, "the last frame on the replugged widget", 0.02)
    c.loop_stop()
    c.disconnect()
    took = at - plugged
    assert took <= 2, took
    return {"resumed_with_last_frame_s": round(took, 2)}


def ola_restart(show: Show) -> dict[str, Any] | None:
    """Stop olad, change the colour, start it again: the last frame within 2 s of its return."""
    if show.olad is None:
        return None
    c = client(show)
    show.olad.stop()
    c.publish(
        "v1/demo/rgb/cmd", rgb_command(new_ulid(), 44, 55, 66), qos=1
    ).wait_for_publish(5)
    wait_until(
        lambda: (
            show.diagnostics("Show lighting")["outputs"].get("ola")
            not in (None, "connected")
        ),
        15,
        "the OLA output to notice",
        0.1,
    )
    show.olad.start()
    back = time.monotonic()
    wait_until(
        lambda: show.olad.dmx()[:3] == [44, 55, 66],
        10,
        "olad to show the last frame",
        0.05,
    )  # type: ignore[union-attr]
    took = time.monotonic() - back
    c.loop_stop()
    c.disconnect()
    assert took <= 2, took
    return {"resumed_with_last_frame_s": round(took, 2)}


def hass_restart(show: Show) -> dict[str, Any]:
    """Restart Home Assistant: devices, entities, seq and dedupe memory survive; no actuator moves."""
    c = client(show)
    old_id = new_ulid()
    c.publish("v1/demo/rgb/cmd", rgb_command(old_id, 7, 8, 9), qos=1).wait_for_publish(
        5
    )
    wait_until(
        lambda: show.diagnostics("Show lighting")["state"]["cmdId"] == old_id,
        10,
        "the command",
        0.1,
    )
    seq = int(show.diagnostics("Show lighting")["state"]["seq"])
    entities = sorted(show.propnet_entities())
    with Watcher(show.broker.port, "propnet/+/cmd", login=TESTER_LOGIN) as w:
        show.hass.restart()
        show.wait_available(LID, "light.show_lighting", timeout=60)
        time.sleep(2)
        commands = [m for m in w.messages if not m.retain]
    after = sorted(show.propnet_entities())
    state = show.diagnostics("Show lighting")["state"]
    # A repeat of a command seen before the restart is still recognised.
    c.publish(
        "v1/demo/rgb/cmd", rgb_command(old_id, 200, 200, 200), qos=1
    ).wait_for_publish(5)
    time.sleep(1.5)
    state_after_repeat = show.diagnostics("Show lighting")["state"]
    c.loop_stop()
    c.disconnect()
    assert commands == [], [m.topic for m in commands]
    assert show.state(LID)["state"] == "off"
    assert after == entities
    assert int(state["seq"]) == seq
    assert (state["r"], state["g"], state["b"]) == (7, 8, 9)
    assert int(state_after_repeat["seq"]) == seq
    return {
        "entities_kept": len(after),
        "seq_kept": seq,
        "repeat_after_restart": "ignored",
        "commands_sent_at_start": 0,
    }
