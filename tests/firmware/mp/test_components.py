"""Components on the real MicroPython unix port, with stub pins."""

import asyncio
import time

from check import eq, raises, run, test
from fixture import latest, node, queued, settle
import machine


@test
def switch_starts_off_and_never_toggles_at_boot():
    n = node([{"kind": "switch", "type": "switch", "key": "lid", "pin": 23}])
    eq(machine.pins[23], 0, "pin level at boot")
    eq([w for w in machine.writes if w[0] == 23], [(23, 0)], "writes at boot")
    inv = node(
        [{"kind": "switch", "type": "switch", "key": "lid", "pin": 5, "invert": True}]
    )
    eq(machine.pins[5], 1, "inverted relay idles high")
    eq(inv.status(), {"lid": False}, "status")
    eq(n.status(), {"lid": False}, "status")


@test
def switch_set_and_pulse():
    n = node(
        [{"kind": "switch", "type": "switch", "key": "lid", "pin": 23, "pulse": 0.05}]
    )

    async def go():
        n.component("lid").command("set", True, None)
        eq(machine.pins[23], 1, "on")
        eq(n.status(), {"lid": True}, "status on")
        await settle(80)
        eq(machine.pins[23], 0, "pulse ended")
        eq(n.status(), {"lid": False}, "status off")

    asyncio.run(go())
    raises("bad_value", n.component("lid").command, "set", "yes", None)
    raises("unsupported_action", n.component("lid").command, "press", None, None)


@test
def binary_sensor_debounces_and_delays_off():
    n = node(
        [
            {
                "kind": "binary_sensor",
                "type": "binary_sensor",
                "key": "motion",
                "pin": 34,
                "debounce": 0.02,
                "delayed_off": 0.1,
            }
        ]
    )
    s = n.component("motion")
    eq(s.step(True, 1000), False, "a blip is not motion yet")
    eq(s.step(False, 1005), False, "the blip ends")
    eq(s.step(True, 1010), False, "rises")
    eq(s.step(True, 1031), True, "held past the debounce")
    eq(s.step(False, 1040), True, "falls")
    eq(s.step(False, 1100), True, "still inside delayed_off")
    eq(s.step(False, 1161), False, "after debounce + delayed_off")
    eq(s.changes, 2, "changes")


@test
def binary_sensor_inverted_runs_actions():
    machine.pins.clear()
    n = node(
        [
            {
                "kind": "binary_sensor",
                "type": "binary_sensor",
                "key": "mat",
                "pin": 4,
                "invert": True,
                "debounce": 0,
                "on_press": [["count", "steps"]],
            },
            {"kind": "sensor", "type": "sensor", "key": "steps", "source": "counter"},
        ]
    )
    s = n.component("mat")
    eq(s.on, True, "a low input is active when inverted")

    async def go():
        s.step(False, 0)
        s.step(True, 1)
        await settle(5)
        eq(n.component("steps").value, 1, "on_press ran")

    asyncio.run(go())


@test
def push_button_publishes_press_and_long_press():
    n = node(
        [
            {
                "kind": "push_button",
                "type": "event",
                "key": "knob",
                "pin": 12,
                "long_press": 0.5,
            }
        ]
    )
    b = n.component("knob")
    b.step(True, 0)
    b.step(False, 10)  # shorter than the debounce: ignored
    b.step(True, 100)
    b.step(False, 200)
    b.step(True, 300)
    b.step(False, 900)
    events = queued(n, "event")
    eq([e["type"] for e in events], ["press", "long_press"], "event types")
    eq(events[0]["key"], "knob", "key")


@test
def pwm_light_fades_and_refuses_bad_values():
    n = node([{"kind": "light", "type": "light", "key": "eyes", "pins": [25, 26, 27]}])
    light = n.component("eyes")

    async def go():
        light.command(
            "set", {"on": True, "rgb": [255, 0, 100], "transition": 0.2}, None
        )
        await settle(100)
        mid = machine.PWM.duty[25]
        if not 0 < mid < 65535:
            raise AssertionError("halfway through the fade red is %d" % mid)
        await settle(150)
        eq([machine.PWM.duty[p] for p in (25, 26, 27)], [65535, 0, 25700], "final duty")
        eq(
            n.status()["eyes"],
            {"on": True, "brightness": 255, "rgb": [255, 0, 100]},
            "status",
        )
        light.command("set", {"brightness": 0}, None)
        await settle(30)
        eq(n.status()["eyes"]["on"], False, "brightness 0 turns off")

    asyncio.run(go())
    before = n.status()["eyes"]
    raises("bad_value", light.command, "set", {"rgb": [300, 0, 0]}, None)
    raises("bad_value", light.command, "set", {"on": True, "brightness": "max"}, None)
    raises("bad_value", light.command, "set", "on", None)
    eq(n.status()["eyes"], before, "a refused command changes nothing")


