"""What show lighting saves reads back the same, and old saves still read."""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.propnet.lighting.saved import dump, load
from custom_components.propnet.lighting.universe import Level
from custom_components.propnet.protocol.rgb import RgbState

channels = st.integers(0, 255)


@given(
    r=channels,
    g=channels,
    b=channels,
    seq=st.integers(0, 2**40),
    last=st.tuples(channels, channels, channels),
    dedupe=st.lists(st.tuples(st.text(min_size=1, max_size=26), st.floats(0, 1e10))),
)
def test_what_is_saved_reads_back_the_same(
    r: int,
    g: int,
    b: int,
    seq: int,
    last: tuple[int, int, int],
    dedupe: list[tuple[str, float]],
) -> None:
    """The colour, seq, dedupe memory, fixture levels and last colour survive a save."""
    state = RgbState(
        r, g, b, seq, ts=1234, src="knob", cmd_id="01HZX3YJ9YJ3M5QAZ3GZ8K3QFF"
    )
    levels = {"Wash": Level(r=1, g=2, b=3, brightness=200, values=(4, 5))}
    saved = load(dump(state, dedupe, levels, last))
    assert saved.state == state
    assert saved.dedupe == dedupe
    assert saved.levels == levels
    assert saved.last_color == last


def test_nothing_saved_and_an_older_level_read_back() -> None:
    """A fresh entry has nothing; a level saved before fixture kinds lacks fields."""
    assert load({}).state is None
    assert load({}).last_color is None
    old = load({"fixtures": {"Wash": {"r": 255, "brightness": 10}}})
    assert old.levels["Wash"].brightness == 10
