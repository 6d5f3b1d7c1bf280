"""DFPlayer, HC-SR04 and MFRC522 on the real MicroPython unix port, checked on the wire."""

import asyncio

from check import eq, raises, run, test
from fixture import node, queued, settle
import machine
import sim_devices

VOICE = {
    "kind": "dfplayer",
    "type": "select",
    "key": "voice",
    "tx": 17,
    "rx": 16,
    "tracks": {"hello": 1, "laugh": 2, "story": 3},
    "volume": 20,
    "keys": {"volume": "voice_volume", "playing": "voice_playing"},
}

# Frames worked out by hand from the module's rule: checksum = -(bytes 1..6), 16 bits.
STOP = b"\x7e\xff\x06\x16\x00\x00\x00\xfe\xe5\xef"
PLAY_3 = b"\x7e\xff\x06\x03\x00\x00\x03\xfe\xf5\xef"
VOLUME_20 = b"\x7e\xff\x06\x06\x00\x00\x14\xfe\xe1\xef"
VOLUME_25 = b"\x7e\xff\x06\x06\x00\x00\x19\xfe\xdc\xef"
STATUS = b"\x7e\xff\x06\x42\x00\x00\x00\xfe\xb9\xef"


def player(fresh=True, **options):
    cfg = dict(VOICE)
    cfg.update(options)
    n = node([cfg], fresh=fresh)
    return n, n.component("voice"), machine.UART.ports[1]


@test
def dfplayer_is_silent_at_boot():
    n, _p, port = player()
    eq(bytes(port.written), STOP, "a stop, and nothing else, at boot")
    eq(
        n.status(),
        {"voice": "hello", "voice_volume": 20, "voice_playing": False},
        "status",
    )


@test
def dfplayer_frames_for_play_volume_and_stop():
    n, p, port = player()
    port.written = bytearray()
    p.command("set", "story", None)
    eq(bytes(port.written), PLAY_3, "play track 3")
    eq(n.status()["voice_playing"], True, "playing")
    eq(n.status()["voice"], "story", "track")
    port.written = bytearray()
    n.component("voice_volume").command("set", 25, None)
    eq(bytes(port.written), VOLUME_25, "volume 25")
    port.written = bytearray()
    n.component("voice_playing").command("set", False, None)
    eq(bytes(port.written), STOP, "stop")
    eq(n.status()["voice_playing"], False, "stopped")
    raises("bad_value", p.command, "set", "sing", None)
    raises("bad_value", n.component("voice_volume").command, "set", 31, None)
    raises("bad_value", n.component("voice_playing").command, "set", "on", None)


@test
def dfplayer_volume_is_sent_after_power_up_and_kept():
    n, p, port = player()

    async def go():
        p.start()
        await settle(1600)

    asyncio.run(go())
    eq(bytes(port.written), STOP + VOLUME_20, "the volume once the module woke")
    n.component("voice_volume").command("set", 25, None)
    n.store.flush()
    _n2, p2, _port2 = player(fresh=False)
    eq(p2.volume, 25, "the volume survives a restart")


@test
def dfplayer_reply_frames_are_checked():
    from propnet.components.dfplayer import parse

    eq(parse(bytearray(b"\x7e\xff\x06\x3d\x00\x00\x03\xfe\xbb\xef")), (0x3D, 3), "good")
    eq(parse(bytearray(b"\x7e\xff\x06\x3d\x00\x00\x03\xfe\xbc\xef")), None, "checksum")
    eq(parse(bytearray(b"\x7e\xff\x06\x3d\x00\x00\x03\xfe\xbb\x00")), None, "end byte")
    n, p, port = player()
    p.playing = True
    port.answer(b"\x01\x02" + b"\x7e\xff\x06\x3d\x00\x00\x03\xfe\xbc\xef")
    p._read()
    eq(n.drops, {"dfplayer_bad_frame": 1}, "a bad frame is counted")
    eq(p.playing, True, "and not believed")
    port.answer(b"\x7e\xff\x06\x3d\x00\x00\x03\xfe\xbb\xef")
    p._read()
    eq(p.playing, False, "track 3 finished")


@test
def dfplayer_plays_and_waits_until_the_track_ends():
    sim_devices.TRACK_MS = 1200
    _n, p, port = player()
    done = []

    async def go():
        p.start()
        p.act("play", "laugh")
        await p.idle()
        done.append(True)

    asyncio.run(go())
    eq(done, [True], "waited")
    sim = port.sim
    eq((0x42, 0) in sim.frames, True, "it asked the module (no busy pin)")
    eq(STATUS in bytes(port.written), True, "status query frame")
    eq(p.playing, False, "ended")
    sim_devices.TRACK_MS = 2000