@test
def ws2812_light_fills_the_strip_and_follows_the_rgb_channel():
    n = node(
        [
            {
                "kind": "light",
                "type": "light",
                "key": "strip",
                "output": "ws2812",
                "pin": 13,
                "count": 4,
                "follow_rgb": "v1/demo/rgb",
            }
        ]
    )
    light = n.component("strip")
    light.start()

    async def go():
        n._on_message("v1/demo/rgb/state", b'{"r": 10, "g": 20, "b": 30, "seq": 4}')
        await settle(10)
        eq(light.strip.pixels, [(10, 20, 30)] * 4, "pixels")
        n._on_message("v1/demo/rgb/state", b'{"r": "red"}')
        await settle(10)
        eq(light.strip.pixels, [(10, 20, 30)] * 4, "a bad state changes nothing")
        eq(n.drops.get("rgb_state"), 1, "and is counted")

    asyncio.run(go())
    eq(("v1/demo/rgb/state", 1) in n.client.subs, True, "subscribed")


@test
def sensors_filter_and_publish_to_telemetry_or_status():
    n = node(
        [
            {
                "kind": "sensor",
                "type": "sensor",
                "key": "light_level",
                "pin": 36,
                "filters": [["multiply", 0.5], ["delta", 10], ["round", 0]],
            },
            {"kind": "sensor", "type": "sensor", "key": "scares", "source": "counter"},
        ]
    )
    level = n.component("light_level")
    for raw in (100, 104, 130, 131):
        level.update(raw)
    eq(latest(n, "telemetry"), {"light_level": 65}, "only values 10 apart pass")
    n.component("scares").increment()
    eq(n.status(), {"scares": 1}, "counters are retained status")
    machine.ADC.levels[36] = 4000
    eq(level.read(), 4000, "reads the ADC")


@test
def filters():
    from propnet.filters import Chain, SlidingAverage, Throttle

    avg = SlidingAverage(3, 2)
    eq([avg(v) for v in (3, 6, 9, 12)], [None, 4.5, None, 9.0], "sliding average")
    t = Throttle(50)
    eq(t(1), 1, "first passes")
    eq(t(2), None, "inside the period")
    time.sleep_ms(60)
    eq(t(3), 3, "after the period")
    beat = Chain([["delta", 5], ["heartbeat", 0.05]])
    eq(beat(10), 10, "first")
    eq(beat(11), None, "small change filtered")
    eq(beat.due(), None, "heartbeat not due")
    time.sleep_ms(60)
    eq(beat.due(), 10, "heartbeat repeats the last value")
    eq(beat(12), None, "just repeated")


@test
def stored_values_survive_a_restart_and_refuse_bad_ones():
    comps = [
        {
            "kind": "number",
            "type": "number",
            "key": "delay",
            "min": 0,
            "max": 30,
            "initial": 2,
        },
        {
            "kind": "select",
            "type": "select",
            "key": "mode",
            "options": ["idle", "armed"],
            "initial": "idle",
        },
        {
            "kind": "text",
            "type": "text",
            "key": "greeting",
            "max_len": 5,
            "initial": "boo",
        },
    ]
    n = node(comps, store_path="persist.json")
    eq(n.status(), {"delay": 2, "mode": "idle", "greeting": "boo"}, "initial values")

    async def go():
        n.component("delay").command("set", 7.5, None)
        n.component("mode").command("set", "armed", None)
        raises("bad_value", n.component("delay").command, "set", 31, None)
        raises("bad_value", n.component("mode").command, "set", "dancing", None)
        raises("bad_value", n.component("greeting").command, "set", "too long", None)
        await settle(30)

    asyncio.run(go())
    eq(n.store.writes, 1, "two changes, one flash write")
    again = node(comps, store_path="persist.json", fresh=False)
    eq(
        again.status(),
        {"delay": 7.5, "mode": "armed", "greeting": "boo"},
        "after restart",
    )


