"""Servo and stepper on the real MicroPython unix port: what goes out on the pins."""

import asyncio

from check import eq, raises, run, test
from fixture import node, settle
import machine

JAW = {
    "kind": "servo",
    "type": "number",
    "key": "jaw",
    "pin": 18,
    "safe_angle": 90,
}


def servo(**options):
    cfg = dict(JAW)
    cfg.update(options)
    del machine.PWM.history[:]
    return node([cfg])


def duties(pin):
    return [d for p, d in machine.PWM.history if p == pin]


@test
def servo_holds_its_safe_angle_from_the_first_frame():
    n = servo()
    # Created dark, then at once the 1.5 ms pulse of 90 degrees (of 0.5..2.5 ms at 50 Hz).
    eq(duties(18), [0, 4915], "duty at boot")
    eq(n.status(), {"jaw": 90}, "status")
    s = n.component("jaw")
    eq(s.duty(0), 1638, "0 degrees: 0.5 ms")
    eq(s.duty(180), 8192, "180 degrees: 2.5 ms")


@test
def servo_jumps_without_a_speed_and_refuses_bad_angles():
    n = servo()
    s = n.component("jaw")
    s.command("set", 0, None)
    eq(duties(18)[-1], 1638, "at 0")
    eq(n.status(), {"jaw": 0}, "status")
    raises("bad_value", s.command, "set", 181, None)
    raises("bad_value", s.command, "set", "open", None)
    raises("unsupported_action", s.command, "press", None, None)
    eq(duties(18)[-1], 1638, "a refused command does not move it")


@test
def servo_moves_smoothly_at_its_speed():
    # 300 degrees a second: 6 degrees a 20 ms frame, so 0 -> 90 takes 15 frames.
    n = servo(safe_angle=0, speed=300)
    s = n.component("jaw")

    async def go():
        del machine.PWM.history[:]
        s.command("set", 90, None)
        eq(n.status(), {"jaw": 90}, "the target is the state at once")
        await s.idle()

    asyncio.run(go())
    moved = duties(18)
    eq(len(moved), 15, "one duty a frame")
    eq(moved[-1], s.duty(90), "ends at the target")
    eq(moved, sorted(moved), "only opens on the way")
    eq(moved[0], s.duty(6), "first frame: 6 degrees")
    eq(s.angle, 90, "angle")


@test
def servo_detaches_when_idle_and_is_safe_again_on_stop():
    n = servo(detach=0.1)
    s = n.component("jaw")

    async def go():
        s.start()
        s.command("set", 30, None)
        await settle(250)
        eq(machine.PWM.duty[18], 0, "no pulses once idle: limp and quiet")
        eq(s.attached, False, "detached")
        s.command("set", 45, None)
        eq(machine.PWM.duty[18], s.duty(45), "a new angle attaches it again")

    asyncio.run(go())
    n.component("jaw").safe()
    eq(machine.PWM.duty[18], 4915, "safe: back to 90")


@test
def servo_jaw_follows_the_voice():
    from sim_devices import DFPlayer  # noqa: F401 - the UART stub's device

    n = node(
        [
            {
                "kind": "dfplayer",
                "type": "select",
                "key": "voice",
                "tx": 17,
                "tracks": {"hello": 1},
                "keys": {"volume": "voice_volume", "playing": "voice_playing"},
            },
            dict(
                JAW,
                safe_angle=0,
                max_angle=60,
                lipsync={"pin": 35, "player": "voice", "quiet": 0.1, "loud": 0.5},
            ),
        ]
    )
    s = n.component("jaw")
    player = n.component("voice")

    async def go():
        s.start()
        machine.ADC.levels[35] = 65535 * 3 // 10  # halfway from quiet to loud
        await settle(60)
        eq(s.angle, 0, "silent player: jaw closed")
        player.play("hello")
        await settle(60)
        eq(round(s.angle), 30, "half loud: half open")
        machine.ADC.levels[35] = 65535
        await settle(60)
        eq(round(s.angle), 60, "loud: wide open")
        player.stop()
        await settle(60)
        eq(s.angle, 0, "closed when the track stops")

    asyncio.run(go())
    del machine.ADC.levels[35]


STEPPER = {
    "kind": "stepper",
    "type": "number",
    "key": "door",
    "step_pin": 26,
    "dir_pin": 27,
    "enable_pin": 14,
    "max": 2000,
    "max_speed": 4000,
    "acceleration": 20000,
}