@test
def dfplayer_busy_pin_tells_when_the_track_ends():
    _n, p, port = player(busy_pin=4)
    port.sim = None  # this module answers nothing; only its busy line

    async def go():
        p.start()
        machine.pins[4] = 1
        p.play("hello")
        await settle(300)
        machine.pins[4] = 0  # low while playing
        await settle(500)
        eq(p.playing, True, "busy")
        machine.pins[4] = 1
        await settle(100)
        eq(p.playing, False, "done")

    asyncio.run(go())


@test
def dfplayer_with_a_busy_line_that_never_falls_asks_the_module():
    sim_devices.TRACK_MS = 1600
    _n, p, port = player(busy_pin=4)
    machine.pins[4] = 1  # pulled up and never driven: not wired

    async def go():
        p.start()
        p.play("hello")
        await settle(700)
        eq(p.playing, True, "a high line alone does not end the track")
        await p.idle()

    asyncio.run(go())
    eq((0x42, 0) in port.sim.frames, True, "asked instead")
    sim_devices.TRACK_MS = 2000


@test
def a_sequence_plays_a_track_then_goes_on():
    sim_devices.TRACK_MS = 600
    n = node(
        [dict(VOICE), {"kind": "switch", "type": "switch", "key": "lamp", "pin": 5}],
        actions={"talk": [["play", "voice", "story", True], ["on", "lamp"]]},
    )

    async def go():
        n.component("voice").start()
        n.actions.start("talk", "talk")
        await settle(300)
        eq(machine.pins[5], 0, "still talking")
        while "talk" in n.actions.running:
            await asyncio.sleep_ms(20)
        eq(machine.pins[5], 1, "lamp after the story")

    asyncio.run(go())
    sim_devices.TRACK_MS = 2000


RANGER = {
    "kind": "distance",
    "type": "sensor",
    "key": "visitor",
    "trigger_pin": 12,
    "echo_pin": 13,
    "source": "echo",
    "telemetry": True,
    "near": 60,
    "on_near": [["count", "visits"]],
    "on_far": [["on", "lamp"]],
}


def ranger(**options):
    cfg = dict(RANGER)
    cfg.update(options)
    return node(
        [
            cfg,
            {"kind": "sensor", "type": "sensor", "key": "visits", "source": "counter"},
            {"kind": "switch", "type": "switch", "key": "lamp", "pin": 5},
        ]
    )


@test
def distance_pings_and_times_the_echo():
    n = ranger()
    r = n.component("visitor")
    machine.echoes[13] = [583, 11660, 17500]
    del machine.writes[:]
    eq(r.measure(), 10.0, "583 us: 10 cm")
    eq([w for w in machine.writes if w[0] == 12], [(12, 1), (12, 0)], "a trigger pulse")
    eq(r.measure(), 200.0, "11660 us: 2 m")
    eq(r.measure(), None, "past max_distance (3 m): no reading")
    eq(r.measure(), None, "no echo at all")
    eq(r.timeouts, 2, "timeouts counted")


@test
def distance_runs_sequences_when_someone_comes_near_and_leaves():
    n = ranger()
    r = n.component("visitor")

    async def go():
        for cm in (150.0, 80.0, 55.0, 50.0, 65.0):
            r.seen(cm)
        await settle(5)
        eq(
            n.component("visits").value,
            1,
            "near once (65 is inside the 10 cm hysteresis)",
        )
        eq(machine.pins[5], 0, "not far yet")
        r.seen(75.0)
        await settle(5)
        eq(machine.pins[5], 1, "far again")
        r.seen(40.0)
        await settle(5)
        for _ in range(3):
            r.seen(None)
        await settle(5)
        eq(r.is_near, False, "three missed echoes: nobody there")
        eq(n.component("visits").value, 2, "near twice")

    asyncio.run(go())
    readings = [
        t["visitor"] for t in [n.client._latest.get(n.topic("telemetry")).payload]
    ]
    eq(readings, [40.0], "the newest reading waits to go out")


@test
def distance_readings_go_through_the_filters():
    n = ranger(filters=[["multiply", 10], ["round", 0]])
    r = n.component("visitor")
    r.seen(12.34)
    eq(r.value, 123, "cm x 10, rounded")


READER = {
    "kind": "rfid",
    "type": "event",
    "key": "altar",
    "sck": 18,
    "mosi": 23,
    "miso": 19,
    "cs": 5,
    "keys": {"uid": "altar_uid"},
}


