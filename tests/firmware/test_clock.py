"""The show clock on the real MicroPython port: props whose clocks are shifted and fast or slow know the hub's time.

Each prop runs under libfaketime (seconds off, up to 200 ppm fast or slow)
and keeps its clock with the hub's time service over UDP, once directly and
once through a proxy that delays every request by 0 to 20 ms, unevenly and
one way only (the worst case for a round-trip clock). Five seconds after
joining, the test asks each prop what time the hub's clock says and
compares the answer with the hub's clock itself (this process's monotonic
clock), bounded by the query's own round trip on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import socket
import statistics
import time

import pytest

from custom_components.propnet.protocol.timesync import hub_us
from tests.harness.procs import Process, free_port, wait_until
from tests.harness.showroom import (
    clean_faketime_memory,
    faketime_available,
    faketime_env,
    realtime_allowed,
)
from tests.harness.timehub import TimeHub
from tests.harness.virtual_prop import mp_script

# (faketime's offset and speed) for three props: seconds off, 200 ppm fast or slow.
CLOCKS = ("+7.3s x1.0002", "-3.1s x0.9998", "+120s x1.0001")

pytestmark = pytest.mark.skipif(
    not faketime_available(),
    reason="libfaketime (Debian faketime) not installed",
)


def clock_prop(hub_port: int, query_port: int, spec: str, folder: Path) -> Process:
    """Return the clock session under faketime ``spec`` (not started)."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = mp_script(
        "clock_session.py",
        ["127.0.0.1", str(hub_port), str(query_port)],
        folder / "prop.log",
        folder,
    )
    argv = plain.argv
    # A board has its processor to itself: a real-time priority stands for it
    # on a machine the props share with the hub (and the test).
    if realtime_allowed():
        argv = ["chrt", "-f", "20", *argv]
    popen = dict(plain.popen)
    env = popen.pop("env")
    assert isinstance(env, dict)
    return Process(
        plain.name, argv, plain.log, env={**env, **faketime_env(spec)}, **popen
    )


def ask(sock: socket.socket, port: int) -> tuple[int, int, list[str]]:
    """Ask the prop on ``port`` the hub's time; return (its error in us, the query's round trip, its fields).

    The prop answered at some moment between sending and receiving: the
    error is how far its answer lies outside that window (0 inside it).
    """
    sent = hub_us()
    sock.sendto(b"?", ("127.0.0.1", port))
    data = sock.recv(128)
    got = hub_us()
    fields = data.decode().split()
    said = int(fields[0])
    return said - min(max(said, sent), got), got - sent, fields


@contextmanager
def props(hub: TimeHub, folder: Path) -> Iterator[list[tuple[int, socket.socket]]]:
    """Start one prop per clock; yield each one's query port and the socket its answers come to."""
    running: list[Process] = []
    askers: list[tuple[int, socket.socket]] = []
    try:
        for n, spec in enumerate(CLOCKS):
            port = free_port()
            while True:  # the answers come to port + 1: both must be free
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    sock.bind(("127.0.0.1", port + 1))
                    break
                except OSError:
                    sock.close()
                    port = free_port()
            sock.settimeout(2)
            askers.append((port, sock))
            prop = clock_prop(hub.port, port, spec, folder / f"prop{n}")
            running.append(prop.start())
        for prop in running:
            wait_until(lambda p=prop: "started" in p.tail(), 10, "the prop starting")
        yield askers
    finally:
        for prop in running:
            prop.stop()
        for _, sock in askers:
            sock.close()
        clean_faketime_memory()


@pytest.mark.parametrize("delay_ms", [0, 20], ids=["direct", "one-way-0-20ms"])
def test_each_prop_knows_the_hubs_time_five_seconds_after_joining(
    tmp_path: Path, delay_ms: float
) -> None:
    """Shifted by seconds, 200 ppm fast or slow, 0-20 ms on one way or not: within 1 ms of the truth."""
    limit = 1000
    with TimeHub(delay_ms=delay_ms) as hub, props(hub, tmp_path) as askers:
        time.sleep(5)
        report = []
        for port, sock in askers:
            errors = []
            for _ in range(200):
                error, rtt, fields = ask(sock, port)
                assert fields[2] == "1", fields  # synced
                # Only answers that came back quickly pin the truth down.
                if rtt <= 500:
                    errors.append(error)
                    if len(errors) == 20:
                        break
                time.sleep(0.02)
            assert len(errors) == 20, "too few quick queries"
            worst = max(abs(e) for e in errors)
            report.append((statistics.median(errors), worst, fields[1]))
            assert worst <= limit, (errors, fields)
    assert len(report) == len(CLOCKS)
