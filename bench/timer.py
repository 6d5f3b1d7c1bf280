"""Benchmark: how late a show's wait ends, asyncio's sleep against the shows' timerfd timer, in one run.

Each run waits ``--waits`` times for an instant 2 to 30 ms ahead (the same
instants for both, interleaved), on an event loop with nothing else to do
and again on a busy one (four sources of callbacks, each 50 to 300 us of
work every 0.5 to 2 ms, about half the loop's time, as Home Assistant's
loop is under bench.system's load), and prints the lateness percentiles of
each and their ratio.

    .venv/bin/python -m bench.timer --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from custom_components.propnet.protocol.timesync import hub_us
from custom_components.propnet.show.timer import PreciseTimer, loop_sleep_until


def percentile(values: list[int], share: float) -> int:
    """Return the ``share`` percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def keep_busy(loop: asyncio.AbstractEventLoop, chance: random.Random) -> None:
    """Do 50 to 300 us of work, then come back in 0.5 to 2 ms."""
    until = time.perf_counter() + chance.uniform(50e-6, 300e-6)
    while time.perf_counter() < until:
        pass
    loop.call_later(chance.uniform(0.5e-3, 2e-3), keep_busy, loop, chance)


async def one_run(waits: int, seed: int, busy: bool) -> dict[str, list[int]]:
    """Return the lateness (us) of each way's waits."""
    timer = PreciseTimer()
    ways = {"asyncio.sleep": loop_sleep_until(hub_us), "timerfd": timer.sleep_until}
    late: dict[str, list[int]] = {name: [] for name in ways}
    chance = random.Random(seed)  # noqa: S311 - instants to wait for, not secrets
    if busy:
        loop = asyncio.get_running_loop()
        for source in range(4):
            keep_busy(loop, random.Random(seed * 10 + source))  # noqa: S311
    try:
        for _ in range(waits):
            ahead = chance.randint(2_000, 30_000)
            for name, sleep_until in ways.items():
                at_us = hub_us() + ahead
                await sleep_until(at_us)
                late[name].append(hub_us() - at_us)
    finally:
        timer.close()
    return late


def main(argv: list[str] | None = None) -> int:
    """Run ``--runs`` times; print min/median/max of each figure."""
    parser = argparse.ArgumentParser(prog="bench.timer", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--waits", type=int, default=300)
    args = parser.parse_args(argv)
    print(time.strftime("bench.timer, %Y-%m-%d %H:%M"))
    for mode in ("idle", "busy"):
        runs = [
            asyncio.run(one_run(args.waits, seed, mode == "busy"))
            for seed in range(args.runs)
        ]
        for name in runs[0]:
            for label, share in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
                values = [percentile(run[name], share) for run in runs]
                print(
                    f"{mode} loop, {name:14} lateness {label}: {min(values)} / "
                    f"{statistics.median(values):g} / {max(values)} us (min / median / max)"
                )
        ratios = [
            percentile(run["asyncio.sleep"], 0.99)
            / max(1, percentile(run["timerfd"], 0.99))
            for run in runs
        ]
        print(
            f"{mode} loop, p99 asyncio.sleep / p99 timerfd: "
            + " / ".join(f"{r:.1f}" for r in sorted(ratios))
        )
    print(f"reproduce: .venv/bin/python -m bench.timer --runs {args.runs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
