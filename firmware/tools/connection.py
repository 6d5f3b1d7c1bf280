"""The mqtt section of a prop config: TLS and its CA, and the name server."""

from __future__ import annotations

from pathlib import Path
import ssl
from typing import Any

from .checks import Ctx

# The broker's CA certificate on the board.
CA_FILE = "ca.der"


def check_mqtt(
    ctx: Ctx, raw: Any, mqtt: dict[str, Any], config: Path, files: dict[str, bytes]
) -> None:
    """Check what ``mqtt`` says beyond each option's own check; hand the CA to ``files``."""
    _tls(ctx, raw, mqtt, config, files)
    if isinstance(mqtt.get("dns"), str) and not _is_name_server(mqtt["dns"]):
        ctx.error(
            raw,
            "dns",
            "mqtt.dns: a name server is an IPv4 address, with :port if not 53",
        )


def _is_name_server(text: str) -> bool:
    """Return whether ``text`` is ``a.b.c.d`` or ``a.b.c.d:port``."""
    host, _, port = text.partition(":")
    parts = host.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        return False
    return not port or (port.isdigit() and 1 <= int(port) <= 65535)


def _tls(
    ctx: Ctx, raw: Any, mqtt: dict[str, Any], config: Path, files: dict[str, bytes]
) -> None:
    """Check mqtt.tls and mqtt.ca; the CA goes to the board as DER, which MicroPython reads."""
    if "ca" in mqtt and not mqtt.get("tls"):
        ctx.error(raw, "ca", "mqtt.ca: only used with tls: true")
    if not mqtt.get("tls"):
        return
    mqtt.setdefault("port", 8883)
    if "ca" not in mqtt:
        ctx.error(
            raw,
            "tls",
            "mqtt.ca: needed with tls: the prop has no certificate store of its own",
        )
        return
    ca_path = (config.parent / mqtt["ca"]).resolve()
    try:
        pem = ca_path.read_text(encoding="ascii")
        der = ssl.PEM_cert_to_DER_cert(pem)
    except OSError as err:
        ctx.error(raw, "ca", f"mqtt.ca: cannot read {ca_path}: {err.strerror}")
        return
    except (ValueError, UnicodeDecodeError):
        ctx.error(raw, "ca", f"mqtt.ca: {ca_path} is not a PEM certificate")
        return
    files[CA_FILE] = der
    mqtt["ca"] = CA_FILE