def reader(**options):
    cfg = dict(READER)
    cfg.update(options)
    sim = sim_devices.MFRC522()
    machine.SPI.device = sim
    del machine.SPI.log[:]
    n = node(
        [cfg, {"kind": "switch", "type": "switch", "key": "door", "pin": 4}],
    )
    return n, n.component("altar"), sim


def poll_once(comp):
    async def go():
        comp.start()
        await settle(30)

    asyncio.run(go())


@test
def crc_a_of_a_halt_is_the_known_one():
    from propnet.components.rfid import crc_a

    eq(crc_a(b"\x50\x00"), b"\x57\xcd", "HLTA's CRC_A")


@test
def rfid_reads_a_4_byte_uid():
    n, r, sim = reader()
    sim.place(b"\xde\xad\xbe\xef")
    poll_once(r)
    eq(
        sim.frames[:3],
        [
            (b"\x52", b"\x04\x00"),
            (b"\x93\x20", b"\xde\xad\xbe\xef\x22"),
            (b"\x50\x00\x57\xcd", None),
        ],
        "wake, anticollision, halt",
    )
    eq(machine.SPI.log[0], (b"\x02\x0f", b"\x00\x00"), "first a soft reset")
    eq(n.status(), {"door": False, "altar_uid": "DEADBEEF"}, "status")
    events = queued(n, "event")
    eq(
        events,
        [{"key": "altar", "type": "scanned", "data": {"uid": "DEADBEEF"}}],
        "event",
    )


@test
def rfid_reads_a_7_byte_uid_through_two_cascade_levels():
    _n, r, sim = reader()
    sim.place(b"\x04\xa2\x3b\x5a\x6f\x61\x80", atqa=b"\x44\x00", sak=0x00)
    poll_once(r)
    sent = [f[0] for f in sim.frames[:5]]
    eq(sent[0], b"\x52", "wake")
    eq(sent[1], b"\x93\x20", "anticollision 1")
    eq(sim.frames[1][1], b"\x88\x04\xa2\x3b\x15", "cascade tag and 3 bytes")
    eq(sent[2][:7], b"\x93\x70\x88\x04\xa2\x3b\x15", "select level 1")
    eq(sim.frames[2][1][:1], b"\x04", "SAK: more UID to come")
    eq(sent[3], b"\x95\x20", "anticollision 2")
    eq(sent[4][:2], b"\x50\x00", "halt")
    eq(r.uid, "04A23B5A6F6180", "uid")


@test
def rfid_puzzle_allows_the_right_tag_and_sees_it_go():
    n, r, sim = reader(
        allowed=["DEADBEEF"],
        on_allowed=[["on", "door"]],
        on_removed=[["off", "door"]],
    )

    async def go():
        r.start()
        sim.place(b"\x01\x02\x03\x04")
        await settle(450)
        eq(machine.pins[4], 0, "a wrong tag opens nothing")
        sim.remove()
        await settle(450)
        sim.place(b"\xde\xad\xbe\xef")
        await settle(450)
        eq(machine.pins[4], 1, "the right tag opens the door")
        await settle(450)
        eq(
            len([e for e in queued(n, "event") if e["type"] == "allowed"]),
            1,
            "once while it stays",
        )
        sim.remove()
        await settle(650)
        eq(machine.pins[4], 0, "taking it away closes it")

    asyncio.run(go())
    kinds = [(e["type"], e["data"]["uid"]) for e in queued(n, "event")]
    eq(
        kinds,
        [
            ("denied", "01020304"),
            ("removed", "01020304"),
            ("allowed", "DEADBEEF"),
            ("removed", "DEADBEEF"),
        ],
        "events",
    )


@test
def rfid_uid_set_from_home_assistant_acts_as_a_scan():
    n, _r, _sim = reader(allowed=["DEADBEEF"], on_allowed=[["on", "door"]])

    async def go():
        n.component("altar_uid").command("set", "deadbeef", None)
        await settle(5)

    asyncio.run(go())
    eq(machine.pins[4], 1, "door open")
    raises("bad_value", n.component("altar_uid").command, "set", "abc", None)


@test
def rfid_without_a_reader_logs_and_goes_on():
    n, r, _sim = reader()
    machine.SPI.device = None

    async def go():
        r.start()
        await settle(50)

    asyncio.run(go())
    eq(r.version, None, "no reader found")
    eq(n.status()["altar_uid"], "", "no tag")


run()
