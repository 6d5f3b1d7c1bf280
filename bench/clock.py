"""Benchmark: how well props know the hub's time, on the real MicroPython port under libfaketime.

Three props (clocks seconds off and 200 ppm fast or slow, run at a real-time
priority as a board has its own processor) keep the hub's time over UDP,
directly and through a proxy that delays each request 0 to 20 ms, one way.
After ``--settle`` seconds each prop is asked ``--queries`` times what the
hub's clock says; the error is read on the hub's own clock (this process's
monotonic clock): how far the answer lies outside the query's own round
trip (queries of more than 500 us are left out).

    .venv/bin/python -m bench.clock --runs 3
"""

from __future__ import annotations

import argparse
from pathlib import Path
import statistics
import tempfile
import time

from tests.firmware.test_clock import ask, props
from tests.harness.timehub import TimeHub


def one_run(delay_ms: float, settle: float, queries: int) -> list[int]:
    """Return the absolute offset errors (us) of every prop's quick answers."""
    errors: list[int] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        TimeHub(delay_ms=delay_ms) as hub,
        props(hub, Path(folder)) as askers,
    ):
        time.sleep(settle)
        for port, sock in askers:
            for _ in range(queries):
                error, rtt, _fields = ask(sock, port)
                if rtt <= 500:
                    errors.append(abs(error))
                time.sleep(0.02)
    return errors


def percentile(values: list[int], share: float) -> int:
    """Return the ``share`` percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run each case ``--runs`` times and print min/median/max of its figures."""
    parser = argparse.ArgumentParser(prog="bench.clock", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args(argv)
    print(time.strftime("bench.clock, %Y-%m-%d %H:%M"))
    for delay in (0.0, 20.0):
        figures: dict[str, list[int]] = {"p50": [], "p99": [], "max": []}
        for _ in range(args.runs):
            errors = one_run(delay, args.settle, args.queries)
            figures["p50"].append(percentile(errors, 0.5))
            figures["p99"].append(percentile(errors, 0.99))
            figures["max"].append(max(errors))
        name = "direct" if not delay else f"one-way 0-{delay:g} ms"
        parts = [
            f"{k} {min(v)} / {statistics.median(v):g} / {max(v)} us"
            for k, v in figures.items()
        ]
        print(f"  {name}: offset error after {args.settle:g} s, " + ", ".join(parts))
    print(f"reproduce: .venv/bin/python -m bench.clock --runs {args.runs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
