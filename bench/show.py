"""Benchmark: cues for one instant on 1, 10 and 50 MicroPython props, measured on a clock outside them.

Each prop runs PropNet's firmware on the MicroPython unix port under
libfaketime (seconds off, up to 200 ppm fast or slow) at a real-time
priority (a board has its own processor), keeps the hub's time over UDP
(directly, and through a proxy that delays requests 0 to 20 ms one way),
and gets the same cue list over a real mosquitto: the lid toggles every
100 ms. Each pin change is stamped on arrival by this process's monotonic
clock, which is the hub's clock.

Figures, each min / median / max over the runs:

- skew: a cue's firing, stamped outside the prop, minus its instant;
- offset error: that skew minus the lateness the prop measured itself
  against its own idea of the instant (what the clock got wrong, apart
  from the firing);
- the bare-timer floor: a MicroPython ``asyncio.sleep_ms`` loop at the
  same priority, in the same run: how late this machine wakes a prop at
  all. A board has no such neighbours; here the props share two cores.

    .venv/bin/python -m bench.show --runs 3
    .venv/bin/python -m bench.show --runs 3 --props 1 10 50 --minutes 0
    .venv/bin/python -m bench.show --runs 1 --props 3 --minutes 60   # the hour-long variant
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import statistics
import subprocess
import tempfile
import time

from custom_components.propnet.protocol.timesync import hub_us
from tests.harness.broker import Broker
from tests.harness.showroom import (
    firings,
    realtime_allowed,
    reported_lateness,
    show_room,
    toggles,
)
from tests.harness.timehub import TimeHub
from tests.harness.virtual_prop import mp_script

CUES, EVERY_MS = 20, 100


def percentile(values: list[int], share: float) -> int:
    """Return the ``share`` percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def floor(folder: Path, seconds: float) -> Iterator[list[int]]:
    """Run the bare timer loop beside the props; yield a list that holds p50, p99, max after."""
    proc = mp_script("timer_floor.py", [str(seconds)], folder / "floor.log", folder)
    if realtime_allowed():
        proc.argv = ["chrt", "-f", "20", *proc.argv]
    proc.start()
    out: list[int] = []
    try:
        yield out
    finally:
        assert proc.proc is not None
        try:
            proc.proc.wait(seconds + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
        for line in proc.log.read_text().splitlines():
            if line.startswith("floor "):
                out.extend(int(x) for x in line.split()[1:])


def one_run(
    broker: Broker, props: int, delay_ms: float, rounds: int, stagger: bool = False
) -> dict[str, list[int]]:
    """Return the skews, offset errors and floor (us) of one run with ``rounds`` shows of 20 cues."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with (
            TimeHub(delay_ms=delay_ms) as hub,
            show_room(folder, broker.port, hub.port, count=props) as room,
        ):
            joined = time.monotonic()
            room.wait_synced(60 + props)
            time.sleep(max(0.0, 5 - (time.monotonic() - joined)))
            room.load_everywhere(toggles(CUES, EVERY_MS))
            skew: list[int] = []
            offset: list[int] = []
            missed = 0
            length = CUES * EVERY_MS / 1000
            with floor(folder, rounds * (length + 3)) as timer:
                for _ in range(rounds):
                    mark = room.watcher.mark()
                    start = hub_us() + 1_000_000 + props * 20_000
                    # Staggered, prop n fires n * 100 ms / props after the
                    # others: no two props want the processors at once, as
                    # boards with a processor each would not.
                    stagger_us = EVERY_MS * 1000 // props if stagger else 0
                    room.start_everywhere(start, stagger_us)
                    time.sleep((start - hub_us()) / 1e6 + length + 0.7)
                    got, lost = firings(
                        room.stamps, start, CUES, EVERY_MS, props, stagger_us
                    )
                    missed += lost
                    skew.extend(got)
                    late = reported_lateness(room, mark)
                    if not lost:
                        offset.extend(
                            got[n * CUES + i] - late[(prop_id, i)]
                            for n, prop_id in enumerate(room.ids)
                            for i in range(CUES)
                            if (prop_id, i) in late
                        )
            return {"skew": skew, "offset": offset, "floor": timer, "missed": [missed]}


def summary(values: list[int]) -> tuple[int, int, int]:
    """Return p50, p99 and max of the absolute values."""
    absolute = [abs(v) for v in values]
    return percentile(absolute, 0.5), percentile(absolute, 0.99), max(absolute)


def spread(name: str, runs: list[tuple[int, int, int]]) -> str:
    """Format p50/p99/max as min / median / max over runs, in ms."""
    parts = []
    for i, label in enumerate(("p50", "p99", "max")):
        column = [r[i] / 1000 for r in runs]
        parts.append(
            f"{label} {min(column):.2f} / {statistics.median(column):.2f} / {max(column):.2f}"
        )
    return f"{name}: " + ", ".join(parts) + " ms"


def main(argv: list[str] | None = None) -> int:
    """Run every case ``--runs`` times and print min / median / max of its figures."""
    parser = argparse.ArgumentParser(prog="bench.show", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--props", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 20.0])
    parser.add_argument(
        "--minutes",
        type=float,
        default=0,
        help="run the shows for this long (the drift variant)",
    )
    parser.add_argument(
        "--stagger",
        choices=("no", "only", "both"),
        default="both",
        help="also (or only) fire each prop at its own instant, apart from the others",
    )
    args = parser.parse_args(argv)
    print(
        time.strftime("bench.show, %Y-%m-%d %H:%M"),
        "real-time priority:",
        realtime_allowed(),
    )
    rounds = (
        max(1, int(args.minutes * 60 / (CUES * EVERY_MS / 1000 + 2.6)))
        if args.minutes
        else 3
    )
    with tempfile.TemporaryDirectory() as broker_dir:
        broker = Broker(Path(broker_dir)).start()
        try:
            cases = []
            if args.stagger != "only":
                cases += [(p, d, False) for p in args.props for d in args.delays]
            if args.stagger != "no":
                cases += [
                    (p, d, True) for p in args.props if p > 1 for d in args.delays
                ]
            for props, delay, stagger in cases:
                results = [
                    one_run(broker, props, delay, rounds, stagger)
                    for _ in range(args.runs)
                ]
                path = "direct" if not delay else f"one-way 0-{delay:g} ms"
                when = "staggered instants" if stagger else "one instant"
                cues = sum(len(r["skew"]) for r in results)
                missed = sum(r["missed"][0] for r in results)
                print(
                    f"{props} props, {path}, {when}, {rounds} shows of {CUES} cues a run:"
                    f" {cues} firings, {missed} cues that did not fire"
                )
                print("  " + spread("cue skew", [summary(r["skew"]) for r in results]))
                print(
                    "  "
                    + spread("offset error", [summary(r["offset"]) for r in results])
                )
                floors = [tuple(r["floor"]) for r in results if len(r["floor"]) == 3]
                print("  " + spread("bare-timer floor", floors))  # type: ignore[arg-type]
        finally:
            broker.stop()
    extra = f" --minutes {args.minutes:g}" if args.minutes else ""
    extra += f" --stagger {args.stagger}"
    print(
        f"reproduce: .venv/bin/python -m bench.show --runs {args.runs} --props {' '.join(map(str, args.props))}"
        f" --delays {' '.join(f'{d:g}' for d in args.delays)}{extra}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
