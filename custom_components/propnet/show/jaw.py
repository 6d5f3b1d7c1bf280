"""Jaw tracks for talking props: a WAV file's loudness, followed with attack and release, as servo keyframes.

The hub works the track out when the show loads and sends it with the
show as the jaw servo's own move cues, so a talking skull lip-syncs from its
own clock with no envelope circuit. Only keyframes where the jaw moves by
at least a degree are kept: a sentence is tens of cues, not one per frame.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
import io
import math
import struct
import sys
from typing import Final
import wave

MAX_SECONDS: Final = 600
MIN_STEP_DEG: Final = 1.0
SAMPLE_TYPES: Final = {1: "b", 2: "h", 4: "i"}


class JawError(ValueError):
    """Audio that cannot give a jaw track, and why."""


@dataclass(frozen=True, slots=True)
class JawShape:
    """How the jaw follows the voice: its servo's frame rate, its response and its limits."""

    rate_hz: int = 25
    attack_ms: int = 15
    release_ms: int = 90
    closed: float = 0.0
    opened: float = 30.0
    # Loudness under this share of the loudest frame keeps the jaw shut.
    floor: float = 0.12


def jaw_track(data: bytes, shape: JawShape) -> list[tuple[int, float]]:
    """Return (ms from the track's start, servo position) keyframes for the WAV in ``data``."""
    levels = _frame_levels(data, shape.rate_hz)
    step_s = 1 / shape.rate_hz
    rise = 1 - math.exp(-step_s / max(shape.attack_ms / 1000, 1e-6))
    fall = 1 - math.exp(-step_s / max(shape.release_ms / 1000, 1e-6))
    loudest = max(levels, default=0.0)
    keys: list[tuple[int, float]] = []
    envelope = 0.0
    last: float | None = None
    for index, level in enumerate(levels):
        target = level / loudest if loudest > 0 else 0.0
        envelope += (target - envelope) * (rise if target > envelope else fall)
        opening = max(0.0, (envelope - shape.floor) / (1 - shape.floor))
        position = round(shape.closed + (shape.opened - shape.closed) * opening, 1)
        if last is None or abs(position - last) >= MIN_STEP_DEG:
            keys.append((round(index * 1000 / shape.rate_hz), position))
            last = position
    end = round(len(levels) * 1000 / shape.rate_hz)
    if last != shape.closed:
        keys.append((end, shape.closed))
    return keys


def _frame_levels(data: bytes, rate_hz: int) -> list[float]:
    """Return the RMS loudness (0..1) of each servo frame of the WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as audio:
            channels = audio.getnchannels()
            width = audio.getsampwidth()
            sample_rate = audio.getframerate()
            count = audio.getnframes()
            raw = audio.readframes(min(count, MAX_SECONDS * 384_000))
    except (wave.Error, EOFError, RuntimeError, ValueError, struct.error) as err:
        # The wave module answers a broken chunk with any of these.
        raise JawError(
            f"not a WAV file this reads: {err or type(err).__name__}"
        ) from None
    if width not in (1, 2, 3, 4):
        raise JawError(f"{width * 8}-bit samples are not PCM this reads")
    if not 1 <= sample_rate <= 384_000 or channels < 1:
        raise JawError(f"a {sample_rate} Hz, {channels}-channel WAV")
    if count / sample_rate > MAX_SECONDS:
        raise JawError(f"{count / sample_rate:.0f} s of audio; at most {MAX_SECONDS}")
    samples = _mono(raw, width, channels)
    if not samples:
        raise JawError("the WAV holds no samples")
    per_frame = max(1, round(sample_rate / rate_hz))
    peak = float(1 << (8 * width - 1))
    levels: list[float] = []
    for start in range(0, len(samples), per_frame):
        chunk = samples[start : start + per_frame]
        levels.append(math.sqrt(sum(s * s for s in chunk) / len(chunk)) / peak)
    return levels


def _mono(raw: bytes, width: int, channels: int) -> list[float]:
    """Return the samples, channels averaged, centred on 0."""
    if width == 3:
        # No array type holds 24 bits: widen each sample to 32.
        raw = b"".join(b"\x00" + raw[i : i + 3] for i in range(0, len(raw) - 2, 3))
        width = 4
        values = array("i", raw[: len(raw) // 4 * 4])
        scale = 1 / 256
    else:
        values = array(SAMPLE_TYPES[width], raw[: len(raw) // width * width])
        scale = 1.0
    if sys.byteorder == "big":
        values.byteswap()
    if width == 1:
        # 8-bit WAV is unsigned around 128.
        centred = [((v + 256) % 256 - 128) * 1.0 for v in values]
    else:
        centred = [v * scale for v in values]
    frames = len(centred) // channels
    return [
        sum(centred[i * channels : (i + 1) * channels]) / channels
        for i in range(frames)
    ]
