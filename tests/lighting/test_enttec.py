"""The DMX USB Pro output through a real pseudo-terminal: frames, rate, unplug and replay."""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import threading
import time

from hypothesis import given, strategies as st
import pytest
import serial

from custom_components.propnet.lighting.outputs import enttec
from custom_components.propnet.lighting.outputs.enttec import (
    LABEL_SEND_DMX,
    EnttecOutput,
    FrameDecoder,
    Status,
    dmx_frame,
    frame,
    open_port,
)
from tests.harness.procs import wait_until
from tests.harness.pty_widget import PtyWidget


@pytest.fixture
def widget(tmp_path: Path) -> Iterator[PtyWidget]:
    """Make a fake Pro behind a by-id style path."""
    fake = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN123456-if00-port0")
    yield fake
    fake.close()


@pytest.fixture
def statuses() -> list[Status]:
    """Collect the statuses the output reports."""
    return []


@pytest.fixture
def output(widget: PtyWidget, statuses: list[Status]) -> Iterator[EnttecOutput]:
    """Run an output on the widget's path."""
    out = EnttecOutput(str(widget.link), fps=40, refresh=1.0, on_status=statuses.append)
    out.start()
    yield out
    out.stop()


def test_framing_matches_the_widget_api() -> None:
    """0x7E, label, length LSB, length MSB, data, 0xE7; DMX starts with code 0."""
    assert frame(3, b"") == bytes([0x7E, 3, 0, 0, 0xE7])
    message = dmx_frame(bytes([10, 20, 30]))
    assert message[:4] == bytes([0x7E, LABEL_SEND_DMX, 25, 0])
    assert message[4] == 0  # start code
    assert message[5:8] == bytes([10, 20, 30])
    assert len(message) == 4 + 25 + 1
    assert message[-1] == 0xE7
    full = dmx_frame(bytes(512))
    assert full[2:4] == (513).to_bytes(2, "little")
    with pytest.raises(ValueError, match="512"):
        dmx_frame(bytes(513))


@given(st.lists(st.binary(min_size=0, max_size=40), max_size=5), st.binary(max_size=20))
def test_the_decoder_finds_frames_in_noise(
    universes: list[bytes], noise: bytes
) -> None:
    """Whatever noise comes between messages, every message is found intact."""
    stream = noise.replace(b"\x7e", b"") + b"".join(dmx_frame(u) for u in universes)
    decoder = FrameDecoder()
    found = []
    for i in range(0, len(stream), 7):  # arrive in small pieces
        found += decoder.feed(stream[i : i + 7])
    assert len(found) == len(universes)
    for (label, data), universe in zip(found, universes, strict=True):
        assert label == LABEL_SEND_DMX
        assert data[1 : 1 + len(universe)] == universe


def test_the_widget_shows_the_newest_universe(
    output: EnttecOutput, widget: PtyWidget
) -> None:
    """Every frame decodes to the start code and the channels given."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    assert output.serial_number == 0x12345678
    output.update(bytes([255, 128, 0]))
    frames = wait_until(
        lambda: [f for _, f in widget.received() if f[1:4] == bytes([255, 128, 0])],
        3,
        "the colour reaching the widget",
    )
    assert frames[0][0] == 0
    assert len(frames[0]) == 25


def test_the_frame_rate_is_limited(output: EnttecOutput, widget: PtyWidget) -> None:
    """Updates far faster than the configured rate still give at most that many frames."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    seconds = 2.0
    sent_before = output.frames_sent
    start = time.monotonic()
    value = 0
    while time.monotonic() - start < seconds:
        value = (value + 1) % 256
        output.update(bytes([value, 0, 0]))
        time.sleep(0.001)
    elapsed = time.monotonic() - start
    sent = output.frames_sent - sent_before
    fps = 1 / output.interval
    # At most fps x elapsed on average, and the bucket's two frames that may
    # start the window back to back.
    assert sent <= fps * elapsed + 2, (sent, elapsed)
    # With changes all the time it keeps sending: a quarter of the rate at the
    # least, on a machine shared with other work.
    assert sent >= fps * elapsed / 4, (sent, elapsed)
    # What the widget decoded is what was sent (the reader may see two frames
    # in one read, so arrival gaps say little; counts do).
    wait_until(
        lambda: len([t for t, _ in widget.received() if t >= start]) >= sent - 1,
        2,
        "the widget decoding every frame",
    )


