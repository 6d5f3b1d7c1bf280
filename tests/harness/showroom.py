"""Props with shows under libfaketime, a time service, and a clock outside them that stamps each pin change.

Each prop runs PropNet's firmware (``tests/firmware/props/cue_prop.yaml``
with its own id) on the MicroPython unix port, its clock shifted by seconds
and fast or slow, at a real-time priority where the machine allows (a board
has its processor to itself). The stub pins send every write over UDP to a
socket of this process, which stamps it with the hub's clock
(``timesync.hub_us``): the truth a cue's firing is measured against.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from custom_components.propnet.protocol.cues import clock_message, clock_topic

from .procs import LOOPBACK, wait_until
from .virtual_prop import VirtualProp
from .watcher import Watcher

CUE_PROP = Path(__file__).resolve().parents[1] / "firmware" / "props" / "cue_prop.yaml"
LID_PIN = 4
# (faketime's offset and speed): seconds off, up to 200 ppm fast or slow.
CLOCKS = (
    "+7.3s x1.0002",
    "-3.1s x0.9998",
    "+120s x1.0001",
    "+0.4s x0.99985",
    "-42s x1.00015",
)
PREFIX = "propnet"


def realtime_allowed() -> bool:
    """Return whether this machine lets a process run at a real-time priority."""
    chrt = shutil.which("chrt")
    return (
        chrt is not None
        and subprocess.run([chrt, "-f", "20", "true"], check=False).returncode == 0
    )


def _libfaketime() -> Path | None:
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    return found[0] if found else None


def faketime_available() -> bool:
    """Return whether libfaketime is installed."""
    return _libfaketime() is not None


def faketime_env(spec: str) -> dict[str, str]:
    """Return the environment that runs one process on the clock ``spec`` ("+7.3s x1.0002").

    libfaketime is preloaded directly: its ``faketime`` wrapper leaves a
    shared-memory segment behind when it is killed, and a later process
    with the same pid then fails to start.
    """
    lib = _libfaketime()
    assert lib is not None, "libfaketime is not installed"
    return {"LD_PRELOAD": str(lib), "FAKETIME": spec}


def clean_faketime_memory() -> None:
    """Remove the shared memory and semaphores libfaketime left for processes that are gone."""
    shm = Path("/dev/shm")  # noqa: S108 - where libfaketime keeps them
    for path in [*shm.glob("faketime_shm_*"), *shm.glob("sem.faketime_sem_*")]:
        pid = path.name.rsplit("_", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            path.unlink(missing_ok=True)


@dataclass
class Stamps:
    """Pin writes as the clock outside the props saw them: (prop, pin, value, hub us)."""

    seen: list[tuple[int, int, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def since(self, t_us: int, pin: int = LID_PIN) -> list[tuple[int, int, int, int]]:
        """Return the writes of ``pin`` stamped at or after ``t_us``."""
        with self.lock:
            return [s for s in self.seen if s[3] >= t_us and s[1] == pin]


class Room:
    """The running props, the stamps of their pins, and an MQTT client to command them."""

    def __init__(
        self, props: list[VirtualProp], ids: list[str], watcher: Watcher, stamps: Stamps
    ) -> None:
        """Keep what ``show_room`` started."""
        self.props = props
        self.ids = ids
        self.watcher = watcher
        self.stamps = stamps
        self._n = 0

    def command(
        self, prop_id: str, action: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one command and return its ack."""
        self._n += 1
        cid = f"c{self._n}"
        mark = self.watcher.mark()
        body: dict[str, Any] = {"action": action, "correlation_id": cid}
        if params is not None:
            body["params"] = params
        self.watcher.publish(f"{PREFIX}/{prop_id}/cmd", json.dumps(body))
        seen = self.watcher.wait_for(
            f"{PREFIX}/{prop_id}/ack",
            10,
            since=mark,
            match=lambda m: json.loads(m.payload).get("correlation_id") == cid,
        )
        ack: dict[str, Any] = json.loads(seen.payload)
        return ack

    def status(self, prop_id: str) -> dict[str, Any]:
        """Return the prop's latest status, merged (not what an earlier run left retained)."""
        out: dict[str, Any] = {}
        topic = f"{PREFIX}/{prop_id}/status"
        for m in list(self.watcher.messages):
            if m.topic == topic and m.payload and not m.retain:
                out.update(json.loads(m.payload))
        return out

    def wait_synced(self, timeout: float = 20) -> float:
        """Wait until every prop says its clock is synced; return how long that took."""
        started = time.monotonic()
        for prop_id, prop in zip(self.ids, self.props, strict=True):
            wait_until(
                lambda p=prop_id: self.status(p).get("clock_synced") is True,
                timeout,
                f"{prop_id}'s clock to sync:\n{prop.tail()}",
            )
        return time.monotonic() - started

    def load_everywhere(self, cues: list[list[Any]], name: str = "room") -> None:
        """Load the same cue list on every prop; fail on a refusal."""
        for prop_id in self.ids:
            ack = self.command(prop_id, "show_load", {"show": name, "cues": cues})
            assert ack["ok"], ack

    def start_everywhere(self, at: int, stagger_us: int = 0) -> None:
        """Start the loaded show on every prop at hub time ``at`` (prop n ``n * stagger_us`` later)."""
        for n, prop_id in enumerate(self.ids):
            ack = self.command(prop_id, "show_start", {"at": at + n * stagger_us})
            assert ack["ok"], ack


