"""Fixtures on the universe and fades that never jump."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.propnet.lighting.universe import (
    Fixture,
    FixtureError,
    Layout,
    Level,
    Universe,
    parse_fixtures,
    render,
)

RED = Level(255, 0, 0, 255)


def test_fixtures_are_read_one_per_line() -> None:
    """Names, start channels and layouts, with comments and blank lines skipped."""
    fixtures = parse_fixtures(
        "# the haunted hall\nEyes, 1, rgb\n\nWash, 4, RGBW\nSpot, 8, dimmer+rgb\nFog light, 12, dimmer\n"
    )
    assert fixtures == [
        Fixture("Eyes", 1, Layout.RGB),
        Fixture("Wash", 4, Layout.RGBW),
        Fixture("Spot", 8, Layout.DIMMER_RGB),
        Fixture("Fog light", 12, Layout.DIMMER),
    ]
    assert [f.end for f in fixtures] == [3, 7, 11, 12]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Eyes, 1", "line 1: write name, start channel, layout"),
        ("Eyes, 0, rgb", "line 1: the start channel must be 1 to 512"),
        ("Eyes, x, rgb", "the start channel must be 1 to 512"),
        ("Eyes, 1, hsv", "layout 'hsv' is not one of rgb, rgbw, dimmer_rgb, dimmer"),
        ("Eyes, 511, rgbw", "Eyes runs past channel 512"),
        ("Eyes, 1, rgb\neyes, 10, rgb", "line 2: the name 'eyes' is used twice"),
        ("Eyes, 1, rgb\nWash, 3, rgb", "line 2: Wash shares channels with Eyes"),
        (", 1, rgb", "write name"),
    ],
)
def test_bad_fixture_lists_name_the_line(text: str, words: str) -> None:
    """Every mistake is reported with its line."""
    with pytest.raises(FixtureError, match=words):
        parse_fixtures(text)


def test_layouts_render_their_channels() -> None:
    """RGB scales by brightness, RGBW pulls out white, dimmer layouts carry it apart."""
    half_white = Level(255, 255, 255, 128)
    assert render(Layout.RGB, RED) == (255, 0, 0)
    assert render(Layout.RGB, Level(255, 100, 0, 0)) == (0, 0, 0)
    assert render(Layout.RGBW, half_white) == (0, 0, 0, 128)
    assert render(Layout.RGBW, Level(255, 128, 0, 255)) == (255, 128, 0, 0)
    assert render(Layout.DIMMER_RGB, Level(10, 20, 30, 200)) == (200, 10, 20, 30)
    assert render(Layout.DIMMER, Level(10, 20, 30, 77)) == (77,)


def test_a_frame_covers_the_patched_range() -> None:
    """Each fixture's values land on its channels."""
    universe = Universe(parse_fixtures("Eyes, 1, rgb\nSpot, 6, dimmer_rgb"))
    assert universe.size == 9
    universe.set("Eyes", RED, now=0)
    universe.set("Spot", Level(0, 0, 255, 255), now=0)
    assert universe.frame(0) == bytes([255, 0, 0, 0, 0, 255, 0, 0, 255])


def test_a_fade_moves_from_where_it_is() -> None:
    """A fade is rendered in steps, and a new fade starts from the current value."""
    universe = Universe([Fixture("Eyes", 1, Layout.DIMMER)])
    universe.set("Eyes", Level(brightness=200), now=0, seconds=2)
    assert universe.fading(1)
    assert universe.frame(0) == bytes([0])
    assert universe.frame(1) == bytes([100])
    universe.set("Eyes", Level(brightness=0), now=1, seconds=1)  # turn back midway
    assert universe.frame(1) == bytes([100])  # no jump
    assert universe.frame(1.5) == bytes([50])
    assert universe.frame(2) == bytes([0])
    assert not universe.fading(2)
    assert universe.target("Eyes") == Level(brightness=0)


@given(
    st.lists(
        st.tuples(st.integers(0, 255), st.floats(0, 3), st.floats(0, 1)),
        min_size=1,
        max_size=8,
    )
)
def test_fades_never_jump(steps: list[tuple[int, float, float]]) -> None:
    """Between frames 25 ms apart, a fade moves at most its own speed's worth."""
    universe = Universe([Fixture("Eyes", 1, Layout.DIMMER)])
    now = 0.0
    shown = universe.frame(now)[0]
    for brightness, seconds, wait in steps:
        universe.set("Eyes", Level(brightness=brightness), now=now, seconds=seconds)
        if seconds >= 0.001:  # a fade starts where the fixture is: no jump
            assert universe.frame(now)[0] == shown
        shown = universe.frame(now)[0]
        end = now + wait
        while now < end:
            now = min(end, now + 0.025)
            value = universe.frame(now)[0]
            if seconds > 0.025:
                assert abs(value - shown) <= 255 * 0.025 / seconds + 1
            shown = value
