"""Fixtures of every kind on their universes, their channels, and fades that never jump."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, strategies as st
import pytest

from custom_components.propnet.lighting.universe import (
    Fixture,
    FixtureError,
    Kind,
    Level,
    Patch,
    parse_fixtures,
    primary_level,
    render,
)

RED = Level(255, 0, 0, 255)


def test_fixtures_are_read_one_per_line() -> None:
    """Names, start channels and kinds, with comments and blank lines skipped."""
    fixtures = parse_fixtures(
        "# the haunted hall\nEyes, 1, rgb\n\nWash, 4, RGBW\nSpot, 8, dimmer+rgb\n"
        "Fog light, 12, dimmer\n"
    )
    assert fixtures == [
        Fixture("Eyes", 1, Kind.RGB),
        Fixture("Wash", 4, Kind.RGBW),
        Fixture("Spot", 8, Kind.DIMMER_RGB),
        Fixture("Fog light", 12, Kind.DIMMER),
    ]
    assert [f.end for f in fixtures] == [3, 7, 11, 12]


def test_kinds_options_and_universes() -> None:
    """16-bit dimmers, channel order, kelvin ranges, named channels, other universes."""
    fixtures = parse_fixtures(
        "Main, 1, rgb\n"
        "Par, 2/10, rgbw, order=grbw\n"
        "Panel, 2/20, cct, kelvin=3000-5600\n"
        "Strip, 2/30, rgbww\n"
        "Dimmer pack, 40, dimmer, 16bit\n"
        "Spot, 50, dimmer_rgb, 16bit, order=rgbd\n"
        "Mover, 3/1, channels, pan, tilt, speed\n"
    )
    by_name = {f.name: f for f in fixtures}
    assert by_name["Par"] == Fixture("Par", 10, Kind.RGBW, universe=2, order="grbw")
    assert by_name["Panel"].kelvin == (3000, 5600)
    assert [by_name[n].width for n in ("Strip", "Dimmer pack", "Spot", "Mover")] == [
        5,
        2,
        5,
        3,
    ]
    assert by_name["Mover"].channels == ("pan", "tilt", "speed")
    assert Patch(fixtures).universes == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Eyes, 1", "line 1: write name, \\[universe/\\]start channel, kind"),
        ("Eyes, 0, rgb", "line 1: the start channel must be 1 to 512"),
        ("Eyes, x, rgb", "the start channel must be 1 to 512"),
        ("Eyes, 0/1, rgb", "the universe must be 1 to 63999"),
        ("Eyes, 1, hsv", "kind 'hsv' is not one of dimmer, rgb, rgbw"),
        ("Eyes, 511, rgbw", "Eyes runs past channel 512; a fixture stays in one"),
        ("Eyes, 1, rgb\neyes, 10, rgb", "line 2: the name 'eyes' is used twice"),
        ("Eyes, 1, rgb\nWash, 3, rgb", "line 2: Wash shares channels with Eyes"),
        (", 1, rgb", "write name"),
        ("Eyes, 1, rgb, 16bit", "only a dimmer channel can be 16-bit"),
        ("Eyes, 1, rgb, order=rgg", "order must use the letters rgb once each"),
        ("Eyes, 1, rgb, kelvin=2700-6500", "only cct and rgbww take kelvin"),
        ("Eyes, 1, cct, kelvin=6500-2700", "write kelvin=warm-cold"),
        ("Eyes, 1, rgb, sparkle", "unknown option 'sparkle'"),
        ("Mover, 1, channels, pan", "the first fixture follows the RGB channel"),
        ("Eyes, 1, rgb\nMover, 9, channels", "a channels fixture names its channels"),
        ("Eyes, 1, rgb\nMover, 9, channels, pan tilt", "must be a letter, then"),
        ("Eyes, 1, rgb\nMover, 9, channels, pan, pan", "a channel name is used twice"),
    ],
)
def test_bad_fixture_lists_name_the_line(text: str, words: str) -> None:
    """Every mistake is reported with its line."""
    with pytest.raises(FixtureError, match=words):
        parse_fixtures(text)


def fixture(line: str) -> Fixture:
    """Return the fixture of one line."""
    (found,) = parse_fixtures(line)
    return found


def test_each_kind_puts_its_channels_on_the_wire() -> None:
    """Channel values for a few colours and brightnesses, in each kind's order."""
    half_white = Level(255, 255, 255, 128)
    assert render(fixture("A, 1, rgb"), RED) == (255, 0, 0)
    assert render(fixture("A, 1, rgb"), Level(255, 100, 0, 0)) == (0, 0, 0)
    assert render(fixture("A, 1, rgb, order=grb"), Level(10, 20, 30, 255)) == (
        20,
        10,
        30,
    )
    assert render(fixture("A, 1, rgbw"), Level(255, 128, 0, 255, w=200)) == (
        255,
        128,
        0,
        200,
    )
    assert render(fixture("A, 1, rgbw"), replace(half_white, w=255)) == (
        128,
        128,
        128,
        128,
    )
    assert render(fixture("A, 1, rgbww"), Level(0, 0, 0, 255, cold=40, warm=200)) == (
        0,
        0,
        0,
        40,
        200,
    )
    assert render(fixture("A, 1, dimmer_rgb"), Level(10, 20, 30, 200)) == (
        200,
        10,
        20,
        30,
    )
    assert render(fixture("A, 1, dimmer"), Level(10, 20, 30, 77)) == (77,)
    # 16-bit: brightness 128 of 255 is 32896 of 65535, coarse then fine.
    assert render(fixture("A, 1, dimmer, 16bit"), Level(brightness=128)) == (128, 128)
    assert render(fixture("A, 1, dimmer, 16bit"), Level(brightness=255)) == (255, 255)
    assert render(
        fixture("A, 1, dimmer_rgb, 16bit, order=rgbd"), Level(1, 2, 3, 255)
    ) == (1, 2, 3, 255, 255)
    panel = fixture("A, 1, cct, kelvin=3000-6000")
    assert render(panel, Level(brightness=255, kelvin=6000)) == (255, 0)
    assert render(panel, Level(brightness=255, kelvin=3000)) == (0, 255)
    assert render(panel, Level(brightness=128, kelvin=4500)) == (64, 64)
    mover = fixture("A, 1, rgb\nM, 4, channels, pan, tilt".splitlines()[0])
    assert render(mover, RED) == (255, 0, 0)
    (_, movers) = parse_fixtures("A, 1, rgb\nM, 4, channels, pan, tilt")
    assert render(movers, Level(values=(10.0, 250.0))) == (10, 250)
    assert render(movers, Level()) == (0, 0)