def toggles(count: int, every_ms: int) -> list[list[Any]]:
    """Return cues that open and close the lid in turn, ``every_ms`` apart."""
    return [[i * every_ms, "on" if i % 2 == 0 else "off", "lid"] for i in range(count)]


def firings(
    stamps: Stamps,
    start: int,
    count: int,
    every_ms: int,
    props: int,
    stagger_us: int = 0,
) -> tuple[list[int], int]:
    """Return each cue's firing minus its instant (us) on each prop, and how many cues did not fire.

    A cue's firing is the lid write of the value it sets nearest its
    instant, within 50 ms either side; prop n started ``n * stagger_us``
    after ``start``.
    """
    out: list[int] = []
    missed = 0
    seen = stamps.since(start - 100_000)
    for prop in range(props):
        writes = [(t_us, value) for p, _, value, t_us in seen if p == prop]
        for i in range(count):
            instant = start + prop * stagger_us + i * every_ms * 1000
            want = 1 if i % 2 == 0 else 0
            near = [
                t - instant
                for t, v in writes
                if v == want and abs(t - instant) <= 50_000
            ]
            if near:
                out.append(min(near, key=abs))
            else:
                missed += 1
    return out, missed


def skews(
    stamps: Stamps, start: int, count: int, every_ms: int, props: int
) -> list[int]:
    """Return each cue's firing on each prop minus its instant, in us; raise if one did not fire."""
    out, missed = firings(stamps, start, count, every_ms, props)
    assert not missed, f"{missed} of {count * props} cues did not fire"
    return out


def reported_lateness(room: Room, mark: int = 0) -> dict[tuple[str, int], int]:
    """Return the lateness (us) each prop reported for each cue index after watcher index ``mark``."""
    out: dict[tuple[str, int], int] = {}
    for m in list(room.watcher.messages)[mark:]:
        if m.topic.endswith("/show") and m.payload:
            prop_id = m.topic.split("/")[-2]
            for index, late, _outcome in json.loads(m.payload)["cues"]:
                out[(prop_id, index)] = late
    return out


def clock_errors(
    room: Room, mark: int, late: list[int], count: int, timeout: float = 5
) -> list[int]:
    """Return each firing's stamped lateness minus the lateness its prop measured itself, in us.

    ``late`` is ``skews``' list (prop by prop, cue by cue). What is left is
    what the show clock got wrong: a prop that a busy host wakes late measures
    that lateness itself, on its own clock, and it cancels out. The props
    report in batches after firing, so this waits up to ``timeout`` for every
    report.
    """
    wanted = {(prop_id, i) for prop_id in room.ids for i in range(count)}
    wait_until(
        lambda: wanted <= reported_lateness(room, mark).keys(),
        timeout,
        "every prop's report of every cue",
    )
    reported = reported_lateness(room, mark)
    return [
        late[n * count + i] - reported[(prop_id, i)]
        for n, prop_id in enumerate(room.ids)
        for i in range(count)
    ]


