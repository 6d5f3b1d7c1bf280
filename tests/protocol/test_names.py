"""The naming rules of protocol.md section 1, and the topics built from them."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.propnet.protocol.names import (
    InvalidNameError,
    is_entity_key,
    is_prop_id,
    prefix_error,
    prop_topic,
    split_topic,
    subscription,
    validate_prefix,
)

LEVEL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
    min_size=1,
    max_size=12,
)
PROP_ID = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,31}", fullmatch=True)


@pytest.mark.parametrize("prefix", ["propnet", "halloween", "a/b-c/D_9"])
def test_good_prefixes_pass(prefix: str) -> None:
    """Letters, digits, '_' and '-' in non-empty levels make a prefix."""
    assert prefix_error(prefix) is None
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("", "empty"),
        ("a//b", "empty topic level"),
        ("propnet/#", "no wildcards"),
        ("propnet/+/x", "no wildcards"),
        ("prop net", "no wildcards"),
        ("x" * 129, "longer than 128"),
    ],
)
def test_bad_prefixes_say_why(prefix: str, reason: str) -> None:
    """A bad prefix is refused with the reason in words."""
    error = prefix_error(prefix)
    assert error is not None
    assert reason in error
    with pytest.raises(InvalidNameError, match=reason):
        validate_prefix(prefix)


@given(st.lists(LEVEL, min_size=1, max_size=5))
def test_any_levels_of_allowed_characters_make_a_prefix(levels: list[str]) -> None:
    """Every prefix built from allowed levels is accepted."""
    assert prefix_error("/".join(levels)) is None


@given(st.text(max_size=40))
def test_a_prefix_with_a_wildcard_or_empty_level_never_passes(text: str) -> None:
    """Whatever the text, a wildcard, NUL or empty level is refused."""
    if any(c in text for c in "+#\0 ") or "//" in text or text.startswith("/"):
        assert prefix_error(text) is not None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("coffin_jumper", True),
        ("eyes-2", True),
        ("0", True),
        ("a" * 32, True),
        ("a" * 33, False),
        ("Coffin", False),
        ("_coffin", False),
        ("-coffin", False),
        ("coffin/x", False),
        ("+", False),
        ("", False),
        ("coffin\n", False),
    ],
)
def test_prop_ids(value: str, ok: bool) -> None:
    """Prop ids are short lowercase names that cannot leave their topic level."""
    assert is_prop_id(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("lid", True),
        ("eye_left", True),
        ("eye-left", False),
        ("Lid", False),
        ("", False),
    ],
)
def test_entity_keys(value: str, ok: bool) -> None:
    """Entity keys are like prop ids without '-'."""
    assert is_entity_key(value) is ok


@given(LEVEL, PROP_ID, st.sampled_from(["announce", "status", "cmd"]))
def test_topics_round_trip(prefix: str, prop_id: str, kind: str) -> None:
    """A topic built for a prop splits back into its id and kind."""
    topic = prop_topic(prefix, prop_id, kind)
    assert topic == f"{prefix}/{prop_id}/{kind}"
    assert split_topic(prefix, topic) == (prop_id, kind)
    assert subscription(prefix, kind) == f"{prefix}/+/{kind}"


@pytest.mark.parametrize(
    "topic",
    [
        "other/coffin/status",
        "propnet/coffin",
        "propnet/a/b/status",
        "propnetx/a/status",
    ],
)
def test_topics_of_another_shape_do_not_split(topic: str) -> None:
    """Topics outside the prefix or with extra levels are not a prop's."""
    assert split_topic("propnet", topic) is None
