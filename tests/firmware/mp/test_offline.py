"""The prop runs with no broker: sensors, sequences, outputs, LED and watchdog carry on."""

import asyncio

from check import eq, run, test
from fixture import latest, node, queued, settle
import machine
from propnet.net import Network

PROP = [
    {"kind": "switch", "type": "switch", "key": "lid", "pin": 23},
    {
        "kind": "binary_sensor",
        "type": "binary_sensor",
        "key": "motion",
        "pin": 34,
        "debounce": 0.02,
        "on_press": "scare",
    },
    {"kind": "event", "type": "event", "key": "scared", "event_types": ["scare"]},
]
ACTIONS = {
    "scare": [
        ["event", "scared", "scare"],
        ["on", "lid"],
        ["delay", 0.05],
        ["off", "lid"],
    ]
}


@test
def motion_runs_the_scare_with_the_broker_down():
    # Port 1 on loopback refuses connections: the broker is down all along.
    # The loop stops at the end of the test: the stub watchdog must not fire.
    machine.WDT.countdown = False
    n = node(PROP, ACTIONS, status_led={"pin": 2}, watchdog=0.1)
    n.net = Network("sim", None, n.log)
    opened = []

    async def go():
        asyncio.create_task(n.run())
        await settle(100)
        eq(n.client.connected, False, "no broker")
        machine.pins[34] = 1
        for _ in range(40):
            await settle(5)
            if machine.pins[23]:
                opened.append(1)
                break
        await settle(120)

    asyncio.run(go())
    eq(opened, [1], "the lid opened while offline")
    eq(machine.pins[23], 0, "and closed again")
    eq(n.led.mode, "no_broker", "the LED says the broker is missing")
    eq(machine.WDT.fed > 0, True, "the watchdog is fed")
    eq(n.client.stats["failures"] > 0, True, "it kept trying to connect")
    eq(
        [e["type"] for e in queued(n, "event")],
        ["scare"],
        "the event waits for the broker",
    )
    eq(latest(n, "status")["lid"], False, "only the newest status waits")


@test
def the_network_joins_and_reports_up():
    log = []
    net = Network("sim", "pw", lambda level, msg: log.append(msg))

    async def go():
        asyncio.create_task(net.run())
        await settle(50)

    asyncio.run(go())
    eq(net.up.is_set(), True, "up")
    eq(net.ip(), "127.0.0.1", "address")
    eq(net.rssi(), -52, "signal")
    eq(log[0].startswith("wifi connected"), True, "logged")


@test
def the_network_rejoins_after_the_link_drops():
    log = []
    net = Network("sim", "pw", lambda level, msg: log.append(msg))

    async def go():
        asyncio.create_task(net.run())
        await settle(50)
        net.wlan.disconnect()  # the access point went away
        await asyncio.sleep_ms(1300)

    asyncio.run(go())
    eq(net.up.is_set(), True, "up again")
    eq(net.attempts, 2, "joined twice")
    eq(
        [m.split(",")[0] for m in log],
        ["wifi connected", "wifi lost", "wifi connected"],
        "logged",
    )


run()
