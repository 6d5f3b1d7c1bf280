"""The firmware's MQTT client against a real mosquitto, on the real MicroPython."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import itertools
from pathlib import Path
import signal
import time

import pytest

from custom_components.propnet.protocol import commands, messages
from tests.harness.broker import Broker
from tests.harness.dns import NameServer
from tests.harness.procs import busy_cores, wait_until
from tests.harness.proxy import StallingProxy
from tests.harness.virtual_prop import VirtualProp, mp_script
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
def session(
    tmp_path: Path, keepalive: int = 30, broker: Broker | None = None
) -> Iterator[tuple[Broker, Path]]:
    """Run the client script against a broker (by default one of its own: the stories restart it)."""
    own = broker is None
    broker = broker or Broker(tmp_path / "broker").start()
    log = tmp_path / "client.log"
    client = mp_script(
        "mqtt_session.py", [str(broker.port), str(keepalive)], log, tmp_path
    )
    client.start()
    try:
        _wait_line(log, "up ", 1)
        yield broker, log
    finally:
        client.stop()
        if own:
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


def test_an_idle_client_stays_connected_through_many_keep_alives_on_a_busy_machine(
    tmp_path: Path, broker: Broker
) -> None:
    """Nothing to send for 40 keep-alive pings with both cores busy: never a reconnect.

    The broker's PINGRESP can be read while the PINGREQ is still being
    written; that reply must count, or the prop drops every few pings.
    """
    with busy_cores(), session(tmp_path, keepalive=1, broker=broker) as (_, log):
        with Watcher(broker.port, "session/state") as watcher:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                time.sleep(0.5)
                lines = _lines(log)
                assert not [line for line in lines if "connection lost" in line], lines
            states = [m.payload for m in watcher.messages if m.topic == "session/state"]
        lines = _lines(log)
    assert [line.split()[:2] for line in lines if line.startswith("up ")] == [
        ["up", "1"]
    ]
    assert states == [b"online"]


def test_a_retained_message_too_large_is_dropped_and_counted_and_the_link_kept(
    tmp_path: Path, broker: Broker
) -> None:
    """A 64 KiB retained message on a subscribed topic is read past, acked and counted.

    Read whole it would not fit a prop's heap, and arrive again at every
    connect: a prop that crashed on it would reconnect forever.
    """
    with Watcher(broker.port, "session/in/#") as watcher:
        watcher.publish("session/in/big", b"x" * 65536, qos=1, retain=True)
        watcher.publish("session/in/small", b"hello", qos=1, retain=True)
    try:
        with session(tmp_path, broker=broker) as (_, log):
            assert _wait_line(log, "oversize") == "oversize 1"
            warning = _wait_line(log, "log warning dropped a packet")
            assert "larger than 4608 bytes on session/in/big" in warning
            assert _wait_line(log, "got session/in/small") == "got session/in/small 5"
            # Still the first connection, and QoS 1 still flows both ways:
            # the dropped message's ack went out, so the broker holds nothing back.
            with Watcher(broker.port, "session/#") as watcher:
                watcher.publish("session/in/later", b"after", qos=1)
                assert (
                    _wait_line(log, "got session/in/later") == "got session/in/later 5"
                )
                (tmp_path / "publish").touch()
                _wait_line(log, "delivered")
                assert watcher.wait_for("session/pending").payload == b"kept"
            assert [line for line in _lines(log) if line.startswith("up ")][
                -1
            ].startswith("up 1 ")
    finally:
        with Watcher(broker.port, "session/in/#") as watcher:
            watcher.publish("session/in/big", b"", retain=True)
            watcher.publish("session/in/small", b"", retain=True)


def test_a_prop_stays_online_and_answers_with_a_huge_retained_message_on_its_topics(
    tmp_path: Path, broker: Broker
) -> None:
    """The coffin jumper subscribes to homeassistant/status; 64 KiB retained there is dropped."""
    with Watcher(broker.port, "homeassistant/status") as watcher:
        watcher.publish("homeassistant/status", b"o" * 65536, qos=1, retain=True)
    base = "propnet/coffin_jumper"
    prop = VirtualProp("coffin_jumper", tmp_path / "prop", broker.host, broker.port)
    try:
        with Watcher(broker.port, f"{base}/#") as watcher:
            prop.start()
            watcher.wait_for(f"{base}/status", timeout=20)
            log = watcher.wait_for(
                f"{base}/log", timeout=10, match=lambda m: b"larger than" in m.payload
            )
            assert b"homeassistant/status" in log.payload
            cid = commands.new_ulid()
            watcher.publish(
                f"{base}/cmd", commands.build_command("ping", correlation_id=cid)
            )
            ack = watcher.wait_for(
                f"{base}/ack", timeout=5, match=lambda m: cid.encode() in m.payload
            )
            assert messages.parse_ack(ack.payload).ok
            time.sleep(1)
            availability = [
                m.payload for m in watcher.messages if m.topic == f"{base}/availability"
            ]
        assert availability == [b"online"]
        assert "connection lost" not in prop.tail()
    finally:
        prop.stop()
        with Watcher(broker.port, "homeassistant/status") as watcher:
            watcher.publish("homeassistant/status", b"", retain=True)


def test_a_silent_name_server_does_not_stop_the_props_other_tasks(
    tmp_path: Path, broker: Broker
) -> None:
    """The broker given by name, the name server silent for 4 s: the other task never waits.

    MicroPython's getaddrinfo would stop every task for as long as the name
    server takes; the prop's own lookup sleeps between looks instead.
    """
    with NameServer({"broker.test": "127.0.0.1"}) as names:
        names.silent = True
        log = tmp_path / "client.log"
        client = mp_script(
            "dns_session.py",
            ["broker.test", str(broker.port), str(names.port)],
            log,
            tmp_path,
        )
        client.start()
        try:
            wait_until(
                lambda: names.queries >= 3, 10, "the prop asking and asking again"
            )
            time.sleep(2)
            assert not [line for line in _lines(log) if line.startswith("up ")]
            failures = [
                line for line in _lines(log) if "no answer from the name server" in line
            ]
            assert failures, _lines(log)
            names.silent = False
            _wait_line(log, "up 1", timeout=10)
        finally:
            client.stop()
    ticks = [int(line.split()[1]) for line in _lines(log) if line.startswith("tick ")]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # Ticks every 50 ms throughout; a lookup that blocked would leave a gap
    # as long as its timeout (500 ms per try here).
    assert len(ticks) > 40
    assert max(gaps) < 400, sorted(gaps)[-5:]
