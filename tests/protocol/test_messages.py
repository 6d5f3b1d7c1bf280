"""Parsing what props send: the examples of protocol.md and every way to get it wrong."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.protocol.announce import (
    MAX_ANNOUNCE_BYTES,
    UnsupportedVersionError,
    parse_announce,
    pattern_problem,
)
from custom_components.propnet.protocol.commands import (
    build_command,
    is_ulid,
    new_ulid,
)
from custom_components.propnet.protocol.decode import ProtocolError, decode
from custom_components.propnet.protocol.messages import (
    Ack,
    parse_ack,
    parse_availability,
    parse_event,
    parse_log,
)
from custom_components.propnet.protocol.values import (
    ValueProblem,
    light_problem,
    parse_values,
)

COFFIN: dict[str, Any] = {
    "v": 1,
    "id": "coffin_jumper",
    "name": "Coffin Jumper",
    "model": "coffin_jumper",
    "manufacturer": "PropNet",
    "sw_version": "1.0.0",
    "hw_version": "esp32",
    "mac": "a4:cf:12:00:00:01",
    "ip": "192.168.1.50",
    "entities": [
        {"key": "lid", "type": "switch", "name": "Lid", "icon": "mdi:coffin"},
        {"key": "scare", "type": "button", "name": "Scare"},
        {
            "key": "motion",
            "type": "binary_sensor",
            "device_class": "motion",
            "name": "Motion",
        },
        {
            "key": "triggers",
            "type": "sensor",
            "state_class": "total_increasing",
            "name": "Triggers",
        },
        {"key": "eyes", "type": "light", "color_modes": ["rgb"], "name": "Eyes"},
        {
            "key": "delay",
            "type": "number",
            "min": 0,
            "max": 30,
            "step": 0.5,
            "unit": "s",
            "name": "Delay",
            "category": "config",
        },
        {
            "key": "mode",
            "type": "select",
            "options": ["idle", "armed", "show"],
            "name": "Mode",
        },
        {
            "key": "scared",
            "type": "event",
            "event_types": ["scare", "abort"],
            "name": "Scared",
        },
        {
            "key": "rssi",
            "type": "sensor",
            "device_class": "signal_strength",
            "unit": "dBm",
            "category": "diagnostic",
            "enabled": False,
        },
    ],
}


def coffin(**changes: Any) -> bytes:
    """Return the coffin jumper's announce with top-level fields changed."""
    return json.dumps({**COFFIN, **changes}).encode()


def with_entity(entity: dict[str, Any]) -> bytes:
    """Return an announce holding only ``entity``."""
    return coffin(entities=[entity])


def test_the_coffin_jumper_example_parses() -> None:
    """The example announce of the contract is accepted field by field."""
    announce = parse_announce(coffin(), "coffin_jumper")
    assert announce.name == "Coffin Jumper"
    assert announce.mac == "a4:cf:12:00:00:01"
    assert announce.configuration_url == "http://192.168.1.50/"
    assert [e.key for e in announce.entities] == [e["key"] for e in COFFIN["entities"]]
    rssi = announce.entity("rssi")
    assert rssi is not None
    assert rssi.enabled is False
    assert rssi.category == "diagnostic"
    assert rssi.unit == "dBm"
    delay = announce.entity("delay")
    assert delay is not None
    assert (delay.min, delay.max, delay.step) == (0, 30, 0.5)
    mode = announce.entity("mode")
    assert mode is not None
    assert mode.options == ("idle", "armed", "show")
    assert announce.entity("nothing") is None


def test_url_overrides_ip_and_none_without_either() -> None:
    """The configuration link follows url, then ip."""
    assert (
        parse_announce(
            coffin(url="http://eyes.local/cfg"), "coffin_jumper"
        ).configuration_url
        == "http://eyes.local/cfg"
    )
    bare = {k: v for k, v in COFFIN.items() if k != "ip"}
    assert parse_announce(json.dumps(bare), "coffin_jumper").configuration_url is None


def test_names_default_from_key_and_null_means_main_feature() -> None:
    """A missing name reads the key; null makes the entity the device's main one."""
    announce = parse_announce(
        coffin(
            entities=[
                {"key": "lid_switch", "type": "switch"},
                {"key": "main", "type": "light", "name": None},
            ]
        ),
        "coffin_jumper",
    )
    assert announce.entities[0].name == "Lid switch"
    assert announce.entities[1].name is None
    assert announce.entities[1].color_modes == ("onoff",)