def test_unchanged_frames_are_refreshed_not_repeated(
    output: EnttecOutput, widget: PtyWidget
) -> None:
    """With nothing new, the same frame goes out about once a second."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    output.update(bytes([1, 2, 3]))
    wait_until(widget.received, 2, "a first frame")
    time.sleep(2.3)
    frames = [f for _, f in widget.received() if f[1:4] == bytes([1, 2, 3])]
    assert 2 <= len(frames) <= 4, len(frames)


def test_unplug_and_replug_resume_with_the_last_frame(
    output: EnttecOutput, widget: PtyWidget, statuses: list[Status]
) -> None:
    """Pulling the cable is seen and reported; plugged back, the last frame is replayed."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    output.update(bytes([9, 8, 7]))
    wait_until(widget.received, 2, "a first frame")
    widget.unplug()
    # The reported statuses, not the current one: after the unplug the output
    # goes on trying to reopen, and a busy machine may hand the freed
    # pseudo-terminal's number to another test's terminal meanwhile.
    wait_until(lambda: Status.DISCONNECTED in statuses, 5, "the unplug being noticed")
    assert output.write_errors >= 1
    widget.frames.clear()
    widget.plug()
    wait_until(lambda: output.status is Status.CONNECTED, 10, "the output reconnecting")
    frames = wait_until(widget.received, 3, "the replayed frame")
    assert frames[0][1][1:4] == bytes([9, 8, 7])
    assert statuses[:2] == [Status.CONNECTING, Status.CONNECTED]
    assert Status.DISCONNECTED in statuses


def test_an_unplug_between_write_and_flush_is_an_unplug(
    widget: PtyWidget, statuses: list[Status]
) -> None:
    """Pulled while a frame drains: pyserial raises a bare termios error, still an unplug."""
    pulled = threading.Event()

    def opener(path: str) -> serial.Serial:
        port = open_port(path)
        real_flush = port.flush

        def flush() -> None:
            # The first frame with channels in it is written, then the cable goes.
            if not pulled.is_set() and output.frames_sent == 1:
                pulled.set()
                widget.unplug()
            real_flush()

        port.flush = flush  # type: ignore[method-assign]
        return port

    output = EnttecOutput(str(widget.link), on_status=statuses.append, opener=opener)
    output.start()
    try:
        wait_until(lambda: output.frames_sent == 1, 5, "a first frame")
        output.update(bytes([1, 2, 3]))
        wait_until(
            lambda: Status.DISCONNECTED in statuses, 5, "the unplug being noticed"
        )
        assert pulled.is_set()
        assert output.write_errors == 1
        widget.frames.clear()
        widget.plug()
        wait_until(
            lambda: output.status is Status.CONNECTED, 10, "the output reconnecting"
        )
        frames = wait_until(widget.received, 3, "the replayed frame")
        assert frames[0][1][1:4] == bytes([1, 2, 3])
    finally:
        output.stop()


def test_a_plain_cable_is_not_taken_for_a_pro(tmp_path: Path) -> None:
    """A device that does not answer the serial number request is not driven."""
    cable = PtyWidget(tmp_path / "usb-FTDI_cable", serial_number=None)
    out = EnttecOutput(str(cable.link))
    try:
        out.start()
        wait_until(lambda: out.status is Status.NOT_A_PRO, 5, "the cable being refused")
        assert cable.serial_requests >= 1
        assert cable.received() == []
    finally:
        out.stop()
        cable.close()


def test_a_missing_port_is_retried(tmp_path: Path) -> None:
    """No device at the path: disconnected, and it keeps trying."""
    out = EnttecOutput(str(tmp_path / "nothing"))
    try:
        out.start()
        wait_until(
            lambda: out.status is Status.DISCONNECTED, 5, "the missing port being seen"
        )
    finally:
        out.stop()
    assert out.status is Status.STOPPED


