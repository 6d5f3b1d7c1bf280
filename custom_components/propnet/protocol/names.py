"""Names and topics of the wire contract (protocol.md sections 1 and 2)."""

from __future__ import annotations

import re
from typing import Final

DEFAULT_PREFIX: Final = "propnet"

_PREFIX_LEVEL = re.compile(r"[A-Za-z0-9_-]+")
PROP_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
ENTITY_KEY: Final = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
# MQTT topics are limited to 65535 bytes; a prefix needs far less, and a short
# bound keeps every derived topic well inside what brokers accept.
MAX_PREFIX_LENGTH: Final = 128

TOPIC_ANNOUNCE: Final = "announce"
TOPIC_AVAILABILITY: Final = "availability"
TOPIC_STATUS: Final = "status"
TOPIC_TELEMETRY: Final = "telemetry"
TOPIC_EVENT: Final = "event"
TOPIC_CMD: Final = "cmd"
TOPIC_ACK: Final = "ack"
TOPIC_LOG: Final = "log"
TOPIC_SHOW: Final = "show"

PROP_TOPICS: Final = frozenset(
    {
        TOPIC_ANNOUNCE,
        TOPIC_AVAILABILITY,
        TOPIC_STATUS,
        TOPIC_TELEMETRY,
        TOPIC_EVENT,
        TOPIC_ACK,
        TOPIC_LOG,
        TOPIC_SHOW,
    }
)


class InvalidNameError(ValueError):
    """A prefix, prop id or entity key that breaks the contract's rules."""


def prefix_error(prefix: str) -> str | None:
    """Return why ``prefix`` is not a valid topic prefix, or None if it is."""
    if not prefix:
        return "the prefix is empty"
    if len(prefix) > MAX_PREFIX_LENGTH:
        return f"the prefix is longer than {MAX_PREFIX_LENGTH} characters"
    for level in prefix.split("/"):
        if not level:
            return "the prefix has an empty topic level"
        if _PREFIX_LEVEL.fullmatch(level) is None:
            return (
                f"topic level {level!r} may only hold letters, digits, "
                "'_' and '-' (no wildcards)"
            )
    return None


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` unchanged, or raise InvalidNameError saying why not."""
    if (error := prefix_error(prefix)) is not None:
        raise InvalidNameError(error)
    return prefix


def is_prop_id(value: str) -> bool:
    """Return whether ``value`` is a valid prop id."""
    return PROP_ID.fullmatch(value) is not None


def is_entity_key(value: str) -> bool:
    """Return whether ``value`` is a valid entity key."""
    return ENTITY_KEY.fullmatch(value) is not None


def prop_topic(prefix: str, prop_id: str, kind: str) -> str:
    """Return the topic of kind ``kind`` for one prop."""
    return f"{prefix}/{prop_id}/{kind}"


def subscription(prefix: str, kind: str) -> str:
    """Return the wildcard subscription for one topic kind of every prop."""
    return f"{prefix}/+/{kind}"


def split_topic(prefix: str, topic: str) -> tuple[str, str] | None:
    """Split ``<prefix>/<id>/<kind>`` into (id, kind).

    Returns None when the topic is not below ``prefix`` or has another shape.
    The id is returned as found: checking it is the caller's job, so that it
    can log and count the bad id.
    """
    head = prefix + "/"
    if not topic.startswith(head):
        return None
    parts = topic[len(head) :].split("/")
    if len(parts) != 2:
        return None
    return parts[0], parts[1]
