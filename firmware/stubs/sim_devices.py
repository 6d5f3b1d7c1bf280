"""Simulated devices for the unix port: a DFPlayer Mini and an MFRC522 with a card."""

import time

# How long a simulated track plays.
TRACK_MS = 2000


def _frame(cmd, param):
    total = -(0xFF + 0x06 + cmd + (param >> 8) + (param & 0xFF)) & 0xFFFF
    return bytes(
        (0x7E, 0xFF, 0x06, cmd, 0, param >> 8, param & 0xFF, total >> 8, total & 0xFF, 0xEF)
    )


class DFPlayer:
    """Answers like the module: plays a track for TRACK_MS, reports its end, tells its status."""

    def __init__(self, port):
        self.port = port
        self.track = 0
        self.volume = None
        self.until = None
        self.frames = []
        self._buf = b""

    def received(self, data):
        self._buf += data
        while len(self._buf) >= 10:
            f, self._buf = self._buf[:10], self._buf[10:]
            cmd = f[3]
            param = (f[5] << 8) | f[6]
            self.frames.append((cmd, param))
            if cmd == 0x03:
                self.track = param
                self.until = time.ticks_add(time.ticks_ms(), TRACK_MS)
            elif cmd == 0x16:
                self.until = None
            elif cmd == 0x06:
                self.volume = param
            elif cmd == 0x42:
                self.port.answer(_frame(0x42, 0x0201 if self.until else 0x0200))

    def tick(self):
        if self.until is not None and time.ticks_diff(self.until, time.ticks_ms()) <= 0:
            self.until = None
            self.port.answer(_frame(0x3D, self.track))


def crc_a(data):
    # Written again rather than imported from the firmware: the card checks
    # the reader's CRC on its own, so a wrong one in the firmware fails here.
    crc = 0x6363
    for byte in data:
        b = byte ^ (crc & 0xFF)
        b = (b ^ (b << 4)) & 0xFF
        crc = (crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)
    return bytes((crc & 0xFF, crc >> 8))


class MFRC522:
    """The reader's registers and a type A card in its field, answering as recorded from real tags.

    ``card`` is the tag in the field (its UID bytes, ATQA and SAK) or None.
    ``frames`` records each frame sent to the card and the card's answer.
    """

    def __init__(self, version=0x92):
        self.regs = {0x37: version}
        self.fifo = []
        self.card = None
        self.state = "idle"
        self.level = 0
        self.frames = []

    def place(self, uid, atqa=b"\x04\x00", sak=0x08):
        self.card = (bytes(uid), atqa, sak)
        self.state = "idle"

    def remove(self):
        self.card = None

    def exchange(self, tx):
        reg = (tx[0] >> 1) & 0x3F
        if tx[0] & 0x80:
            if reg == 0x09:
                return bytes((0, self.fifo.pop(0) if self.fifo else 0))
            if reg == 0x0A:
                return bytes((0, len(self.fifo)))
            return bytes((0, self.regs.get(reg, 0)))
        value = tx[1]
        if reg == 0x09:
            self.fifo.append(value)
        elif reg == 0x0A and value & 0x80:
            self.fifo = []
        elif reg == 0x04:
            self.regs[0x04] = self.regs.get(0x04, 0) & ~(value & 0x7F)
        elif reg == 0x0D and value & 0x80 and self.regs.get(0x01) == 0x0C:
            sent = bytes(self.fifo)
            self.fifo = []
            answer = self._card(sent)
            self.frames.append((sent, answer))
            if answer is None:
                self.regs[0x04] = self.regs.get(0x04, 0) | 0x01
            else:
                self.fifo = list(answer)
                self.regs[0x04] = self.regs.get(0x04, 0) | 0x20
        else:
            self.regs[reg] = value
        return b"\x00\x00"

    def _card(self, sent):
        if self.card is None:
            return None
        uid, atqa, sak = self.card
        parts = [uid] if len(uid) == 4 else [b"\x88" + uid[:3], uid[3:]]
        if sent == b"\x52":
            if self.state in ("idle", "halt"):
                self.state = "ready"
                self.level = 0
                return atqa
            self.state = "idle"
            return None
        if self.state == "ready" and len(sent) == 2 and sent[1] == 0x20:
            part = parts[self.level]
            return part + bytes((part[0] ^ part[1] ^ part[2] ^ part[3],))
        if self.state == "ready" and len(sent) == 9 and sent[1] == 0x70:
            if crc_a(sent[:7]) != sent[7:]:
                self.state = "idle"
                return None
            more = self.level + 1 < len(parts)
            self.level += 1
            if not more:
                self.state = "active"
            s = bytes((0x04 if more else sak,))
            return s + crc_a(s)
        if sent[:2] == b"\x50\x00":
            self.state = "halt" if self.state == "active" else "idle"
            return None
        self.state = "idle"
        return None
