"""Jaw tracks from WAV files: the jaw opens with the voice, shuts in the pauses, and a file that is not a WAV is a clear error."""

from __future__ import annotations

import io
import math
import wave

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.show.compile import ShowError, load_show
from custom_components.propnet.show.jaw import JawError, JawShape, jaw_track


def speech(width: int = 2, channels: int = 1, rate: int = 8000) -> bytes:
    """Return a WAV: 0.4 s of silence, 0.4 s of a loud 220 Hz tone, 0.4 s of silence."""
    peak = (1 << (8 * width - 1)) - 1
    samples: list[int] = []
    for n in range(int(rate * 1.2)):
        loud = 0.4 <= n / rate < 0.8
        value = (
            round(peak * 0.8 * math.sin(2 * math.pi * 220 * n / rate)) if loud else 0
        )
        samples.extend([value] * channels)
    if width == 1:
        raw = bytes((v + 128) % 256 for v in samples)
    else:
        raw = b"".join(v.to_bytes(width, "little", signed=True) for v in samples)
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(width)
        audio.setframerate(rate)
        audio.writeframes(raw)
    return out.getvalue()


@pytest.mark.parametrize(
    ("width", "channels"), [(1, 1), (2, 1), (2, 2), (3, 1), (4, 2)]
)
def test_the_jaw_opens_with_the_voice_and_shuts_after(
    width: int, channels: int
) -> None:
    """Shut in the silence, open to the limit within the attack, shut again within the release."""
    keys = jaw_track(speech(width, channels), JawShape(rate_hz=25, closed=5, opened=35))
    assert keys[0] == (0, 5.0)
    opened = [at for at, position in keys if position >= 33]
    assert opened, keys
    # The tone starts at 400 ms: the jaw is near open within two servo frames.
    assert 400 <= opened[0] <= 480, keys
    shut = [at for at, position in keys if at > 800 and position <= 6]
    assert shut, keys
    assert shut[0] <= 800 + 400, keys
    assert keys[-1][1] == 5.0
    assert all(5 <= p <= 35 for _, p in keys)
    # Keyframes only where the jaw moves: far fewer than one per frame.
    assert len(keys) < 1.2 * 25


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not a WAV file"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "not a WAV file"),
        (b"ID3" + bytes(100), "not a WAV file"),
        (speech()[:44], "holds no samples"),
    ],
)
def test_audio_that_is_not_a_wav_is_a_clear_error(data: bytes, words: str) -> None:
    """An MP3, a cut header, an empty WAV: what is wrong, never a crash."""
    with pytest.raises(JawError, match=words):
        jaw_track(data, JawShape())


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=80))
def test_any_bytes_are_a_track_or_a_clear_error(noise: bytes, at: int) -> None:
    """Random bytes, and a WAV with its header overwritten, give a track or a JawError."""
    good = speech(rate=2000)
    for data in (noise, good[:at] + noise + good[at + len(noise) :]):
        try:
            keys = jaw_track(data, JawShape())
        except JawError as err:
            keys, message = [], str(err)
        else:
            message = "a track"
        assert message
        assert all(0 <= p <= 30 for _, p in keys)


def test_a_play_cue_with_a_jaw_sends_the_jaw_its_moves_beside_the_track() -> None:
    """The show's cue list for the skull has the play and the jaw's keyframes after it."""
    show = load_show(
        "cues:\n"
        "  - at: 2\n"
        "    prop: talking_skull\n"
        "    play: {key: voice, track: welcome}\n"
        "    jaw: {key: jaw, audio: welcome.wav, open: 40, release: 0.1}\n",
        "crypt.yaml",
        "crypt",
        {"welcome.wav": speech()}.__getitem__,
    )
    cues = show.cues_of("talking_skull")
    assert cues[0].op == "play"
    moves = [c for c in cues if c.op == "move"]
    assert moves
    assert all(c.key == "jaw" and c.at_ms >= 2000 for c in moves)
    assert max(c.value for c in moves) >= 38
    assert show.duration_ms == moves[-1].at_ms


@pytest.mark.parametrize(
    ("jaw", "words"),
    [
        ("{key: jaw, audio: welcome.mp3}", "jaw.audio: must be a .wav file"),
        ("{audio: welcome.wav}", "jaw.key: must be the jaw servo's key"),
        ("{key: jaw, audio: other.wav}", "jaw.audio: other.wav: No such file"),
        ("{key: jaw, audio: broken.wav}", "jaw.audio: broken.wav: not a WAV file"),
        ("{key: jaw, audio: welcome.wav, rate: 1000}", "jaw.rate: must be 5 to 100"),
        ("{key: jaw, audio: welcome.wav, volume: 3}", "jaw.volume: unknown"),
    ],
)
def test_a_bad_jaw_names_the_show_file_and_line(jaw: str, words: str) -> None:
    """Each mistake is the show's error with its line."""
    files = {"welcome.wav": speech(), "broken.wav": b"RIFF1234"}

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[name]

    with pytest.raises(ShowError) as err:
        load_show(
            f"cues:\n  - at: 0\n    prop: skull\n    play: {{key: voice, track: hi}}\n"
            f"    jaw: {jaw}\n",
            "crypt.yaml",
            "crypt",
            read,
        )
    assert any(words in m for _, m in err.value.problems), err.value.problems


def test_a_jaw_goes_only_with_play() -> None:
    """A jaw beside a move says where it belongs."""
    with pytest.raises(ShowError, match="jaw: only with play"):
        load_show(
            "cues:\n  - {at: 0, prop: skull, move: {key: head, to: 3}, jaw: {key: jaw}}\n",
            "crypt.yaml",
            "crypt",
        )
