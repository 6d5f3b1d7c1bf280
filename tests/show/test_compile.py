"""Show files: what a haunt builder writes becomes a checked show, and every mistake names its line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.protocol.cues import Cue
from custom_components.propnet.show.compile import ShowError, load_show

ROOM = """\
name: The crypt
restart: false
cues:
  - at: 0
    prop: coffin_jumper
    turn_on: {key: eyes, rgb: [255, 0, 0]}
  - at: 0.5
    prop: coffin_jumper
    run: scare
  - at: "0:01.25"
    prop: talking_skull
    move: {key: head, to: 30}
    tolerance: 0.05
  - at: 2
    prop: talking_skull
    play: {key: voice, track: welcome}
  - at: 1
    action: light.turn_on
    target: {entity_id: light.porch}
    data: {brightness: 40}
    lead: 0.2
duration: 12
"""


def test_a_room_show_reads_as_written() -> None:
    """Prop cues in the prop's own words, a Home Assistant action with its lead, a duration."""
    show = load_show(ROOM, "crypt.yaml", "crypt")
    assert show.title == "The crypt"
    assert show.props == ("coffin_jumper", "talking_skull")
    assert show.cues_of("coffin_jumper") == [
        Cue(0, "on", "eyes", {"rgb": [255, 0, 0]}, 20),
        Cue(500, "run", "scare", None, 20),
    ]
    assert show.cues_of("talking_skull") == [
        Cue(1250, "move", "head", 30, 50),
        Cue(2000, "play", "voice", "welcome", 20),
    ]
    (action,) = show.action_cues
    assert (action.domain, action.service, action.lead_ms) == ("light", "turn_on", 200)
    assert action.target == {"entity_id": "light.porch"}
    assert action.where.line == 17
    assert show.duration_ms == 12_000
    assert show.restart is False


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("cues:\n  - at: 1\n    prop: x\n", 2, "cues[0]: says what the prop does"),
        ("cues:\n  - prop: x\n    turn_on: lid\n", 2, "cues[0].at: is required"),
        (
            "cues:\n  - at: -1\n    prop: x\n    turn_on: lid\n",
            2,
            "cues[0].at: must be from 0",
        ),
        (
            "cues:\n  - at: soon\n    prop: x\n    turn_on: lid\n",
            2,
            "cues[0].at: must be seconds",
        ),
        (
            "cues:\n  - at: 0\n    prop: X!\n    turn_on: lid\n",
            3,
            "cues[0].prop: 'X!' is no prop id",
        ),
        (
            "cues:\n  - at: 0\n    prop: x\n    move: head\n",
            4,
            "cues[0].move: needs key and to",
        ),
        (
            "cues:\n  - at: 0\n    action: lights\n",
            3,
            "cues[0].action: must be domain.action",
        ),
        ("cues:\n  - at: 0\n    action: a.b\n    prop: x\n", 2, "not prop and action"),
        (
            "cues:\n  - at: 0\n    prop: x\n    turn_on: lid\n    colour: red\n",
            5,
            "cues[0].colour: unknown",
        ),
        ("cues: 3\n", 1, "cues: must be a list"),
        ("name: x\n", 1, "cues: is required"),
        ("cues: []\nduration: 1\nloop: true\n", 3, "loop: unknown"),
        (
            "cues:\n  - at: 5\n    prop: x\n    press: b\nduration: 2\n",
            5,
            "duration: the last cue is at 5 s",
        ),
        (
            "cues:\n  - at: 0\n    light: Par\n    fade: 1\n",
            3,
            "cues[0]: a light cue needs rgb or brightness",
        ),
        (
            "cues:\n  - at: 0\n    light: Par\n    rgb: [300, 0, 0]\n",
            4,
            "cues[0].rgb: must be [red, green, blue], 0-255",
        ),
        (
            (
                "cues:\n  - at: 0\n    light: Par\n    brightness: 9\n    fade: 1\n"
                "    flash: 0.5\n"
            ),
            6,
            "cues[0].flash: must be longer than the fade",
        ),
        (
            "cues:\n  - at: 0\n    prop: x\n    press: b\n    fade: 1\n",
            5,
            "cues[0].fade: only for a light",
        ),
        (
            "cues:\n  - at: 0\n    chase: [Left]\n    step: 0.1\n",
            3,
            "cues[0].chase: must list two fixtures or more",
        ),
        (
            "cues:\n  - at: 0\n    chase: [Left, Right]\n",
            3,
            "cues[0].step: a chase needs the seconds of each step",
        ),
        (
            "cues:\n  - at: 0\n    chase: [Left, Right]\n    step: 0.01\n",
            4,
            "cues[0].step: at least 0.025 s (one frame)",
        ),
        (
            (
                "cues:\n  - at: 0\n    chase: [Left, Right]\n    step: 0.1\n"
                "    times: 600\n"
            ),
            5,
            "cues[0]: a chase runs at most 1000 steps, not 1200",
        ),
        (
            "cues:\n  - at: 0\n    chase: [Left, Right]\n    step: 0.1\n    flash: 1\n",
            5,
            "cues[0].flash: a chase's steps are its step",
        ),
        (
            "cues:\n  - at: 0\n    light: Par\n    brightness: 9\n    times: 2\n",
            5,
            "cues[0].times: only for a chase",
        ),
        (
            "cues:\n  - at: 0\n    action: light.turn_on\n    lead: soon\n",
            4,
            "cues[0].lead (seconds, or measured): must be seconds",
        ),
        ("cues: []\ncycle:\n  cooldown: soon\n", 3, "cycle.cooldown: must be seconds"),
        (
            "cues: []\ncycle:\n  trigger: {to: 'on'}\n",
            3,
            "cycle.trigger: needs an entity_id (and optionally to) or an event",
        ),
        (
            "cues: []\ncycle:\n  trigger: {entity_id: Motion}\n",
            3,
            "cycle.trigger.entity_id: 'Motion' is no entity id",
        ),
        (
            "cues: []\ncycle:\n  quiet: {from: '25:00', until: '08:00'}\n",
            3,
            'cycle.quiet.from: must be a time like "23:00"',
        ),
        ("cues: []\ncycle:\n  per_hour: 0\n", 3, "cycle.per_hour: must be a whole"),
        (
            "cues: []\ncycle:\n  idle:\n    cues: []\n",
            4,
            "cycle.idle: a loop runs at least 1 s",
        ),
        ("cues: []\ncycle:\n  rearm: 3\n", 3, "cycle.rearm: unknown"),
        ("cues: [\n", 2, "not YAML"),
        ("", 1, "the file is empty"),
    ],
)
def test_every_mistake_names_its_file_and_line(
    text: str, line: int, message: str
) -> None:
    """The error says where, as propnet-firmware validate does."""
    with pytest.raises(ShowError) as err:
        load_show(text, "room.yaml", "room")
    places = [(w.file, w.line, m) for w, m in err.value.problems]
    assert any(f == "room.yaml" and n == line and message in m for f, n, m in places), (
        places
    )


