"""Benchmark: the whole show under faults, bad input and full load, on real parts.

Runs the system suite's scenarios (tests/system/scenarios.py) with the full
figures of the issue instead of the reduced ones CI uses, on a locked-down
show: mosquitto with passwords and an ACL, Home Assistant with PropNet and
show lighting, the coffin jumper and the RGB receiver on MicroPython, a
virtual Enttec DMX USB Pro, olad when installed. Prints each scenario's
figures and the command that reproduces them.

    .venv/bin/python -m bench.system [--props 100] [--rgb-rate 200] [--seconds 60]
        [--storm 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import statistics
import tempfile
from typing import Any

from tests.harness.show import Show
from tests.system import scenarios


def flatten(values: Any, prefix: str = "") -> dict[str, Any]:
    """Return a scenario's nested figures as ``a.b.c`` keys."""
    if isinstance(values, dict):
        flat: dict[str, Any] = {}
        for key, value in values.items():
            flat |= flatten(value, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): values}


def one_run(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run every scenario once on a fresh show and return the figures."""
    figures: dict[str, Any] = {}
    show = Show(folder)
    try:
        figures["security"] = scenarios.security(show)
        figures["storm"] = scenarios.storm(show, count=args.storm, exact=False)
        figures["load"] = scenarios.load(show, args.props, args.rgb_rate, args.seconds)
        figures["broker_restart"] = scenarios.broker_restart(show)
        figures["prop_power_loss"] = scenarios.prop_power_loss(show)
        figures["enttec_replug"] = scenarios.enttec_replug(show)
        figures["ola_restart"] = scenarios.ola_restart(show)
        figures["hass_restart"] = scenarios.hass_restart(show)
    finally:
        show.stop()
    return flatten(figures)


def main() -> None:
    """Run every scenario ``--runs`` times; print min / median / max of each figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--props", type=int, default=100)
    parser.add_argument("--rgb-rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--storm", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(Path(tmp) / f"run{run}", args))
    print(f"{args.runs} runs; numbers as min / median / max, other values as seen")
    for key in runs[0]:
        values = [figures.get(key) for figures in runs]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            numbers = [float(v) for v in values if v is not None]
            print(
                f"{key}: {min(numbers):g} / {statistics.median(numbers):g} / "
                f"{max(numbers):g}"
            )
        else:
            print(f"{key}: {json.dumps(values)}")
    print(
        "\nreproduce: .venv/bin/python -m bench.system "
        f"--props {args.props} --rgb-rate {args.rgb_rate} --seconds {args.seconds:g} "
        f"--storm {args.storm} --runs {args.runs}"
    )


if __name__ == "__main__":
    main()
