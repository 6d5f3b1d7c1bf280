"""xLights sequences: FSEQ v2 read whole, every lie about sizes refused with what it says, frames placed on the right universes."""

from __future__ import annotations

import re
import struct

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.show.compile import ShowError, load_show
from custom_components.propnet.show.fseq import (
    HEADER,
    FseqError,
    read_fseq,
    write_fseq,
)


def frames(count: int, channels: int) -> list[bytes]:
    """Return frames whose every channel says its frame and channel."""
    return [bytes((f * 7 + c) % 256 for c in range(channels)) for f in range(count)]


@pytest.mark.parametrize("compression", ["none", "zstd", "zlib"])
def test_each_compression_reads_back_frame_for_frame(compression: str) -> None:
    """Uncompressed, zstd and zlib files give the same frames, kept as zstd blocks."""
    made = frames(130, 600)
    sequence = read_fseq(write_fseq(made, 25, compression=compression))
    assert (sequence.step_ms, sequence.frame_count, sequence.channel_count) == (
        25,
        130,
        600,
    )
    assert sequence.duration_ms == 130 * 25
    assert sequence.ranges == ((0, 600),)
    # Out of order too: each read finds its own block.
    for index in (0, 39, 40, 41, 129, 3, 80):
        assert sequence.frame(index) == made[index], index
    assert sequence.kept_bytes < 130 * 600
    with pytest.raises(IndexError):
        sequence.frame(130)


def test_sparse_ranges_are_kept_and_more_than_255_blocks_read() -> None:
    """A sparse file holds only its ranges' channels; FSEQ 2.1's block count over 255 is read."""
    made = frames(600, 20)
    data = write_fseq(made, 50, ranges=((1000, 8), (5000, 12)), frames_per_block=2)
    assert HEADER.unpack_from(data)[9] >> 4 == 1  # 300 blocks: the upper bits used
    sequence = read_fseq(data)
    assert sequence.ranges == ((1000, 8), (5000, 12))
    assert sequence.frame(599) == made[599]


def lie(data: bytes, field: int, value: int) -> bytes:
    """Return ``data`` with one header field changed."""
    fields = list(HEADER.unpack_from(data))
    fields[field] = value
    return HEADER.pack(*fields) + data[HEADER.size :]


GOOD = write_fseq(frames(20, 16), 25, frames_per_block=5)
PLAIN = write_fseq(frames(20, 16), 25, compression="none")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "too short"),
        (b"ESEQ" + GOOD[4:], "not an FSEQ file"),
        (lie(GOOD, 3, 1), "version 1 is not supported"),
        (lie(GOOD, 6, 21), "the blocks hold 320"),  # more frames than it has
        (PLAIN[:-1], "the file holds 319 (truncated?)"),
        (lie(PLAIN, 7, 0), "the step time is 0 ms"),
        (lie(PLAIN, 5, 0), "0 channels a frame"),
        (lie(PLAIN, 5, 10**6), "1000000 channels a frame"),
        (lie(GOOD, 9, 7), "compression type 7 is unknown"),
        (lie(GOOD, 1, 8), "channel data starts at byte 8"),
        (GOOD[:-3], "past the file's"),
        (lie(PLAIN, 11, 1), "channel data starts at byte"),  # a range inside the data
    ],
)
def test_a_file_that_lies_is_refused_with_what_it_says(data: bytes, words: str) -> None:
    """Truncated, inflated, the wrong format or version: a clear error, never half a sequence."""
    with pytest.raises(FseqError, match=re.escape(words)):
        read_fseq(data)


def test_a_block_that_does_not_decompress_or_starts_at_the_wrong_frame() -> None:
    """The block index is checked against what the blocks hold."""
    index_at = HEADER.size
    first, length = struct.unpack_from("<II", GOOD, index_at + 8)
    moved = bytearray(GOOD)
    struct.pack_into("<II", moved, index_at + 8, first + 1, length)
    with pytest.raises(FseqError, match="says it starts at frame 6"):
        read_fseq(bytes(moved))
    broken = bytearray(GOOD)
    offset = HEADER.unpack_from(GOOD)[1]
    broken[offset : offset + 4] = b"\x00\x00\x00\x00"
    with pytest.raises(FseqError, match="block 1 does not decompress"):
        read_fseq(bytes(broken))


@settings(max_examples=300)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=len(GOOD) - 1))
def test_any_bytes_are_a_sequence_or_a_clear_error(noise: bytes, at: int) -> None:
    """Random bytes, and a good file with bytes overwritten, never crash the reader."""
    for data in (noise, GOOD[:at] + noise + GOOD[at + len(noise) :]):
        try:
            sequence = read_fseq(data)
        except FseqError as err:
            message = str(err)
        else:
            message = ""
            assert (
                len(sequence.frame(sequence.frame_count - 1)) == sequence.channel_count
            )
        assert message or sequence.frame_count >= 1


def show_with(fseq: bytes, cue: str) -> str:
    """Return a show file text playing ``cue``."""
    del fseq
    return f"cues:\n  - {{at: 1, sequence: crypt.fseq{cue}}}\n"


def test_a_sequence_cue_places_its_channels_on_universes() -> None:
    """FSEQ channel ``channel`` lands on channel 1 of ``universe``; the rest runs on, split at universe edges."""
    data = write_fseq(frames(4, 1100), 25)
    show = load_show(
        "cues:\n  - {at: 1, sequence: crypt.fseq, universe: 2, channel: 11}\n",
        "crypt.yaml",
        "crypt",
        {"crypt.fseq": data}.__getitem__,
    )
    (cue,) = show.sequence_cues
    assert show.duration_ms == 1000 + 4 * 25
    # Channels 1-10 of the file go nowhere; 11-522 to universe 2, then 3, then 4.
    assert cue.slices() == [(10, 522, 2, 0), (522, 1034, 3, 0), (1034, 1100, 4, 0)]
    sparse = write_fseq(frames(2, 20), 25, ranges=((500, 20),))
    show = load_show(
        "cues:\n  - {at: 0, sequence: s.fseq}\n",
        "s.yaml",
        "s",
        {"s.fseq": sparse}.__getitem__,
    )
    assert show.sequence_cues[0].slices() == [(0, 12, 1, 500), (12, 20, 2, 0)]


@pytest.mark.parametrize(
    ("cue", "files", "words"),
    [
        ("", {}, "cues[0].sequence: crypt.fseq: "),
        ("", {"crypt.fseq": PLAIN[:-5]}, "crypt.fseq: the header says 20 frames"),
        (
            ", universe: 0",
            {"crypt.fseq": PLAIN},
            "cues[0].universe: must be 1 to 63999",
        ),
        (", rgb: [1, 2, 3]", {"crypt.fseq": PLAIN}, "cues[0].rgb: only for a light"),
    ],
)
def test_a_bad_sequence_cue_names_the_show_file_and_line(
    cue: str, files: dict[str, bytes], words: str
) -> None:
    """A missing or broken file and a wrong placement are the show's errors, with its line."""

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[name]

    with pytest.raises(ShowError) as err:
        load_show(show_with(b"", cue), "crypt.yaml", "crypt", read)
    assert any(w.line == 2 and words in m for w, m in err.value.problems), (
        err.value.problems
    )
