"""The firmware's MQTT client against a real mosquitto, on the real MicroPython."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
import signal
import time

import pytest

from tests.harness.broker import Broker
from tests.harness.procs import wait_until
from tests.harness.proxy import StallingProxy
from tests.harness.virtual_prop import mp_script
from tests.harness.watcher import Watcher


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _wait_line(log: Path, prefix: str, count: int = 1, timeout: float = 15) -> str:
    def found() -> str | None:
        hits = [line for line in _lines(log) if line.startswith(prefix)]
        return hits[count - 1] if len(hits) >= count else None

    try:
        return wait_until(found, timeout, f"{prefix!r} from the client", 0.02)
    except TimeoutError:
        raise AssertionError("\n".join(_lines(log))) from None


@contextmanager
def session(tmp_path: Path) -> Iterator[tuple[Broker, Path]]:
    """Run the client script against a broker of its own (the stories restart it)."""
    broker = Broker(tmp_path / "broker").start()
    log = tmp_path / "client.log"
    client = mp_script("mqtt_session.py", [str(broker.port)], log, tmp_path)
    client.start()
    try:
        _wait_line(log, "up ", 1)
        yield broker, log
    finally:
        client.stop()
        broker.stop()


def test_a_pending_qos1_publish_survives_a_broker_restart(tmp_path: Path) -> None:
    """Sent but not acknowledged when the broker dies: delivered after reconnect."""
    with session(tmp_path) as (broker, log):
        # A frozen broker takes the PUBLISH into its socket but never acks it.
        assert broker.process.proc is not None
        broker.process.proc.send_signal(signal.SIGSTOP)
        (tmp_path / "publish").touch()
        assert _wait_line(log, "published") == "published inflight=1"
        broker.kill()
        _wait_line(log, "down")
        broker.start()
        _wait_line(log, "up ", 2)
        delivered = _wait_line(log, "delivered")
        assert "resent=1" in delivered
        with Watcher(broker.port, "session/#") as watcher:
            kept = watcher.wait_for("session/pending")
            state = watcher.wait_for("session/state")
    assert (kept.payload, kept.retain) == (b"kept", True)
    assert state.payload == b"online"


def test_a_killed_client_is_marked_offline_by_its_last_will(
    tmp_path: Path, broker: Broker
) -> None:
    """SIGKILL leaves no chance to say goodbye: the broker publishes the will."""
    log = tmp_path / "client.log"
    client = mp_script("mqtt_session.py", [str(broker.port)], log, tmp_path)
    client.start()
    with Watcher(broker.port, "session/state") as watcher:
        watcher.wait_for("session/state", match=lambda m: m.payload == b"online")
        mark = watcher.mark()
        client.kill()
        will = watcher.wait_for("session/state", since=mark)
    assert will.payload == b"offline"


def test_the_client_notices_a_closed_connection_at_once(tmp_path: Path) -> None:
    """A broker that goes away is noticed by the socket closing, not by keep-alive."""
    with session(tmp_path) as (broker, log):
        broker.stop()
        # keepalive is 30 s in the script; seeing "down" within 5 s proves the
        # client reacted to the socket, not to a missing PINGRESP.
        _wait_line(log, "down", timeout=5)
        broker.start()
        _wait_line(log, "up ", 2, timeout=10)


@contextmanager
def through_proxy(
    tmp_path: Path, broker: Broker
) -> Iterator[tuple[StallingProxy, Path]]:
    """Run the client (keep-alive 2 s) to ``broker`` through a proxy that can go silent."""
    log = tmp_path / "client.log"
    with StallingProxy(broker.port) as proxy:
        client = mp_script("mqtt_session.py", [str(proxy.port), "2"], log, tmp_path)
        client.start()
        try:
            _wait_line(log, "up ", 1)
            yield proxy, log
        finally:
            client.stop()


def _lost_after(log: Path, since: float) -> tuple[float, str]:
    """Return the seconds from ``since`` until the client noticed the lost link, and why."""
    line = _wait_line(log, "log warning broker connection lost", timeout=15)
    return time.monotonic() - since, line


@pytest.mark.parametrize(
    ("directions", "chatty"),
    [
        (("up", "down"), False),
        (("down",), True),
        (("up",), False),
        (("up",), True),
    ],
    ids=[
        "both-ways-idle",
        "broker-silent-while-publishing",
        "prop-unheard-idle",
        "prop-unheard-publishing",
    ],
)
def test_a_half_open_link_is_noticed_within_the_keep_alive_and_healed(
    tmp_path: Path, broker: Broker, directions: tuple[str, ...], chatty: bool
) -> None:
    """The link stops forwarding without closing: down within 1.5 keep-alives, then up again."""
    with through_proxy(tmp_path, broker) as (proxy, log):
        if chatty:
            (tmp_path / "chatter").touch()
            time.sleep(0.5)
        start = time.monotonic()
        proxy.stall(*directions)
        # Keep-alive 2 s: a ping after 1 s quiet, its answer due 2 s later.
        took, why = _lost_after(log, start)
        assert took < 2 * 1.5 + 1.5, why
        assert "no PINGRESP from broker" in why
        _wait_line(log, "up ", 2, timeout=10)
        assert len(proxy.links) == 2


def test_a_broker_that_accepts_and_never_answers_is_left_after_the_connect_limit(
    tmp_path: Path, broker: Broker
) -> None:
    """TCP accepted but no CONNACK: the client gives up after 5 s and tries again."""
    with StallingProxy(broker.port) as proxy:
        proxy.black_hole = True
        log = tmp_path / "client.log"
        client = mp_script("mqtt_session.py", [str(proxy.port), "2"], log, tmp_path)
        client.start()
        try:
            wait_until(lambda: len(proxy.links) >= 1, 10, "a first connection")
            first = time.monotonic()
            wait_until(lambda: len(proxy.links) >= 2, 12, "a second attempt")
            assert 4.5 < time.monotonic() - first < 8
            proxy.black_hole = False
            _wait_line(log, "up ", 1, timeout=15)
        finally:
            client.stop()
