"""xLights sequences: FSEQ v2 files (uncompressed, zstd or zlib; sparse ranges) checked whole and kept as zstd blocks.

A file that lies about its sizes is refused with what it says and what it
holds, never half played. Whatever the file's own compression, frames are
kept in memory as zstd blocks of about a second, so a long sequence costs
its compressed size; playing decompresses one block at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import struct
from typing import Final
import zlib

import zstandard

MAGIC: Final = b"PSEQ"
HEADER: Final = struct.Struct("<4sHBBHIIBBBBBBQ")
BLOCK: Final = struct.Struct("<II")
RANGE_BYTES: Final = 6
# Frames larger than 64 universes cannot be patched anyway.
MAX_CHANNELS: Final = 64 * 512
MAX_FRAMES: Final = 24 * 3600 * 40
MAX_FILE_BYTES: Final = 512 * 1024 * 1024
# Ten minutes of four full universes at 40 fps is 49 MB of frames.
MAX_FRAME_BYTES: Final = 256 * 1024 * 1024
PIECE: Final = 1024 * 1024
KEPT_BLOCK_MS: Final = 1000
COMPRESSION: Final = {0: "none", 1: "zstd", 2: "zlib"}


class FseqError(ValueError):
    """An FSEQ file that cannot be played, and why."""


@dataclass(slots=True)
class Sequence:
    """A checked sequence: its frames kept as zstd blocks, read one frame at a time."""

    step_ms: int
    frame_count: int
    channel_count: int
    # (first channel, count), 0-based, of the channels each frame holds; one
    # range covering every channel when the file is not sparse.
    ranges: tuple[tuple[int, int], ...]
    frames_per_block: int
    blocks: list[bytes]
    _cached: tuple[int, bytes] = field(default=(-1, b""), repr=False)

    @property
    def duration_ms(self) -> int:
        """Return how long the sequence plays."""
        return self.frame_count * self.step_ms

    def frame(self, index: int) -> bytes:
        """Return frame ``index``'s channels (those of ``ranges``, in order)."""
        if not 0 <= index < self.frame_count:
            raise IndexError(index)
        number, offset = divmod(index, self.frames_per_block)
        if self._cached[0] != number:
            self._cached = (
                number,
                zstandard.ZstdDecompressor().decompress(self.blocks[number]),
            )
        start = offset * self.channel_count
        return self._cached[1][start : start + self.channel_count]

    @property
    def kept_bytes(self) -> int:
        """Return the memory the kept blocks take."""
        return sum(len(b) for b in self.blocks)


def read_fseq(data: bytes) -> Sequence:
    """Return the sequence in ``data`` (a whole FSEQ v2 file), or raise FseqError."""
    if len(data) > MAX_FILE_BYTES:
        raise FseqError(f"a sequence file is at most {MAX_FILE_BYTES} bytes")
    if len(data) < HEADER.size:
        raise FseqError(f"{len(data)} bytes is too short for an FSEQ header")
    (
        magic,
        data_offset,
        _minor,
        major,
        header_length,
        channels,
        frames,
        step_ms,
        _flags,
        compression,
        blocks_low,
        range_count,
        _flags2,
        _uid,
    ) = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise FseqError("not an FSEQ file (it does not start with PSEQ)")
    if major != 2:
        raise FseqError(f"FSEQ version {major} is not supported; export version 2")
    kind = compression & 0x0F
    block_count = blocks_low | (compression & 0xF0) << 4
    if kind not in COMPRESSION:
        raise FseqError(f"compression type {kind} is unknown")
    if step_ms == 0:
        raise FseqError("the step time is 0 ms")
    if not 1 <= channels <= MAX_CHANNELS:
        raise FseqError(f"{channels} channels a frame; at most {MAX_CHANNELS}")
    if not 1 <= frames <= MAX_FRAMES:
        raise FseqError(f"{frames} frames; from 1 to {MAX_FRAMES}")
    if channels * frames > MAX_FRAME_BYTES:
        raise FseqError(
            f"{frames} frames of {channels} channels is {channels * frames} bytes "
            f"of frames; at most {MAX_FRAME_BYTES}"
        )
    index_end = HEADER.size + block_count * BLOCK.size + range_count * RANGE_BYTES
    if not index_end <= min(data_offset, len(data)) or header_length > data_offset:
        raise FseqError(
            f"the header says its channel data starts at byte {data_offset}, "
            f"inside its own index (which ends at {index_end}) or past the "
            f"file's {len(data)} bytes"
        )
    ranges = _ranges(data, HEADER.size + block_count * BLOCK.size, range_count)
    if ranges:
        if sum(count for _, count in ranges) != channels:
            raise FseqError(
                f"the sparse ranges hold {sum(c for _, c in ranges)} channels, "
                f"the header says {channels}"
            )
    else:
        ranges = ((0, channels),)
    if kind == 0:
        raw = _uncompressed(data, data_offset, channels, frames)
    else:
        raw = _decompressed(data, data_offset, block_count, kind, (channels, frames))
    return _kept(raw, step_ms, frames, channels, ranges)