def assert_on_time(
    late: list[int], errors: list[int], tolerance_us: int = 20_000
) -> None:
    """Hold a show's firings to the clock's aim: its error half within 1 ms and 95 % within 2 ms, every firing within tolerance.

    ``late`` is each firing's lateness stamped outside the props; ``errors``
    is that minus the lateness each prop measured itself (``clock_errors``).
    A clock that is off moves the errors; a prop that fires past its
    tolerance breaks the last bound. A stall of the shared two-core host
    that wakes every prop late at one cue moves ``late`` and the prop's own
    measure together, so it cannot fail a correct clock, while a bound on
    ``late`` itself would. The firing's own 2 ms p99 is bench.show's figure,
    three runs with min/median/max.
    """
    assert late, "no firings"
    assert len(errors) == len(late), (len(errors), len(late))
    ordered = sorted(abs(x) for x in errors)
    assert ordered[len(ordered) // 2] <= 1000, sorted(errors)
    assert ordered[int(0.95 * len(ordered))] <= 2000, sorted(errors)
    assert max(abs(x) for x in late) <= tolerance_us, sorted(late)


# The stamper: its own process, so that no thread of the test (the MQTT
# client, the time service) holds the interpreter's lock when a pin change
# arrives. The instant is the kernel's, taken as the datagram came in
# (SO_TIMESTAMPNS): on a machine with fewer cores than props, the props
# run their own tasks at the stamper's priority right after a cue (the
# status, the report), and the stamper's own clock reading would then
# trail the pin by the hundreds of microseconds it waited for a core. The
# kernel stamps with the wall clock; it becomes the monotonic one by their
# difference read at that moment (the two drift apart by ppm at most).
STAMPER = r"""
import selectors, socket, struct, sys, time
SO_TIMESTAMPNS = 35  # Linux's, also SCM_TIMESTAMPNS; Python does not name it
sel = selectors.DefaultSelector()
socks = []
for n in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sel.register(s, selectors.EVENT_READ, n)
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
while True:
    for key, _ in sel.select():
        data, anc, _, _ = key.fileobj.recvmsg(64, 64)
        m0 = time.monotonic_ns()
        wall = time.clock_gettime_ns(time.CLOCK_REALTIME)
        t = (m0 + time.monotonic_ns()) // 2000
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, ns = struct.unpack("qq", raw[:16])
                t -= (wall - (sec * 1000000000 + ns)) // 1000
        sys.stdout.write("%d %s %d\n" % (key.data, data.decode(), t))
        sys.stdout.flush()
"""


class Stamper:
    """Receives every prop's pin writes in a process of its own and stamps them with the hub's clock."""

    def __init__(self, count: int, stamps: Stamps) -> None:
        """Start the process; ``ports[n]`` is where prop n's pins report."""
        argv = [sys.executable, "-c", STAMPER, str(count)]
        if realtime_allowed():
            argv = ["chrt", "-f", "20", *argv]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.ports = [int(p) for p in self.proc.stdout.readline().split()]
        assert len(self.ports) == count, "the stamper did not start"
        self.stamps = stamps
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            prop, pin, value, t_us = (int(x) for x in line.split())
            with self.stamps.lock:
                self.stamps.seen.append((prop, pin, value, t_us))

    def stop(self) -> None:
        """End the process."""
        self.proc.kill()
        self.proc.wait(5)
        self._thread.join(2)


@contextmanager
def show_room(
    folder: Path,
    broker_port: int,
    clock_port: int | None,
    count: int = 3,
    clocks: Sequence[str] = CLOCKS,
) -> Iterator[Room]:
    """Start ``count`` props that keep the time of the service on ``clock_port``.

    With ``clock_port`` None the props learn where the clock is as they would
    from Home Assistant: from the retained message it publishes.
    """
    stamps = Stamps()
    stamper = Stamper(count, stamps)
    props: list[VirtualProp] = []
    ids = [f"cue_{n}" for n in range(count)]
    realtime = realtime_allowed()
    watcher = Watcher(
        broker_port,
        f"{PREFIX}/+/ack",
        f"{PREFIX}/+/announce",
        f"{PREFIX}/+/status",
        f"{PREFIX}/+/show",
        f"{PREFIX}/+/cmd",
        f"{PREFIX}/_hub/clock",
    )
    try:
        if clock_port is not None:
            # Where the hub's time service is, as Home Assistant publishes it.
            watcher.publish(
                clock_topic(PREFIX), clock_message(LOOPBACK, clock_port), retain=True
            )
        for n, prop_id in enumerate(ids):
            config = folder / f"{prop_id}.yaml"
            config.write_text(
                CUE_PROP.read_text()
                .replace("id: cue_prop", f"id: {prop_id}")
                .replace("name: Cue prop", f"name: Cue {n}")
            )
            prop = VirtualProp(
                config,
                folder / prop_id,
                LOOPBACK,
                broker_port,
                env={
                    "PROPNET_PIN_REPORT": str(stamper.ports[n]),
                    **faketime_env(clocks[n % len(clocks)]),
                },
                wrap=["chrt", "-f", "20"] if realtime else (),
            )
            props.append(prop.start())
        yield Room(props, ids, watcher, stamps)
    finally:
        for prop in props:
            prop.stop()
        stamper.stop()
        if clock_port is not None:
            watcher.publish(f"{PREFIX}/_hub/clock", b"", retain=True)
        for prop_id in ids:
            for kind in ("announce", "status", "availability"):
                watcher.publish(f"{PREFIX}/{prop_id}/{kind}", b"", retain=True)
        watcher.close()
        clean_faketime_memory()