def test_a_cue_right_after_a_change_leaves_at_once_other_changes_wait_their_frame(
    widget: PtyWidget,
) -> None:
    """A show's cue is not held by the frame-rate cap; two ordinary changes in a row are.

    At 1 frame a second, so waiting and not waiting cannot be mistaken for
    each other on a busy machine.
    """
    out = EnttecOutput(str(widget.link), fps=1, refresh=60.0)
    out.start()
    try:
        wait_until(lambda: out.status is Status.CONNECTED, 5, "the output connecting")
        time.sleep(2.1)  # the bucket fills again after the first frame
        start = time.monotonic()
        for value, cue in ((1, False), (2, True), (3, False), (4, False)):
            out.update(bytes([value, 0, 0]), cue=cue)
            wait_until(
                lambda v=value: any(f[1] == v for _, f in widget.received()),  # type: ignore[misc]
                5,
                f"level {value} at the widget",
            )
        arrived = {
            f[1]: t for t, f in widget.received() if t >= start and f[1] in (1, 2, 3, 4)
        }
        # The change goes (the bucket was full), the cue at once after it,
        # the next change a frame later and the one after a frame more.
        assert arrived[2] - start < 0.5, arrived
        assert arrived[3] - arrived[2] > 0.5, arrived
        assert arrived[4] - arrived[3] > 0.5, arrived
    finally:
        out.stop()


def test_a_cue_is_written_by_the_caller_and_an_ordinary_change_by_the_thread(
    output: EnttecOutput, widget: PtyWidget
) -> None:
    """A show's cue does not wait for the worker thread's turn: update() writes it to the port itself."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    output.update(bytes([9, 9, 9]))
    wait_until(lambda: output.frames_sent >= 1, 3, "the change going out")
    assert output.cues_written == 0
    time.sleep(0.1)  # the bucket has a frame for the cue
    output.update(bytes([7, 0, 0]), cue=True)
    assert output.cues_written == 1
    wait_until(
        lambda: any(f[1:4] == bytes([7, 0, 0]) for _, f in widget.received()),
        3,
        "the cue at the widget",
    )


def test_a_cue_while_the_thread_writes_is_left_to_the_thread(
    output: EnttecOutput, widget: PtyWidget
) -> None:
    """Two writers never share the port: a cue that finds a write under way is sent by the thread after it."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")
    with output._writing:
        output.update(bytes([5, 0, 0]), cue=True)
        assert output.cues_written == 0
        time.sleep(0.05)
        assert not any(f[1:4] == bytes([5, 0, 0]) for _, f in widget.received())
    wait_until(
        lambda: any(f[1:4] == bytes([5, 0, 0]) for _, f in widget.received()),
        3,
        "the cue at the widget, from the thread",
    )
    assert output.cues_written == 0


def test_what_the_port_does_not_take_of_a_cue_the_thread_writes_whole(
    output: EnttecOutput, widget: PtyWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port that takes only part of a cue's frame at once still shows the whole frame, and the next one after it."""
    wait_until(lambda: output.status is Status.CONNECTED, 5, "the output connecting")

    class Partly:
        """The output's os, whose writes take seven bytes at most."""

        @staticmethod
        def write(fd: int, data: bytes) -> int:
            return os.write(fd, data[:7])

    monkeypatch.setattr(enttec, "os", Partly)
    output.update(bytes([3, 2, 1]), cue=True)
    assert output.cues_written == 1
    time.sleep(0.1)
    output.update(bytes([4, 5, 6]), cue=True)
    wait_until(
        lambda: any(f[1:4] == bytes([4, 5, 6]) for _, f in widget.received()),
        3,
        "the second cue at the widget",
    )
    looks = [f[1:4] for _, f in widget.received()]
    assert bytes([3, 2, 1]) in looks
    assert looks.index(bytes([3, 2, 1])) < looks.index(bytes([4, 5, 6]))
