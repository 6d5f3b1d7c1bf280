"""Benchmark: the whole show under faults, bad input and full load, on real parts.

Runs the system suite's scenarios (tests/system/scenarios.py) with the full
figures of the issue instead of the reduced ones CI uses, on a locked-down
show: mosquitto with passwords and an ACL, Home Assistant with PropNet and
show lighting, the coffin jumper and the RGB receiver on MicroPython, a
virtual Enttec DMX USB Pro, olad when installed. Prints each scenario's
figures and the command that reproduces them.

    .venv/bin/python -m bench.system [--props 100] [--rgb-rate 200] [--seconds 60] [--storm 10000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import tempfile
from typing import Any

from tests.harness.show import Show
from tests.system import scenarios


def main() -> None:
    """Run every scenario once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--props", type=int, default=100)
    parser.add_argument("--rgb-rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--storm", type=int, default=10_000)
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        show = Show(Path(tmp))
        try:
            figures["security"] = scenarios.security(show)
            figures["storm"] = scenarios.storm(show, count=args.storm)
            figures["load"] = scenarios.load(
                show, args.props, args.rgb_rate, args.seconds
            )
            figures["broker_restart"] = scenarios.broker_restart(show)
            figures["prop_power_loss"] = scenarios.prop_power_loss(show)
            figures["enttec_replug"] = scenarios.enttec_replug(show)
            figures["ola_restart"] = scenarios.ola_restart(show)
            figures["hass_restart"] = scenarios.hass_restart(show)
        finally:
            show.stop()
    for name, values in figures.items():
        print(f"{name}: {json.dumps(values)}")
    print(
        "\nreproduce: .venv/bin/python -m bench.system "
        f"--props {args.props} --rgb-rate {args.rgb_rate} --seconds {args.seconds:g} --storm {args.storm}"
    )


if __name__ == "__main__":
    main()