def stepper(**options):
    cfg = dict(STEPPER)
    cfg.update(options)
    if "home" in cfg:
        cfg["keys"] = {"home": "door_home"}
    return node([cfg])


def pulses():
    return len([w for w in machine.writes if w == (26, 1)])


@test
def stepper_is_disabled_at_boot():
    n = stepper(home={"pin": 33})
    eq(machine.pins[14], 1, "EN high: an A4988 is disabled")
    eq(machine.pins[26], 0, "step low")
    eq(machine.pins[27], 0, "dir low")
    eq(pulses(), 0, "no steps")
    eq(n.status(), {"door": 0}, "status")
    eq(sorted(n.components), ["door", "door_home"], "the Home button too")


@test
def stepper_ramp_is_a_trapezoid_that_ends_on_its_target():
    from propnet.components.stepper import ramp

    speeds = []
    owed = 0.0
    left = 1000
    speed = 0.0
    while left:
        more, speed = ramp(left, speed, 400, 800, 0.004)
        owed += more
        n = min(int(owed), left)
        owed -= n
        left -= n
        speeds.append(speed)
        if len(speeds) > 5000:
            raise AssertionError("never arrives")
    top = max(speeds)
    eq(top, 400, "reaches max speed")
    rise = speeds[: speeds.index(top)]
    eq(rise, sorted(rise), "speeds up")
    eq(round(rise[1] - rise[0], 6), 3.2, "by acceleration x tick")
    fall = speeds[len(speeds) - speeds[::-1].index(top) :]
    eq(fall, sorted(fall, reverse=True), "slows down")
    # Accelerating for 0.5 s covers 100 steps; cruising 800 more takes 2 s.
    eq(2.8 < len(speeds) * 0.004 < 3.3, True, "about 3 s: %d ticks" % len(speeds))


@test
def stepper_steps_to_a_position_and_back():
    n = stepper()
    d = n.component("door")

    async def go():
        del machine.writes[:]
        d.command("set", 300, None)
        eq(n.status(), {"door": 300}, "target at once")
        await settle(8)
        eq(machine.pins[14], 0, "enabled while moving")
        await d.idle()
        eq(pulses(), 300, "300 step pulses")
        eq(machine.pins[27], 1, "dir high: forward")
        eq(d.position, 300, "position")
        eq(machine.pins[14], 1, "released when still")
        del machine.writes[:]
        d.act("move", 120)
        await d.idle()
        eq(pulses(), 180, "180 back")
        eq(machine.pins[27], 0, "dir low: back")
        eq(d.position, 120, "position")

    asyncio.run(go())
    raises("bad_value", d.command, "set", 2001, None)
    raises("bad_value", d.command, "set", -1, None)


@test
def stepper_homes_on_its_limit_switch():
    n = stepper(home={"pin": 33, "speed": 2000})
    d = n.component("door")
    machine.pins[33] = 1  # pulled up: the switch is open

    async def go():
        d.position = d.target = 700  # where it thinks it is
        n.component("door_home").command("press", None, None)
        raises("busy", d.command, "set", 5, None)
        await settle(50)
        eq(machine.pins[27], 0, "runs towards the switch")
        eq(pulses() > 0, True, "stepping")
        machine.pins[33] = 0  # the switch closes
        await d.idle()
        eq(d.homed, True, "homed")
        eq(d.position, 0, "the switch is position 0")
        eq(n.status(), {"door": 0}, "status")

    asyncio.run(go())


@test
def stepper_without_a_switch_gives_up_homing():
    n = stepper(home={"pin": 33, "speed": 4000, "max_travel": 40})
    d = n.component("door")
    machine.pins[33] = 1

    async def go():
        del machine.writes[:]
        d.act("home", None)
        await d.idle()
        eq(d.homed, False, "not homed")
        eq(pulses(), 40, "stopped after max_travel")
        eq(machine.pins[14], 1, "driver released")

    asyncio.run(go())


@test
def stepper_stops_at_the_limit_switch_on_the_way_down():
    n = stepper(home={"pin": 33})
    d = n.component("door")
    machine.pins[33] = 1

    async def go():
        d.position = d.target = 500
        d.command("set", 0, None)
        await settle(30)
        machine.pins[33] = 0
        await d.idle()
        eq(d.position, 0, "the switch wins over the count")

    asyncio.run(go())
    raises("unsupported_action", stepper().component("door").act, "home", None)


