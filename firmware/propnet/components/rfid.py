"""An MFRC522 RFID reader on SPI: the tag's UID as an event and a text, allowed tags for puzzles."""

import asyncio

from . import CommandError, Component as Base, Facet

# Registers
COMMAND = 0x01
COM_IRQ = 0x04
ERROR = 0x06
FIFO_DATA = 0x09
FIFO_LEVEL = 0x0A
CONTROL = 0x0C
BIT_FRAMING = 0x0D
MODE = 0x11
TX_CONTROL = 0x14
TX_ASK = 0x15
T_MODE = 0x2A
T_PRESCALER = 0x2B
T_RELOAD_H = 0x2C
T_RELOAD_L = 0x2D
VERSION = 0x37
# Reader commands
IDLE = 0x00
TRANSCEIVE = 0x0C
SOFT_RESET = 0x0F
# Card commands (ISO 14443-3 type A)
WUPA = 0x52
SELECT_CL1 = 0x93
SELECT_CL2 = 0x95
HLTA = 0x50
CASCADE_TAG = 0x88
MISSES_GONE = 2


def crc_a(data):
    """Return the two CRC_A bytes (ISO 14443-3) of ``data``."""
    crc = 0x6363
    for byte in data:
        b = byte ^ (crc & 0xFF)
        b = (b ^ (b << 4)) & 0xFF
        crc = (crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)
    return bytes((crc & 0xFF, crc >> 8))


class Reader:
    """The chip's registers and its transceive command, one register per SPI exchange."""

    def __init__(self, spi, cs):
        """Keep the bus and the chip-select pin (idle high)."""
        self.spi = spi
        self.cs = cs
        self._tx = bytearray(2)
        self._rx = bytearray(2)

    def write(self, reg, value):
        """Write one register."""
        self._tx[0] = (reg << 1) & 0x7E
        self._tx[1] = value
        self.cs.value(0)
        self.spi.write_readinto(self._tx, self._rx)
        self.cs.value(1)

    def read(self, reg):
        """Read one register."""
        self._tx[0] = ((reg << 1) & 0x7E) | 0x80
        self._tx[1] = 0
        self.cs.value(0)
        self.spi.write_readinto(self._tx, self._rx)
        self.cs.value(1)
        return self._rx[1]

    def setup(self):
        """Reset the chip and turn the antenna on; return its version (0 or 0xFF: none there)."""
        self.write(COMMAND, SOFT_RESET)
        # Timer: 40 kHz ticks, 200 of them: a card that has not answered in 5 ms is not there.
        self.write(T_MODE, 0x80)
        self.write(T_PRESCALER, 0xA9)
        self.write(T_RELOAD_H, 0x00)
        self.write(T_RELOAD_L, 0xC8)
        self.write(TX_ASK, 0x40)  # 100 % ASK
        self.write(MODE, 0x3D)  # CRC preset 0x6363
        self.write(TX_CONTROL, self.read(TX_CONTROL) | 0x03)
        return self.read(VERSION)

    async def transceive(self, data, last_bits=0):
        """Send ``data`` to the card; return its answer, or None if none came."""
        self.write(COMMAND, IDLE)
        self.write(COM_IRQ, 0x7F)
        self.write(FIFO_LEVEL, 0x80)
        for b in data:
            self.write(FIFO_DATA, b)
        self.write(BIT_FRAMING, last_bits)
        self.write(COMMAND, TRANSCEIVE)
        self.write(BIT_FRAMING, 0x80 | last_bits)
        for _ in range(20):
            irq = self.read(COM_IRQ)
            if irq & 0x30:  # received, or idle again
                break
            if irq & 0x01:  # the 5 ms timer ran out
                return None
            await asyncio.sleep_ms(1)
        else:
            return None
        self.write(BIT_FRAMING, 0)
        if self.read(ERROR) & 0x13:  # buffer overflow, parity, protocol
            return None
        n = self.read(FIFO_LEVEL)
        return bytes(self.read(FIFO_DATA) for _ in range(n))

    async def uid(self):
        """Wake a card in the field and return its 4- or 7-byte UID, or None."""
        if await self.transceive(b"\x52", 7) is None:
            return None
        uid = b""
        for level in (SELECT_CL1, SELECT_CL2):
            answer = await self.transceive(bytes((level, 0x20)))
            if answer is None or len(answer) != 5:
                return None
            if answer[0] ^ answer[1] ^ answer[2] ^ answer[3] != answer[4]:
                return None
            if answer[0] != CASCADE_TAG:
                uid += answer[:4]
                break
            uid += answer[1:4]
            # Select this level so the card gives the next part of its UID.
            frame = bytes((level, 0x70)) + answer
            if await self.transceive(frame + crc_a(frame)) is None:
                return None
        else:
            return None
        # Halt the card (no answer is expected), so the next wake-up finds it again.
        await self.transceive(bytes((HLTA, 0)) + crc_a(bytes((HLTA, 0))))
        return uid


class Component(Base):
    """A puzzle that opens when the right tag is placed."""

    stateful = True

    def __init__(self, node, cfg):
        """Set up the bus; the chip is reset when the loop starts."""
        super().__init__(node, cfg)
        hw = node.hw
        cs = hw.output(cfg["cs"], 1)
        bus = hw.spi(cfg.get("spi", 1), cfg["sck"], cfg["mosi"], cfg["miso"])
        self.reader = Reader(bus, cs)
        self.allowed = cfg.get("allowed")
        self.interval_ms = int(cfg.get("interval", 0.2) * 1000)
        self.uid = ""
        self.present = None
        self.misses = 0
        self.version = None
        self.facets = (Facet(self, "uid", "text"),)

    def report(self, out):
        """Add the last tag's UID."""
        out[self.cfg["keys"]["uid"]] = self.uid

    def facet_state(self, role):
        """Return the last tag's UID."""
        return self.uid

    def facet_command(self, role, action, value, params):
        """Act as if the tag set from Home Assistant were read (tests a puzzle)."""
        if action != "set":
            raise CommandError("unsupported_action", action + " is not a set")
        if not isinstance(value, str) or not 8 <= len(value) <= 14:
            raise CommandError("bad_value", "expected a UID of 4 or 7 bytes in hex")
        self.read_tag(value.upper())

    def start(self):
        """Poll for tags."""
        self.forever(self._poll)

    async def _poll(self):
        while True:
            if self.version is None:
                version = self.reader.setup()
                if version in (0, 0xFF):
                    self.node.log("error", "%s: no MFRC522 answers" % self.key)
                    await asyncio.sleep_ms(5000)
                    continue
                self.version = version
            uid = await self.reader.uid()
            if uid is None:
                self.misses += 1
                if self.present is not None and self.misses >= MISSES_GONE:
                    gone = self.present
                    self.present = None
                    self._event("removed", gone, None)
            else:
                self.misses = 0
                text = "".join("%02X" % b for b in uid)
                if text != self.present:
                    self.read_tag(text)
            await asyncio.sleep_ms(self.interval_ms)

    def read_tag(self, uid):
        """Publish a tag ``uid`` that came into the field and run its sequence."""
        self.present = uid
        self.uid = uid
        self.node.changed(self.key)
        if self.allowed is None:
            self._event("scanned", uid, "on_scan")
        elif uid in self.allowed:
            self._event("allowed", uid, "on_allowed")
        else:
            self._event("denied", uid, "on_denied")

    def _event(self, kind, uid, sequence):
        self.node.event(self.key, kind, {"uid": uid})
        steps = self.cfg.get(sequence or "on_removed")
        if steps:
            self.node.actions.trigger(self.key + ":" + kind, steps)