@test
def siren_pulses_the_tone_pin_and_turns_off_after_its_duration():
    n = node(
        [
            {
                "kind": "siren",
                "type": "siren",
                "key": "scream",
                "tones": {"scream": 32, "laugh": 33},
                "pulse": 0.02,
                "duration": 0.06,
            }
        ]
    )
    siren = n.component("scream")

    async def go():
        siren.command("set", {"on": True, "tone": "laugh"}, None)
        await settle(5)
        eq((machine.pins[32], machine.pins[33]), (0, 1), "laugh triggered")
        eq(siren.state(), True, "on")
        await settle(30)
        eq(machine.pins[33], 0, "pulse over")
        await settle(50)
        eq(siren.state(), False, "off after the duration")

    asyncio.run(go())
    raises("bad_value", siren.command, "set", {"on": True, "tone": "howl"}, None)


@test
def system_sensors_report_diagnostics():
    n = node(
        [
            {
                "kind": "system",
                "type": "system",
                "keys": {
                    "uptime": "uptime",
                    "free_memory": "free_memory",
                    "reset_reason": "reset_reason",
                },
            }
        ]
    )
    eq(n.status(), {"reset_reason": "power_on"}, "reset reason is retained")
    r = n.order[0].readings()
    eq(sorted(r), ["free_memory", "uptime"], "readings")
    eq(r["free_memory"] > 0, True, "free memory")


@test
def rgb_sender_sends_changes_with_ulids_at_a_limited_rate():
    n = node(
        [
            {
                "kind": "rgb_sender",
                "type": "sensor",
                "key": "sent",
                "pins": [32, 33, 34],
                "base": "v1/demo/rgb",
                "src": "knobs",
                "max_rate": 10,
                "deadband": 3,
            }
        ]
    )
    s = n.component("sent")
    eq(s.step([10, 20, 30], 0), True, "first colour")
    eq(s.step([11, 20, 30], 500), False, "inside the deadband")
    eq(s.step([100, 20, 30], 50), False, "faster than 10 a second")
    eq(s.step([100, 20, 30], 150), True, "after the gap")
    pending = n.client._latest["v1/demo/rgb/cmd"].payload
    eq((pending["r"], pending["src"]), (100, "knobs"), "only the newest is kept")
    eq(len(pending["cmdId"]), 26, "ULID")


@test
def identify_blinks_a_light_when_there_is_no_status_led():
    n = node([{"kind": "light", "type": "light", "key": "eyes", "pins": [25]}])
    del machine.PWM.history[:]

    async def go():
        n._dispatch({"action": "identify"})
        await settle(600)
        eq(
            n.status(),
            {"eyes": {"on": False, "brightness": 255}},
            "the state is untouched",
        )
        levels = [d for p, d in machine.PWM.history if p == 25]
        eq(levels[:3], [65535, 0, 65535], "full, dark, full")
        await settle(5000)
        eq(machine.PWM.duty[25], 0, "back to the light's own state: off")

    asyncio.run(go())


@test
def identify_beeps_a_siren_or_says_it_cannot():
    n = node([{"kind": "siren", "type": "siren", "key": "s", "tones": {"beep": 4}}])

    async def go():
        n._dispatch({"action": "identify"})
        await settle(20)
        eq(machine.pins[4], 1, "the trigger pin pulses")
        eq(n.status(), {"s": True}, "sounding")
        await settle(400)
        eq(n.status(), {"s": False}, "a short beep")

    asyncio.run(go())
    bare = node([{"kind": "switch", "type": "switch", "key": "lid", "pin": 23}])
    raises("unsupported_action", bare._dispatch, {"action": "identify"})
    eq(machine.pins[23], 0, "nothing moved")


@test
def a_sensor_that_fails_is_counted_logged_and_read_again():
    n = node(
        [
            {
                "kind": "sensor",
                "type": "sensor",
                "key": "light_level",
                "pin": 36,
                "interval": 0.01,
            }
        ]
    )
    level = n.component("light_level")
    failures = [OSError(5), OSError(19)]
    real = level.reader.read_u16

    def flaky():
        if failures:
            raise failures.pop(0)
        return real()

    level.reader.read_u16 = flaky
    machine.ADC.levels[36] = 1234
    logged = []
    n.log = lambda level_, msg: logged.append((level_, msg))

    async def go():
        level.start()
        # Two failures: retried after 100 ms, then 200 ms.
        await settle(450)

    asyncio.run(go())
    eq(n.faults, {"light_level": 2}, "failures counted")
    eq(latest(n, "telemetry"), {"light_level": 1234}, "read again after the failures")
    eq(
        [m.split(";")[0] for lvl, m in logged if lvl == "error"],
        [
            "light_level failed (1 times): OSError(5,)",
            "light_level failed (2 times): OSError(19,)",
        ],
        "each failure logged",
    )


run()