def _ranges(data: bytes, at: int, count: int) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for n in range(count):
        chunk = data[at + n * RANGE_BYTES : at + (n + 1) * RANGE_BYTES]
        start = int.from_bytes(chunk[:3], "little")
        width = int.from_bytes(chunk[3:], "little")
        if width == 0 or start + width > MAX_CHANNELS:
            raise FseqError(
                f"sparse range {n + 1} (channels {start + 1} to {start + width}) "
                f"is empty or past channel {MAX_CHANNELS}"
            )
        out.append((start, width))
    return tuple(out)


def _uncompressed(data: bytes, offset: int, channels: int, frames: int) -> bytes:
    wanted = channels * frames
    held = len(data) - offset
    if held < wanted:
        raise FseqError(
            f"the header says {frames} frames of {channels} channels "
            f"({wanted} bytes); the file holds {held} (truncated?)"
        )
    return data[offset : offset + wanted]


def _decompressed(
    data: bytes, offset: int, count: int, kind: int, size: tuple[int, int]
) -> bytes:
    channels, frames = size
    if count == 0:
        raise FseqError("a compressed file with no compression blocks")
    out = bytearray()
    position = offset
    wanted = channels * frames
    for n in range(count):
        first, length = BLOCK.unpack_from(data, HEADER.size + n * BLOCK.size)
        if length == 0:
            # xLights leaves unused index entries empty.
            continue
        if position + length > len(data):
            raise FseqError(
                f"compression block {n + 1} ends at byte {position + length}, "
                f"past the file's {len(data)} (truncated?)"
            )
        if first * channels != len(out):
            raise FseqError(
                f"compression block {n + 1} says it starts at frame {first}; "
                f"the blocks before it end at frame {len(out) // channels}"
            )
        chunk = data[position : position + length]
        position += length
        try:
            plain = _inflate(chunk, kind, wanted - len(out) + 1)
        except (zstandard.ZstdError, zlib.error) as err:
            raise FseqError(
                f"compression block {n + 1} does not decompress: {err}"
            ) from None
        out += plain
        if len(out) > wanted:
            break
    if len(out) != wanted:
        raise FseqError(
            f"the header says {frames} frames of {channels} channels "
            f"({wanted} bytes); the blocks hold {len(out)}"
        )
    return bytes(out)


def _inflate(chunk: bytes, kind: int, most: int) -> bytes:
    """Return at most ``most`` bytes of the block, read in pieces: a lying block never takes more."""
    if kind == 2:
        return zlib.decompressobj().decompress(chunk, most)
    out = bytearray()
    with zstandard.ZstdDecompressor().stream_reader(chunk) as reader:
        while len(out) < most and (piece := reader.read(min(PIECE, most - len(out)))):
            out += piece
    return bytes(out)


def _kept(
    raw: bytes,
    step_ms: int,
    frames: int,
    channels: int,
    ranges: tuple[tuple[int, int], ...],
) -> Sequence:
    per_block = max(1, KEPT_BLOCK_MS // step_ms)
    size = per_block * channels
    squeeze = zstandard.ZstdCompressor(level=3)
    blocks = [squeeze.compress(raw[at : at + size]) for at in range(0, len(raw), size)]
    return Sequence(step_ms, frames, channels, ranges, per_block, blocks)


def write_fseq(
    frames: list[bytes],
    step_ms: int,
    *,
    compression: str = "zstd",
    ranges: tuple[tuple[int, int], ...] = (),
    frames_per_block: int = 10,
) -> bytes:
    """Return an FSEQ v2 file of ``frames`` (as xLights writes them), for tests and the benchmark."""
    channels = len(frames[0])
    kind = {"none": 0, "zstd": 1, "zlib": 2}[compression]
    chunks: list[tuple[int, bytes]] = []
    if kind:
        for first in range(0, len(frames), frames_per_block):
            plain = b"".join(frames[first : first + frames_per_block])
            packed = (
                zstandard.ZstdCompressor().compress(plain)
                if kind == 1
                else zlib.compress(plain)
            )
            chunks.append((first, packed))
    index = b"".join(BLOCK.pack(first, len(packed)) for first, packed in chunks)
    sparse = b"".join(
        s.to_bytes(3, "little") + c.to_bytes(3, "little") for s, c in ranges
    )
    offset = HEADER.size + len(index) + len(sparse)
    header = HEADER.pack(
        MAGIC,
        offset,
        0,
        2,
        offset,
        channels,
        len(frames),
        step_ms,
        0,
        kind | (len(chunks) >> 8) << 4,
        len(chunks) & 0xFF,
        len(ranges),
        0,
        0,
    )
    body = b"".join(packed for _, packed in chunks) if kind else b"".join(frames)
    return header + index + sparse + body
