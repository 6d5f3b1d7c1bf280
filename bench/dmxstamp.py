"""The bench's DMX receivers in a process of their own: a DMX USB Pro on a pseudo-terminal and an sACN socket, stamped as the frames arrive.

Run in the bench's own process, a receiver's stamp waits for that process's
turn: its other threads (the MQTT clients, the loop-lag probe, the
collector) hold the interpreter's lock, so a frame that arrived on time is
stamped late. Here each frame is stamped by a process that does nothing
else, at a real-time priority where the machine allows it: the sACN
packet with the kernel's receive instant (``SO_TIMESTAMPNS``, moved onto
the monotonic clock, as tests/harness/showroom.py's stamper does), the
widget's frame as its read returns (a terminal has no kernel stamp). The
packets are parsed by the sacn library, the widget's messages by
PropNet's own decoder, and the process answers the widget's serial number
request as a Pro does.

The child prints one line per frame: ``E <us> <value>`` or
``S <us> <value>``, the value of one channel.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import selectors
import socket
import struct
import subprocess
import sys
import threading
import time

SO_TIMESTAMPNS = 35  # Linux's (also SCM_TIMESTAMPNS); Python does not name it


def kernel_us(anc: list[tuple[int, int, bytes]], read_ns: int) -> int:
    """Return the kernel's receive instant in the ancillary data on the monotonic clock (us), or the read's own."""
    wall = time.clock_gettime_ns(time.CLOCK_REALTIME)
    at = (read_ns + time.monotonic_ns()) // 2
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, ns = struct.unpack("qq", raw[:16])
            at -= wall - (sec * 1_000_000_000 + ns)
    return at // 1000


def child(master: int, sacn_port: int, channel: int, serial_number: int) -> None:
    """Receive both outputs until killed; print each frame's stamp and ``channel``'s value."""
    # Imported here: the parent needs neither.
    from sacn.messages.data_packet import DataPacket

    from custom_components.propnet.lighting.outputs.enttec import (
        LABEL_GET_SERIAL,
        LABEL_SEND_DMX,
        FrameDecoder,
        frame,
    )

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", sacn_port))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sel = selectors.DefaultSelector()
    sel.register(master, selectors.EVENT_READ, "E")
    sel.register(sock, selectors.EVENT_READ, "S")
    decoder = FrameDecoder()
    out = sys.stdout
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.data == "S":
                data, anc, _, _ = sock.recvmsg(1024, 64)
                at = kernel_us(anc, time.monotonic_ns())
                try:
                    packet = DataPacket.make_data_packet(data)
                except (TypeError, ValueError, IndexError):
                    continue
                if packet.universe == 1 and len(packet.dmxData) >= channel:
                    out.write(f"S {at} {packet.dmxData[channel - 1]}\n")
            else:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    return
                at = time.monotonic_ns() // 1000
                for label, payload in decoder.feed(data):
                    # The payload starts with DMX's start code.
                    if label == LABEL_SEND_DMX and len(payload) > channel:
                        out.write(f"E {at} {payload[channel]}\n")
                    elif label == LABEL_GET_SERIAL:
                        os.write(
                            master,
                            frame(
                                LABEL_GET_SERIAL, serial_number.to_bytes(4, "little")
                            ),
                        )
            out.flush()


def start_stamper(
    module: str,
    args: list[str],
    realtime: bool,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[str]:
    """Start a stamping process (``python -m module args``), at the props' real-time priority if ``realtime``; return it once it says ready."""
    argv = [sys.executable, "-m", module, *args]
    if realtime:
        argv = ["chrt", "-f", "20", *argv]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        text=True,
        pass_fds=pass_fds,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", f"{module} did not start"
    return proc


class DmxStamps:
    """Starts the receiving process; keeps what it saw as (monotonic seconds, value), per output."""

    def __init__(
        self, link: Path, sacn_port: int, channel: int, realtime: bool
    ) -> None:
        """Make the terminal behind ``link``, listen for sACN on ``sacn_port``, watch ``channel``."""
        self.link = link
        self.enttec: list[tuple[float, int]] = []
        self.sacn: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._master, self._slave = os.openpty()
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.ttyname(self._slave))
        self.proc = start_stamper(
            "bench.dmxstamp",
            [str(self._master), str(sacn_port), str(channel)],
            realtime,
            pass_fds=(self._master,),
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, at, value = line.split()
            with self._lock:
                (self.enttec if kind == "E" else self.sacn).append(
                    (int(at) / 1e6, int(value))
                )

    def since(
        self, start: float
    ) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """Return the Enttec and sACN frames stamped from ``start`` on, and forget older ones."""
        with self._lock:
            self.enttec = [f for f in self.enttec if f[0] >= start]
            self.sacn = [f for f in self.sacn if f[0] >= start]
            return list(self.enttec), list(self.sacn)

    def close(self) -> None:
        """End the process and the terminal."""
        self.proc.kill()
        self.proc.wait(5)
        self._thread.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()


if __name__ == "__main__":
    child(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), 0x12345678)
