"""A DMX console through the SparkFun shield: lines in, RGB commands out."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import threading

from hypothesis import given, strategies as st
import pytest

from custom_components.propnet.lighting.inputs.sparkfun import (
    ConsoleMapper,
    SerialLineReader,
    parse_line,
)
from custom_components.propnet.protocol.commands import is_ulid
from custom_components.propnet.protocol.rgb import RgbCommand
from tests.harness.procs import wait_until


@pytest.mark.parametrize(
    ("line", "reading"),
    [
        ("DMX: read value from channel 1: 123", (1, 123)),
        ("DMX: read value from channel 512: 0\r", (512, 0)),
        ("DMX: read value from channel 0: 5", None),
        ("DMX: read value from channel 513: 5", None),
        ("DMX: read value from channel 3: 256", None),
        ("DMX: read value from channel 3:", None),
        ("garbage", None),
        ("", None),
    ],
)
def test_lines_from_the_shield(line: str, reading: tuple[int, int] | None) -> None:
    """Only well-formed readings in range are readings."""
    assert parse_line(line) == reading


@given(st.text(max_size=80))
def test_no_line_breaks_the_parser(line: str) -> None:
    """Any text is a reading in range or None."""
    reading = parse_line(line)
    assert reading is None or (1 <= reading[0] <= 512 and 0 <= reading[1] <= 255)


def test_only_changes_are_forwarded_as_rgb() -> None:
    """Channels 1..3 are red, green, blue; repeats are not forwarded."""
    sent: list[RgbCommand] = []
    mapper = ConsoleMapper(sent.append)
    for line in [
        "DMX: read value from channel 1: 200",
        "DMX: read value from channel 1: 200",
        "DMX: read value from channel 2: 100",
        "DMX: read value from channel 9: 50",
        "noise",
        "DMX: read value from channel 3: 7",
    ]:
        mapper.feed(line)
    assert [(c.r, c.g, c.b) for c in sent] == [
        (200, 0, 0),
        (200, 100, 0),
        (200, 100, 7),
    ]
    assert all(c.src == "dmx-input" and is_ulid(c.cmd_id) for c in sent)
    assert (mapper.lines, mapper.malformed, mapper.forwarded) == (6, 1, 3)


def test_a_console_on_a_real_serial_line(tmp_path: Path) -> None:
    """Lines written to a pseudo-terminal arrive; closing it is seen; a new one is read."""
    sent: list[RgbCommand] = []
    lock = threading.Lock()

    def submit(command: RgbCommand) -> None:
        with lock:
            sent.append(command)

    mapper = ConsoleMapper(submit)
    master, slave = os.openpty()
    link = tmp_path / "usb-SparkFun_DMX"
    link.symlink_to(os.ttyname(slave))
    reader = SerialLineReader(str(link), mapper.feed)
    try:
        reader.start()
        wait_until(lambda: reader.connected, 5, "the reader opening the port")
        os.write(
            master,
            b"DMX: read value from channel 1: 10\r\nDMX: read value from channel 2: 20\r\n",
        )
        wait_until(lambda: len(sent) == 2, 5, "two commands")
        assert (sent[-1].r, sent[-1].g, sent[-1].b) == (10, 20, 0)

        os.close(master)
        os.close(slave)
        wait_until(lambda: not reader.connected, 5, "the closed port being noticed")
        master, slave = os.openpty()
        link.unlink()
        link.symlink_to(os.ttyname(slave))
        wait_until(lambda: reader.connected, 10, "the reader reopening the port")
        os.write(master, b"DMX: read value from channel 3: 30\n")
        wait_until(lambda: len(sent) == 3, 5, "the third command")
        assert (sent[-1].r, sent[-1].g, sent[-1].b) == (10, 20, 30)
    finally:
        reader.stop()
        for fd in (master, slave):
            with contextlib.suppress(OSError):
                os.close(fd)