@test
def a_sequence_moves_and_waits():
    n = node(
        [
            dict(STEPPER),
            {"kind": "switch", "type": "switch", "key": "lamp", "pin": 4},
        ],
        actions={
            "open": [["move", "door", 200, True], ["on", "lamp"]],
            "nudge": [["move", "door", 50, False], ["on", "lamp"]],
        },
    )

    async def go():
        n.actions.start("open", "open")
        await settle(10)
        eq(machine.pins[4], 0, "the lamp waits for the door")
        while "open" in n.actions.running:
            await asyncio.sleep_ms(10)
        eq(n.component("door").position, 200, "door open")
        eq(machine.pins[4], 1, "then the lamp")
        machine.pins[4] = 0
        n.actions.start("nudge", "nudge")
        await settle(5)
        eq(machine.pins[4], 1, "without wait, the next step runs at once")
        await n.component("door").idle()

    asyncio.run(go())


@test
def boot_leaves_every_actuator_in_its_safe_state():
    machine.SPI.device = None
    del machine.PWM.history[:]
    n = node(
        [
            dict(JAW),
            dict(STEPPER, keys={"home": "door_home"}, home={"pin": 33}),
            {
                "kind": "dfplayer",
                "type": "select",
                "key": "voice",
                "tx": 17,
                "tracks": {"a": 1},
                "keys": {"volume": "voice_volume", "playing": "voice_playing"},
            },
            {"kind": "switch", "type": "switch", "key": "lid", "pin": 23},
        ]
    )
    eq(duties(18), [0, 4915], "servo: straight to its safe angle")
    eq(machine.pins[14], 1, "stepper driver disabled")
    eq(pulses(), 0, "no step pulses")
    frames = bytes(machine.UART.ports[1].written)
    eq(frames, b"\x7e\xff\x06\x16\x00\x00\x00\xfe\xe5\xef", "the player told to stop")
    eq(machine.pins[23], 0, "switch off")
    eq(
        n.status(),
        {
            "jaw": 90,
            "door": 0,
            "voice": "a",
            "voice_volume": 20,
            "voice_playing": False,
            "lid": False,
        },
        "status",
    )


@test
def every_actuator_is_safe_after_stop():
    n = node([dict(JAW, speed=100), dict(STEPPER)])

    async def go():
        n.component("jaw").command("set", 10, None)
        n.component("door").command("set", 1500, None)
        await settle(30)
        for comp in n.order:
            comp.safe()
        eq(machine.PWM.duty[18], 4915, "servo at its safe angle")
        eq(machine.pins[14], 1, "stepper driver released")
        eq(n.component("door").target, n.component("door").position, "stepper stopped")

    asyncio.run(go())


_TRAINS = []
_RMT_STATE = {"busy": False}


class _RMT:
    """esp32.RMT as the stepper uses it: records each train, busy until told."""

    def __init__(self, channel, pin=None, clock_div=8, idle_level=False):
        del _TRAINS[:]
        self.channel = channel
        self.clock_div = clock_div

    def wait_done(self, timeout=0):
        return not _RMT_STATE["busy"]

    def write_pulses(self, durations, data=True):
        _TRAINS.append((tuple(durations), data))


class _Esp32:
    RMT = _RMT


@test
def stepper_pulses_are_evenly_spaced_by_the_rmt_peripheral():
    import sys

    sys.modules["esp32"] = _Esp32
    try:
        n = stepper(max_speed=1000, acceleration=100000)
    finally:
        del sys.modules["esp32"]
    d = n.component("door")

    async def go():
        del machine.writes[:]
        d.command("set", 200, None)
        await settle(20)
        # While a train is still going out, the next one waits: no overlap.
        _RMT_STATE["busy"] = True
        sent = sum(len(t[0]) // 2 for t in _TRAINS)
        await settle(20)
        eq(sum(len(t[0]) // 2 for t in _TRAINS), sent, "nothing sent while busy")
        _RMT_STATE["busy"] = False
        await d.idle()

    asyncio.run(go())
    eq(sum(len(t[0]) // 2 for t in _TRAINS), 200, "200 pulses in all")
    eq(pulses(), 0, "none toggled from the loop")
    for durations, first in _TRAINS:
        eq(first, True, "each train starts high")
        highs = [durations[i] for i in range(0, len(durations), 2)]
        lows = [durations[i] for i in range(1, len(durations), 2)]
        eq(set(highs), {5}, "5 us pulses")
        eq(len(set(lows)), 1, "one spacing within a train")
        eq(lows[0] + 5 >= 1000, True, "spaced for at most 1000 steps a second")
    eq(d.position, 200, "position")


run()
