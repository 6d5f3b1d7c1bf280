"""MQTT over TLS on the prop: mosquitto with a TLS listener and a CA made for the test."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import shutil

import pytest

from tests.firmware.test_validation import problems
from tests.harness.broker import Broker
from tests.harness.tls import make_ca
from tests.harness.virtual_prop import PROPS, VirtualProp
from tests.harness.watcher import Watcher

BASE = "propnet/coffin_jumper"


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """Run mosquitto with a plain and a TLS listener, its certificate from a test CA."""
    import pytest_socket

    pytest_socket.enable_socket()
    folder = tmp_path_factory.mktemp("tls")
    running = Broker(folder / "broker", tls=make_ca(folder / "ca")).start()
    yield running
    running.stop()


def tls_config(tmp_path: Path, ca: Path) -> Path:
    """Return the coffin jumper's config set to TLS, trusting ``ca``."""
    text = (PROPS / "coffin_jumper.yaml").read_text()
    text = text.replace(
        "  host: !secret mqtt_host\n",
        f"  host: !secret mqtt_host\n  tls: true\n  ca: {ca}\n",
    )
    config = tmp_path / "coffin_jumper.yaml"
    config.write_text(text)
    shutil.copy(PROPS / "secrets.yaml", tmp_path / "secrets.yaml")
    return config


def test_a_prop_talks_to_the_broker_over_tls(
    tmp_path: Path, tls_broker: Broker
) -> None:
    """The prop connects to the TLS listener, checks the broker's certificate, comes online."""
    assert tls_broker.tls is not None
    assert tls_broker.tls_port is not None
    config = tls_config(tmp_path, tls_broker.tls / "ca.pem")
    prop = VirtualProp(config, tmp_path / "flash", tls_broker.host, tls_broker.tls_port)
    assert (tmp_path / "flash" / "ca.der").read_bytes()[:1] == b"\x30"  # DER
    with Watcher(tls_broker.port, f"{BASE}/#") as watcher:
        prop.start()
        try:
            online = watcher.wait_for(
                f"{BASE}/availability",
                match=lambda m: m.payload == b"online",
                timeout=20,
            )
            watcher.wait_for(f"{BASE}/status", timeout=10)
        finally:
            prop.stop()
    assert online.payload == b"online"
    flashed = json.loads((tmp_path / "flash" / "prop.json").read_text())["mqtt"]
    assert (flashed["tls"], flashed["port"], flashed["ca"]) == (
        True,
        tls_broker.tls_port,
        "ca.der",
    )


def test_a_prop_that_does_not_trust_the_broker_stays_away(
    tmp_path: Path, tls_broker: Broker
) -> None:
    """A CA that did not sign the broker's certificate: no connection, the reason logged."""
    assert tls_broker.tls_port is not None
    other = make_ca(tmp_path / "other", name="Someone else's CA")
    config = tls_config(tmp_path, other / "ca.pem")
    prop = VirtualProp(config, tmp_path / "flash", tls_broker.host, tls_broker.tls_port)
    with Watcher(tls_broker.port, f"{BASE}/availability") as watcher:
        mark = watcher.mark()
        prop.start()
        try:
            with pytest.raises(TimeoutError):
                watcher.wait_for(
                    f"{BASE}/availability",
                    since=mark,
                    match=lambda m: m.payload == b"online" and not m.retain,
                    timeout=6,
                )
            assert prop.exit_code is None  # it keeps trying, it does not crash
        finally:
            prop.stop()


@pytest.mark.parametrize(
    ("mqtt", "expected"),
    [
        ("{host: h, tls: true}", "2: mqtt.ca: needed with tls"),
        ("{host: h, ca: ca.pem}", "2: mqtt.ca: only used with tls: true"),
        ("{host: h, tls: true, ca: missing.pem}", "2: mqtt.ca: cannot read"),
        ("{host: h, tls: true, ca: notpem.pem}", "2: mqtt.ca: "),
        ("{host: h, tls: 1}", "2: mqtt.tls: must be true or false"),
    ],
)
def test_tls_mistakes_are_named_at_their_line(
    tmp_path: Path, mqtt: str, expected: str
) -> None:
    """Tls and ca are checked when the config is validated."""
    (tmp_path / "notpem.pem").write_text("hello\n")
    found = problems(
        tmp_path, f"prop: {{id: p, name: P}}\nmqtt: {mqtt}\ncomponents: []\n"
    )
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize("dns", ["10.0.0.1", "10.0.0.1:5353"])
def test_a_name_server_address_is_taken(tmp_path: Path, dns: str) -> None:
    """mqtt.dns names the server the prop asks for the broker's address."""
    from propnet_tool.schema import compile_config

    path = tmp_path / "prop.yaml"
    path.write_text(
        f"prop: {{id: p, name: P}}\nmqtt: {{host: broker.local, dns: '{dns}'}}\n"
        "components: []\n"
    )
    assert compile_config(path)["mqtt"]["dns"] == dns


@pytest.mark.parametrize("dns", ["dns.local", "10.0.0.256", "10.0.0.1:0", "10.0.0.1:x"])
def test_a_name_server_that_is_no_address_is_refused(tmp_path: Path, dns: str) -> None:
    """A name for the name server would need a name server: only IPv4 addresses."""
    found = problems(
        tmp_path,
        f"prop: {{id: p, name: P}}\nmqtt: {{host: broker.local, dns: '{dns}'}}\n"
        "components: []\n",
    )
    assert found == [
        "2: mqtt.dns: a name server is an IPv4 address, with :port if not 53"
    ]