def test_identical_announces_are_equal() -> None:
    """A replayed announce compares equal, so the hub can ignore it."""
    assert parse_announce(coffin(), "coffin_jumper") == parse_announce(
        coffin(), "coffin_jumper"
    )
    assert parse_announce(coffin(), "coffin_jumper") != parse_announce(
        coffin(name="Coffin"), "coffin_jumper"
    )


@pytest.mark.parametrize(
    ("payload", "reason", "words"),
    [
        (b"\xff\xfe", "not_utf8", "not UTF-8"),
        (b"{", "invalid_json", "not JSON"),
        (b"[1]", "not_an_object", "not a list"),
        (b" " * (MAX_ANNOUNCE_BYTES + 1), "too_large", "16384 byte limit"),
        (coffin(v="1"), "invalid", "v: must be a whole number"),
        (coffin(v=0), "invalid", "v: must be"),
        (coffin(id="eyes"), "id_mismatch", "differs from the topic's id"),
        (coffin(id=None), "invalid", "id: is required"),
        (coffin(name=""), "invalid", "name: must be 1 to 64"),
        (coffin(name="x" * 65), "invalid", "name: must be 1 to 64"),
        (coffin(name=3), "invalid", "name: must be a string, not a number"),
        (coffin(entities={}), "invalid", "entities: must be a list"),
        (
            coffin(entities=[{"key": "a", "type": "switch"}] * 2),
            "invalid",
            "'a' is used twice",
        ),
        (
            coffin(entities=[{"key": f"k{i}", "type": "switch"} for i in range(65)]),
            "invalid",
            "at most 64",
        ),
        (with_entity("lid"), "invalid", "entities[0]: must be an object"),
        (with_entity({"type": "switch"}), "invalid", "entities[0].key: is required"),
        (
            with_entity({"key": "Lid", "type": "switch"}),
            "invalid",
            "not a valid entity key",
        ),
        (with_entity({"key": "lid"}), "invalid", "entities[0].type: is required"),
        (with_entity({"key": "lid", "type": "fan"}), "invalid", "type: must be one of"),
        (
            with_entity({"key": "lid", "type": "switch", "category": "x"}),
            "invalid",
            "category: must be one of config, diagnostic",
        ),
        (
            with_entity({"key": "lid", "type": "switch", "enabled": "no"}),
            "invalid",
            "enabled: must be true or false",
        ),
        (
            with_entity({"key": "m", "type": "select"}),
            "invalid",
            "options: is required",
        ),
        (
            with_entity({"key": "m", "type": "select", "options": []}),
            "invalid",
            "options: must not be empty",
        ),
        (
            with_entity({"key": "m", "type": "select", "options": ["a", "a"]}),
            "invalid",
            "must not repeat",
        ),
        (
            with_entity({"key": "m", "type": "select", "options": [1]}),
            "invalid",
            "list of non-empty strings",
        ),
        (
            with_entity({"key": "e", "type": "light", "color_modes": ["hs"]}),
            "invalid",
            "hs not among",
        ),
        (
            with_entity(
                {"key": "e", "type": "light", "min_kelvin": 6000, "max_kelvin": 2000}
            ),
            "invalid",
            "min_kelvin: must not exceed max_kelvin",
        ),
        (
            with_entity({"key": "e", "type": "light", "min_kelvin": 50}),
            "invalid",
            "min_kelvin: must be a whole number 1000..20000",
        ),
        (
            with_entity({"key": "d", "type": "number", "min": 5, "max": 1}),
            "invalid",
            "min: must not exceed max",
        ),
        (
            with_entity({"key": "d", "type": "number", "step": 0}),
            "invalid",
            "step: must be above 0",
        ),
        (
            with_entity({"key": "d", "type": "number", "max": True}),
            "invalid",
            "max: must be a number, not a boolean",
        ),
        (
            with_entity({"key": "s", "type": "sensor", "precision": 1.5}),
            "invalid",
            "precision: must be a whole number",
        ),
        (
            with_entity({"key": "ev", "type": "event"}),
            "invalid",
            "event_types: is required",
        ),
        (
            with_entity({"key": "sir", "type": "siren", "volume": 1}),
            "invalid",
            "volume: must be true or false",
        ),
    ],
)
def test_bad_announces_are_refused_with_the_field_named(
    payload: bytes, reason: str, words: str
) -> None:
    """Each broken announce raises a ProtocolError saying which field is wrong."""
    with pytest.raises(
        ProtocolError, match=words.replace("[", r"\[").replace("]", r"\]")
    ) as err:
        parse_announce(payload, "coffin_jumper")
    assert err.value.reason == reason


