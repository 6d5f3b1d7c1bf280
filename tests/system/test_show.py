"""A show under bad input, load and faults, on real parts (reduced load; full figures in bench/system.py)."""

from __future__ import annotations

from tests.harness.show import Show
from tests.system import scenarios


def test_only_known_clients_may_speak_and_props_only_for_themselves(
    show: Show, record: dict[str, object]
) -> None:
    """Passwords and an ACL: strangers refused, a prop cannot write another's topics."""
    record.update(scenarios.security(show))


def test_a_storm_of_malformed_messages_changes_nothing_but_the_counters(
    show: Show, record: dict[str, object]
) -> None:
    """10,000 malformed messages: HA answers, good messages apply, drops add up, log stays short."""
    record.update(scenarios.storm(show, count=10_000))


def test_props_and_rgb_commands_under_load(
    show: Show, record: dict[str, object]
) -> None:
    """Telemetry from many props and RGB commands at a steady rate: all applied, lag bounded."""
    record.update(scenarios.load(show, props=30, rgb_rate=100, seconds=15))


def test_a_broker_restart_during_the_show(
    show: Show, record: dict[str, object]
) -> None:
    """Commands during the outage fail loudly; everything is back within 10 s of the broker."""
    record.update(scenarios.broker_restart(show))


def test_a_prop_losing_power(show: Show, record: dict[str, object]) -> None:
    """Unavailable within one and a half keep-alives, back when it restarts."""
    record.update(scenarios.prop_power_loss(show))


def test_dmx_outputs_unplugged_and_back(show: Show, record: dict[str, object]) -> None:
    """The Enttec and OLA resume with the last frame within 2 s."""
    record["enttec"] = scenarios.enttec_replug(show)
    record["ola"] = scenarios.ola_restart(show)


def test_a_home_assistant_restart_moves_nothing(
    show: Show, record: dict[str, object]
) -> None:
    """Devices, entities, seq and dedupe memory survive; no command goes out at start."""
    record.update(scenarios.hass_restart(show))