HAUNT = """\
name: Crypt
cycle:
  trigger: {entity_id: binary_sensor.crypt_motion, to: on}
  cooldown: 30
  armed: false
  quiet: {from: "23:00", until: "08:30"}
  per_hour: 12
  idle:
    duration: 8
    cues:
      - {at: 0, light: Wash, rgb: [0, 0, 60], fade: 2}
      - {at: 4, action: media_player.play_media, target: {entity_id: media_player.crypt}}
cues:
  - {at: 0, light: Wash, brightness: 0, fade: 2}
  - {at: 2.5, light: Strobe, brightness: 255, flash: 0.1}
  - {at: 2.5, prop: coffin, run: scare}
"""


def test_a_haunt_room_reads_as_written() -> None:
    """Light cues, the cycle's trigger, cooldown, quiet hours, limit and idle loop."""
    show = load_show(HAUNT, "crypt.yaml", "crypt")
    assert show.fixtures == ("Wash", "Strobe")
    wash, strobe = show.light_cues
    assert (wash.at_ms, wash.rgb, wash.brightness, wash.fade_ms) == (0, None, 0, 2000)
    assert (strobe.at_ms, strobe.flash_ms, strobe.brightness) == (2500, 100, 255)
    assert show.duration_ms == 2600  # the strobe is back at 2.6 s
    cycle = show.cycle
    assert cycle is not None
    assert cycle.trigger is not None
    # YAML's bare on is a boolean; the trigger wants the state "on".
    assert (cycle.trigger.entity_id, cycle.trigger.to) == (
        "binary_sensor.crypt_motion",
        "on",
    )
    assert (cycle.cooldown_ms, cycle.armed, cycle.per_hour) == (30_000, False, 12)
    assert cycle.quiet == (23 * 60, 8 * 60 + 30)
    assert cycle.idle is not None
    assert cycle.idle.duration_ms == 8000
    assert len(cycle.idle.light_cues) == 1
    assert len(cycle.idle.action_cues) == 1


def test_a_file_name_must_be_a_show_name() -> None:
    """The show's name comes from its file; it must make a good entity id."""
    with pytest.raises(ShowError, match="no show name"):
        load_show("cues: []\n", "Room Show.yaml", "Room Show")


@settings(max_examples=150)
@given(st.text(max_size=300))
def test_any_text_is_a_show_or_a_show_error(text: str) -> None:
    """Nothing a user types crashes the loader."""
    problems: list[object] = []
    try:
        load_show(text, "x.yaml", "x")
    except ShowError as err:
        problems = list(err.problems)
        assert problems, "a ShowError names at least one problem"


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "docs" / "shows").glob("*.yaml"))
)
def test_the_shows_in_the_docs_load(path: Path) -> None:
    """The demo's room show (and any example) is a show the loader takes."""
    show = load_show(path.read_text(), path.name, path.stem)
    assert show.cues_of("coffin_jumper") or show.light_cues


def test_a_chase_is_each_fixture_in_turn_for_one_step() -> None:
    """Three lamps, 0.15 s a step, twice round: six flashes one after the other, each back after its step."""
    show = load_show(
        "cues:\n"
        "  - {at: 1, chase: [Left, Middle, Right], step: 0.15, times: 2,"
        " rgb: [255, 255, 255]}\n",
        "room.yaml",
        "room",
    )
    steps = [(c.at_ms, c.fixture, c.flash_ms, c.rgb) for c in show.light_cues]
    assert steps == [
        (1000, "Left", 150, (255, 255, 255)),
        (1150, "Middle", 150, (255, 255, 255)),
        (1300, "Right", 150, (255, 255, 255)),
        (1450, "Left", 150, (255, 255, 255)),
        (1600, "Middle", 150, (255, 255, 255)),
        (1750, "Right", 150, (255, 255, 255)),
    ]
    assert show.duration_ms >= 1900


def test_an_action_may_have_its_lead_measured() -> None:
    """``lead: measured`` marks the cue; its lead is 0 until PropNet has timed it, kept by action and entities."""
    show = load_show(
        "cues:\n"
        "  - {at: 1, action: light.turn_on, lead: measured,"
        " target: {entity_id: [light.b, light.a]}}\n",
        "room.yaml",
        "room",
    )
    (cue,) = show.action_cues
    assert (cue.measured, cue.lead_ms) == (True, 0)
    assert cue.measure_key == "light.turn_on light.a light.b"