def test_deep_nesting_is_refused_not_crashed() -> None:
    """A payload nested deeper than the parser goes is an invalid payload."""
    with pytest.raises(ProtocolError, match="recursion") as err:
        decode(b"[" * 100_000, limit=1 << 20)
    assert err.value.reason == "invalid_json"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"temp": NaN, "lid": true}',
        b'{"temp": Infinity}',
        b'{"temp": -Infinity}',
        b'{"temp": 1e400}',
        b'{"name": "\\ud800"}',
    ],
)
def test_what_is_not_json_is_refused_whole(payload: bytes) -> None:
    """NaN, infinities and lone surrogates are not JSON (RFC 8259): no value of it counts."""
    announce = parse_announce(coffin(), "coffin_jumper")
    with pytest.raises(ProtocolError, match="payload is not JSON") as err:
        parse_values(payload, announce, sensors_only=False)
    assert err.value.reason == "invalid_json"


def test_not_utf8_is_told_apart_from_not_json() -> None:
    """Bytes that are not UTF-8 are refused as such, before any JSON is read."""
    with pytest.raises(ProtocolError, match="not UTF-8") as err:
        decode(b'{"name": "\xff"}')
    assert err.value.reason == "not_utf8"
    with pytest.raises(ProtocolError, match="over the 4096 byte limit") as err:
        decode("é" * 2049)  # 2,049 characters, 4,098 bytes
    assert err.value.reason == "too_large"


def test_a_newer_protocol_version_is_reported_as_such() -> None:
    """Version 2 is not garbage: it gets its own error so the user can be told."""
    with pytest.raises(UnsupportedVersionError) as err:
        parse_announce(coffin(v=2), "coffin_jumper")
    assert err.value.version == 2
    assert err.value.reason == "unsupported_version"


def test_unknown_device_classes_are_dropped_with_a_warning() -> None:
    """A class this Home Assistant lacks does not cost the prop its entity."""
    announce = parse_announce(
        coffin(), "coffin_jumper", {"binary_sensor": frozenset({"door"})}
    )
    motion = announce.entity("motion")
    assert motion is not None
    assert motion.device_class is None
    assert any(
        "'motion' is not a binary_sensor device class" in w for w in announce.warnings
    )
    assert any("signal_strength" in w for w in announce.warnings)


def test_status_keeps_good_values_and_names_bad_ones() -> None:
    """Status values are checked one by one against their entity's type."""
    announce = parse_announce(coffin(), "coffin_jumper")
    values, problems = parse_values(
        json.dumps(
            {
                "lid": True,
                "motion": "yes",
                "triggers": 3,
                "eyes": {"on": True, "rgb": [255, 0, 0], "brightness": 200},
                "delay": 2.5,
                "mode": "armed",
                "scare": True,
                "ghost": 1,
                "rssi": None,
            }
        ),
        announce,
        sensors_only=False,
    )
    assert values == {
        "lid": True,
        "triggers": 3,
        "eyes": {"on": True, "rgb": [255, 0, 0], "brightness": 200},
        "delay": 2.5,
        "mode": "armed",
        "rssi": None,
    }
    assert {p.key: (p.reason, p.detail) for p in problems} == {
        "motion": ("bad_value", "must be true or false"),
        "scare": ("bad_value", "a button entity has no state"),
        "ghost": ("unknown_key", "is not an announced entity"),
    }


def test_telemetry_carries_sensors_only() -> None:
    """Telemetry for a switch is a problem; for a sensor it is a reading."""
    announce = parse_announce(coffin(), "coffin_jumper")
    values, problems = parse_values(
        b'{"triggers": 4, "lid": true}', announce, sensors_only=True
    )
    assert values == {"triggers": 4}
    assert problems == [
        ValueProblem("lid", "bad_value", "telemetry carries only sensor readings")
    ]


def test_values_before_an_announce_are_all_problems() -> None:
    """Without an announce nothing is known, so nothing is applied."""
    values, problems = parse_values(b'{"lid": true}', None, sensors_only=False)
    assert values == {}
    assert problems == [
        ValueProblem("lid", "unknown_key", "is not an announced entity")
    ]