def test_the_primary_fixture_follows_the_rgb_channel() -> None:
    """RGB as is; an RGBW fixture takes the shared white on its white LEDs; a dimmer the peak."""
    assert primary_level(Kind.RGB, 10, 20, 30) == Level(10, 20, 30, 255)
    assert primary_level(Kind.RGBW, 40, 100, 200) == Level(
        0, 60, 160, 255, w=40, cold=20, warm=20
    )
    assert primary_level(Kind.DIMMER, 40, 100, 200) == Level(brightness=200)
    assert primary_level(Kind.DIMMER, 0, 0, 0) == Level(brightness=0)


def test_a_frame_covers_the_patched_range() -> None:
    """Each fixture's values land on its channels."""
    universe = Patch(
        parse_fixtures("Eyes, 1, rgb\nSpot, 6, dimmer_rgb\nFar, 2/3, dimmer")
    )
    assert universe.sizes == {1: 9, 2: 3}
    universe.set("Eyes", RED, now=0)
    universe.set("Spot", Level(0, 0, 255, 255), now=0)
    universe.set("Far", Level(brightness=9), now=0)
    assert universe.frame(0) == bytes([255, 0, 0, 0, 0, 255, 0, 0, 255])
    assert universe.frames(0) == {1: universe.frame(0), 2: bytes([0, 0, 9])}


def test_a_fade_moves_from_where_it_is() -> None:
    """A fade is rendered in steps, and a new fade starts from the current value."""
    universe = Patch([Fixture("Eyes", 1, Kind.DIMMER)])
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
    universe = Patch([Fixture("Eyes", 1, Kind.DIMMER)])
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
