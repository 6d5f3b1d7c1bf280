"""Finding widget ports: FTDI first, by their stable by-id names."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path

from custom_components.propnet.lighting.outputs.ports import detect_ports


@dataclass
class Port:
    """A port as pyserial describes it."""

    device: str
    vid: int | None
    description: str = ""


def test_ports_are_named_by_id_and_ftdi_comes_first(tmp_path: Path) -> None:
    """Real pseudo-terminals stand for the devices; by-id links name them."""
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    fds = [os.openpty() for _ in range(2)]
    try:
        pro, other = (os.ttyname(slave) for _, slave in fds)
        (by_id / "usb-ENTTEC_DMX_USB_PRO_EN1-if00-port0").symlink_to(pro)
        found = detect_ports(
            lambda: [Port(other, 0x10C4), Port(pro, 0x0403), Port("/dev/ttyS0", None)],
            by_id,
        )
        assert found[0] == str(by_id / "usb-ENTTEC_DMX_USB_PRO_EN1-if00-port0")
        assert sorted(found[1:]) == sorted(["/dev/ttyS0", other])
    finally:
        for master, slave in fds:
            os.close(master)
            os.close(slave)


def test_without_by_id_the_device_paths_are_used(tmp_path: Path) -> None:
    """No /dev/serial/by-id (no USB serial at all) leaves the device paths."""
    assert detect_ports(lambda: [Port("/dev/ttyUSB3", 0x0403)], tmp_path / "none") == [
        "/dev/ttyUSB3"
    ]
    assert detect_ports(list, tmp_path / "none") == []