@pytest.mark.parametrize(
    ("spec", "value", "problem"),
    [
        ({"type": "number"}, "3", "must be a number, not a string"),
        ({"type": "select", "options": ["a"]}, "b", "must be one of its options"),
        ({"type": "text"}, 5, "must be a string, not a number"),
        ({"type": "sensor", "options": ["low", "high"]}, "mid", "must be one of"),
        ({"type": "sensor"}, [1], "must be a number, a string or null, not a list"),
        ({"type": "light"}, {"on": 1}, "on must be true or false"),
        ({"type": "light"}, {"on": True, "rgb": [1, 2]}, "rgb must be three"),
        ({"type": "light"}, {"on": True, "rgbw": [1, 2, 3, 256]}, "rgbw must be four"),
        ({"type": "light"}, {"on": True, "brightness": 300}, "brightness must be"),
        ({"type": "light"}, {"on": True, "color_temp_kelvin": 5}, "color_temp_kelvin"),
        ({"type": "light"}, {"on": True, "effect": 1}, "effect must be a string"),
        (
            {"type": "light"},
            {"on": True, "transition": 1},
            "transition is not a light field",
        ),
        ({"type": "light"}, {"on": True, "hue": 1}, "hue is not a light field"),
        ({"type": "light"}, [True], "must be a light object, not a list"),
    ],
)
def test_wrong_values_are_described(
    spec: dict[str, Any], value: Any, problem: str
) -> None:
    """Each kind of wrong value gets a precise description."""
    announce = parse_announce(with_entity({"key": "x", **spec}), "coffin_jumper")
    _, problems = parse_values(json.dumps({"x": value}), announce, sensors_only=False)
    assert len(problems) == 1
    assert problem in problems[0].detail


def test_partial_lights_are_for_commands() -> None:
    """A command may leave out on and add a transition; a status may not."""
    assert light_problem({"brightness": 10, "transition": 2}, partial=True) is None
    assert light_problem({"brightness": 10}) == "on must be true or false"
    assert light_problem({"on": True, "transition": -1}, partial=True) == (
        "transition must be seconds 0..3600"
    )


def test_events_are_checked_against_the_event_entity() -> None:
    """An event names an event entity and one of its types."""
    announce = parse_announce(coffin(), "coffin_jumper")
    event = parse_event(
        b'{"key": "scared", "type": "scare", "data": {"n": 1}}', announce
    )
    assert (event.key, event.type, dict(event.data)) == ("scared", "scare", {"n": 1})
    assert parse_event(b'{"key": "scared", "type": "abort"}', announce).data == {}
    for bad, words in [
        (b'{"key": "lid", "type": "scare"}', "not an announced event entity"),
        (b'{"key": "scared", "type": "boo"}', "'boo' is not among scare, abort"),
        (b'{"key": "scared", "type": "scare", "data": 1}', "data: must be an object"),
        (b'{"type": "scare"}', "key: is required"),
    ]:
        with pytest.raises(ProtocolError, match=words):
            parse_event(bad, announce)


def test_acks() -> None:
    """Acks say ok, or which error and why."""
    assert parse_ack(b'{"correlation_id": "c1", "ok": true}') == Ack("c1", ok=True)
    assert parse_ack(
        b'{"correlation_id": "c1", "ok": false, "error": "busy", "message": "lid moving"}'
    ) == Ack("c1", ok=False, error="busy", message="lid moving")
    for bad, words in [
        (b'{"ok": true}', "correlation_id"),
        (b'{"correlation_id": "a b", "ok": true}', "correlation_id"),
        (b'{"correlation_id": "c", "ok": "yes"}', "ok: must be true or false"),
        (b'{"correlation_id": "c", "ok": false}', "error: is required"),
        (
            b'{"correlation_id": "c", "ok": false, "error": "oops"}',
            "error: must be one of",
        ),
    ]:
        with pytest.raises(ProtocolError, match=words):
            parse_ack(bad)


def test_logs_and_availability() -> None:
    """Log lines and the two availability words."""
    line = parse_log(b'{"level": "warning", "msg": "lid stuck"}')
    assert (line.level, line.msg) == ("warning", "lid stuck")
    assert parse_log(b'{"msg": "hi"}').level == "info"
    with pytest.raises(ProtocolError, match="msg: is required"):
        parse_log(b'{"level": "info"}')
    assert parse_availability(b"online") is True
    assert parse_availability("offline") is False
    with pytest.raises(ProtocolError, match="neither online nor offline"):
        parse_availability(b"ONLINE")


