"""The cue list on the wire: packed into parts that fit, checked before sending, reports read strictly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.protocol.announce import parse_announce
from custom_components.propnet.protocol.cues import (
    PART_BYTES,
    Cue,
    clock_message,
    clock_topic,
    load_parts,
    parse_show_report,
)
from custom_components.propnet.protocol.decode import ProtocolError

cues = st.lists(
    st.builds(
        Cue,
        st.integers(0, 86_400_000),
        st.sampled_from(["on", "off", "set", "move", "play", "run"]),
        st.text("abcdefghij_", min_size=1, max_size=32),
        st.one_of(
            st.none(),
            st.integers(),
            st.dictionaries(st.sampled_from(["rgb", "on"]), st.integers(0, 255)),
        ),
        st.one_of(st.none(), st.integers(0, 60_000)),
    ).filter(lambda c: c.op != "set" or c.value is not None),
    max_size=400,
)


@settings(max_examples=60)
@given(cues)
def test_every_part_fits_and_together_they_are_the_whole_list_in_order(
    items: list[Cue],
) -> None:
    """Whatever the cues, each part stays under the limit and none is lost or reordered."""
    parts = load_parts("room", items)
    for params in parts:
        assert len(json.dumps(params["cues"], separators=(",", ":"))) <= PART_BYTES + 2
    sent = [cue for params in parts for cue in params["cues"]]
    assert sent == [c.wire() for c in sorted(items, key=lambda c: c.at_ms)]
    assert [p.get("part", 0) for p in parts] == list(range(len(parts)))
    assert not parts[-1].get("more")


@pytest.mark.parametrize(
    ("cue", "problem"),
    [
        (Cue(-1, "on", "lid"), "instant"),
        (Cue(0, "dance", "lid"), "not a cue"),
        (Cue(0, "set", "lid"), "set needs a value"),
        (Cue(0, "on", "lid", None, 70_000), "tolerance"),
    ],
)
def test_a_bad_cue_is_refused_before_sending(cue: Cue, problem: str) -> None:
    """The hub says what is wrong before anything reaches the prop."""
    with pytest.raises(ValueError, match=problem):
        load_parts("room", [cue])


def test_the_clock_message_names_port_and_host() -> None:
    """No host means: ask the broker's address."""
    assert clock_topic("propnet") == "propnet/_hub/clock"
    assert json.loads(clock_message("192.168.1.5", 41950)) == {
        "v": 1,
        "port": 41950,
        "host": "192.168.1.5",
    }
    assert json.loads(clock_message(None, 41950)) == {"v": 1, "port": 41950}


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["show", "run", "state", "cues", "fired"]),
                inner,
                max_size=5,
            )
        ),
    )
)
def test_a_report_is_read_or_refused_never_crashes(value: Any) -> None:
    """Any JSON at all: a ShowReport or a ProtocolError, nothing else."""
    try:
        report = parse_show_report(json.dumps(value))
    except ProtocolError:
        return
    assert isinstance(report.state, str)


def test_the_announce_says_whether_a_prop_runs_shows() -> None:
    """show.max_cues is the prop's limit; a malformed show part names its field."""
    base: dict[str, Any] = {"v": 1, "id": "p", "name": "P", "entities": []}
    assert parse_announce(json.dumps(base), "p").show_cues is None
    assert (
        parse_announce(
            json.dumps({**base, "show": {"v": 1, "max_cues": 64}}), "p"
        ).show_cues
        == 64
    )
    for bad, path in (
        ({"v": 2, "max_cues": 64}, "show.v"),
        ({"v": 1, "max_cues": 0}, "show.max_cues"),
        ("yes", "show"),
    ):
        with pytest.raises(ProtocolError) as err:
            parse_announce(json.dumps({**base, "show": bad}), "p")
        assert err.value.path == path