def test_commands_and_correlation_ids() -> None:
    """Commands carry only the fields their action needs, and a ULID."""
    ulid = new_ulid()
    assert is_ulid(ulid)
    assert new_ulid(0).startswith("0000000000")
    assert new_ulid() != new_ulid()
    assert not is_ulid("01HZX3YJ9YJ3M5QAZ3GZ8K3QF")
    assert not is_ulid("81HZX3YJ9YJ3M5QAZ3GZ8K3QFF")
    assert json.loads(build_command("set", "c", key="lid", value=False)) == {
        "action": "set",
        "key": "lid",
        "value": False,
        "correlation_id": "c",
    }
    assert json.loads(build_command("press", "c", key="scare")) == {
        "action": "press",
        "key": "scare",
        "correlation_id": "c",
    }
    assert json.loads(build_command("scare_sequence", "c", params={"n": 2})) == {
        "action": "scare_sequence",
        "params": {"n": 2},
        "correlation_id": "c",
    }


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["v", "id", "name", "entities", "key", "type", "options", "ok", "correlation_id"]
)
ENTITY_LIKE = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["lid", "x", "Bad"]),
        "type": st.sampled_from(
            sorted({"switch", "light", "select", "number", "event", "sensor", "fan"})
        ),
    },
    optional={
        "options": JSON,
        "color_modes": JSON,
        "event_types": JSON,
        "min": JSON,
        "max": JSON,
        "name": JSON,
        "enabled": JSON,
    },
)
ANNOUNCE_LIKE = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 2, "1", None]),
        "id": st.sampled_from(["coffin_jumper", "x"]),
    },
    optional={"name": JSON, "entities": st.lists(ENTITY_LIKE | JSON, max_size=4)},
)


@settings(max_examples=300)
@given(st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()))
def test_any_payload_is_parsed_or_refused_cleanly(payload: bytes) -> None:
    """Whatever arrives, the parsers answer or raise ProtocolError, nothing else."""
    announce = parse_announce(coffin(), "coffin_jumper")
    refusals: list[ProtocolError] = []
    for parse in (
        lambda: parse_announce(payload, "coffin_jumper"),
        lambda: parse_values(payload, announce, sensors_only=False),
        lambda: parse_event(payload, announce),
        lambda: parse_ack(payload),
        lambda: parse_log(payload),
        lambda: parse_availability(payload),
    ):
        try:
            parse()
        except ProtocolError as err:
            refusals.append(err)
    assert all(str(err) and err.reason for err in refusals)


@settings(max_examples=300)
@given(ANNOUNCE_LIKE)
def test_announce_shaped_garbage_is_parsed_or_refused_cleanly(
    obj: dict[str, Any],
) -> None:
    """Near-miss announces never crash the parser, and accepted ones are sound."""
    try:
        announce = parse_announce(json.dumps(obj), "coffin_jumper")
    except ProtocolError as err:
        reason = err.reason
    else:
        reason = None
    if reason is not None:
        assert reason in {"invalid", "id_mismatch", "unsupported_version"}
        return
    assert announce.id == "coffin_jumper"
    assert len({e.key for e in announce.entities}) == len(announce.entities)
    for spec in announce.entities:
        if spec.type == "select":
            assert spec.options
        if spec.type == "event":
            assert spec.event_types


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("[a-", "is not a regular expression"),
        ("(a+)+$", "must not repeat a repetition"),
        ("(a|aa)*b", "must not repeat a repetition or an alternation"),
        (r"(x)\1", "nor refer back"),
        ("x" * 129, "must be 1 to 128 characters"),
    ],
)
def test_a_text_pattern_that_cannot_compile_or_could_hang_is_refused(
    pattern: str, words: str
) -> None:
    """Home Assistant matches the pattern in its event loop: only safe ones pass."""
    with pytest.raises(ProtocolError, match=words) as err:
        parse_announce(
            with_entity({"key": "code", "type": "text", "pattern": pattern}),
            "coffin_jumper",
        )
    assert "pattern" in str(err.value)


def test_a_plain_text_pattern_is_kept() -> None:
    """Anchors, classes and single repetitions are what props need, and pass."""
    announce = parse_announce(
        with_entity({"key": "code", "type": "text", "pattern": r"^[A-Z]{2}\d{1,4}$"}),
        "coffin_jumper",
    )
    code = announce.entity("code")
    assert code is not None
    assert code.pattern == r"^[A-Z]{2}\d{1,4}$"


@given(st.text(max_size=40))
def test_any_pattern_is_accepted_or_refused_never_raises(pattern: str) -> None:
    """Whatever a prop sends as its pattern, the check answers; what it accepts compiles."""
    problem = pattern_problem(pattern)
    if problem is None:
        re.compile(pattern)
    else:
        assert isinstance(problem, str)
