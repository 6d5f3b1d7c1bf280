"""The single-writer RGB engine: order, sequence, dedupe, clamping and back-pressure."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.propnet.lighting.dedupe import Dedupe
from custom_components.propnet.lighting.engine import BATCH, LightingEngine, Source
from custom_components.propnet.protocol.commands import new_ulid
from custom_components.propnet.protocol.decode import ProtocolError
from custom_components.propnet.protocol.rgb import (
    RgbCommand,
    RgbState,
    cmd_topic,
    device_state_topic,
    parse_rgb_command,
    state_topic,
)


class Clock:
    """A clock the test moves by hand, in seconds."""

    def __init__(self) -> None:
        """Start at an arbitrary wall-clock time."""
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


def command(
    r: int = 1, g: int = 2, b: int = 3, src: str = "knob", cmd_id: str | None = None
) -> RgbCommand:
    """Return a valid command."""
    return RgbCommand(cmd_id or new_ulid(), src, r, g, b)


def payload(**fields: Any) -> bytes:
    """Return a cmd payload with defaults for what is not given."""
    body = {"cmdId": new_ulid(), "src": "knob", "r": 1, "g": 2, "b": 3, **fields}
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def test_topics_of_the_rgb_channel() -> None:
    """The base topic carries cmd and state; parties report online under v1/devices."""
    assert cmd_topic("v1/demo/rgb") == "v1/demo/rgb/cmd"
    assert state_topic("v1/demo/rgb") == "v1/demo/rgb/state"
    assert device_state_topic("hub") == "v1/devices/hub/state"


def test_commands_are_parsed_and_clamped() -> None:
    """Integers are clamped to 0..255; the cmdId is normalised to upper case."""
    cmd_id = new_ulid()
    parsed = parse_rgb_command(payload(cmdId=cmd_id.lower(), r=-5, g=300, b=128))
    assert parsed == RgbCommand(cmd_id, "knob", 0, 255, 128)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (payload(cmdId=...), "cmdId"),
        (payload(cmdId="not-a-ulid"), "cmdId"),
        (payload(src=""), "src"),
        (payload(src="x" * 33), "src"),
        (payload(src=5), "src"),
        (payload(r=1.5), "r: must be a whole number"),
        (payload(g=2.0), "g: must be a whole number"),
        (payload(b="3"), "b: must be a whole number"),
        (payload(r=True), "r: must be a whole number"),
        (payload(b=...), "b: must be a whole number"),
        (b"[]", "JSON object"),
    ],
)
def test_bad_commands_are_refused(body: bytes, words: str) -> None:
    """Each broken command says what is wrong."""
    with pytest.raises(ProtocolError, match=words):
        parse_rgb_command(body)


def test_state_payload_matches_the_contract() -> None:
    """The retained state carries r, g, b, seq, ts, src and cmdId."""
    state = RgbState(1, 2, 3, seq=7, ts=99, src="ui", cmd_id="X")
    assert state.as_payload() == {
        "r": 1,
        "g": 2,
        "b": 3,
        "seq": 7,
        "ts": 99,
        "src": "ui",
        "cmdId": "X",
    }


def test_each_accepted_command_raises_seq_by_one() -> None:
    """Three commands, three steps; each state names its source and cmdId."""
    seen: list[RgbState] = []
    engine = LightingEngine(Dedupe(), clock_ms=lambda: 42)
    engine.add_listener(seen.append)
    remove_other = engine.add_listener(lambda state: None)
    remove_other()
    for value in (10, 20, 30):
        engine.submit(command(r=value), Source.DEVICE)
    assert engine.queue_depth == 3
    assert engine.apply_pending() == 3
    assert [s.seq for s in seen] == [1, 2, 3]
    assert [s.r for s in seen] == [10, 20, 30]
    assert engine.state.ts == 42
    assert engine.stats.processed == 3


def test_a_repeated_cmd_id_changes_nothing() -> None:
    """A replayed command is counted, not applied."""
    engine = LightingEngine(Dedupe())
    first = command(r=1)
    engine.submit(first, Source.DEVICE)
    engine.submit(command(r=2, cmd_id=first.cmd_id), Source.DEVICE)
    engine.apply_pending()
    assert engine.state.r == 1
    assert engine.state.seq == 1
    assert engine.stats.deduplicated == 1


def test_a_restored_state_keeps_seq_rising() -> None:
    """Starting from a saved state continues its sequence."""
    engine = LightingEngine(Dedupe(), state=RgbState(5, 5, 5, seq=41))
    engine.submit(command(), Source.UI)
    engine.apply_pending()
    assert engine.state.seq == 42


def test_a_full_queue_drops_the_oldest_ui_update_first() -> None:
    """UI drags make room; device and console commands are never pushed out."""
    engine = LightingEngine(Dedupe(), queue_size=3)
    assert engine.submit(command(r=1), Source.UI)
    assert engine.submit(command(r=2), Source.DEVICE)
    assert engine.submit(command(r=3), Source.UI)
    assert engine.submit(command(r=4), Source.CONSOLE)  # drops r=1
    assert engine.stats.dropped == 1
    assert engine.submit(command(r=5), Source.DEVICE)  # drops r=3
    assert not engine.submit(command(r=6), Source.DEVICE)  # nothing left to drop
    assert not engine.submit(command(r=7), Source.UI)
    assert (engine.stats.dropped, engine.stats.overflowed) == (3, 1)
    applied: list[int] = []
    engine.add_listener(lambda s: applied.append(s.r))
    engine.apply_pending()
    assert applied == [2, 4, 5]


def test_invalid_payloads_are_counted_by_reason() -> None:
    """Bad input is counted, never applied."""
    engine = LightingEngine(Dedupe())
    assert not engine.submit_payload(b"{", Source.DEVICE)
    assert not engine.submit_payload(payload(cmdId="x"), Source.DEVICE)
    assert engine.submit_payload(payload(), Source.DEVICE)
    assert engine.stats.rejected == 2
    assert engine.stats.by_reason == {"invalid_json": 1, "invalid": 1}


async def test_the_run_task_applies_commands_as_they_come() -> None:
    """The writer task wakes for each batch and measures its latency."""
    engine = LightingEngine(Dedupe())
    task = asyncio.create_task(engine.run())
    try:
        engine.submit(command(r=9), Source.DEVICE)
        for _ in range(100):
            await asyncio.sleep(0)
            if engine.state.seq:
                break
        assert engine.state.r == 9
        assert engine.stats.last_latency_ms >= 0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_burst_is_applied_in_batches_that_let_the_loop_run() -> None:
    """10,000 queued commands: other tasks run between batches of BATCH, and every one is applied."""
    engine = LightingEngine(Dedupe(), queue_size=20_000)
    batches: list[int] = []
    engine.on_batch = lambda: batches.append(engine.stats.processed)
    seen_by_others: list[int] = []

    async def other_work() -> None:
        while engine.stats.processed < 10_000:
            seen_by_others.append(engine.stats.processed)
            await asyncio.sleep(0)

    for n in range(10_000):
        engine.submit(command(r=n % 256), Source.DEVICE)
    task = asyncio.create_task(engine.run())
    other = asyncio.create_task(other_work())
    try:
        await asyncio.wait_for(other, 10)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert engine.state.seq == 10_000
    assert engine.queue_depth == 0
    assert batches[0] == BATCH
    assert all(b - a <= BATCH for a, b in zip([0, *batches], batches, strict=False))
    # The other task saw the engine part-way, many times: the loop was not held.
    assert len({n for n in seen_by_others if 0 < n < 10_000}) >= 10_000 // BATCH - 1


def test_dedupe_forgets_by_age_and_by_count() -> None:
    """Ids expire after the TTL, and only the most recent ones are kept."""
    clock = Clock()
    dedupe = Dedupe(ttl=10, capacity=2, clock=clock)
    assert not dedupe.seen("a")
    assert dedupe.seen("a")
    clock.now += 11
    assert not dedupe.seen("a")
    assert not dedupe.seen("b")
    assert not dedupe.seen("c")
    assert len(dedupe) == 2
    assert not dedupe.seen("a")  # pushed out by count
    with pytest.raises(ValueError, match="above zero"):
        Dedupe(ttl=0)


def test_dedupe_forgets_the_least_recently_seen_first() -> None:
    """A repeat counts as a sighting: a full memory lets go of the id seen longest ago."""
    clock = Clock()
    dedupe = Dedupe(ttl=10, capacity=2, clock=clock)
    assert not dedupe.seen("a")
    clock.now += 1
    assert not dedupe.seen("b")
    clock.now += 1
    assert dedupe.seen("a")  # a is now the most recently seen
    clock.now += 1
    assert not dedupe.seen("c")  # full: b goes, not a
    assert dedupe.seen("a")
    assert not dedupe.seen("b")
    clock.now += 9.5
    assert dedupe.seen("b")  # seen 9.5 s ago: still within the TTL
    assert [cmd_id for cmd_id, _ in dedupe.snapshot()] == ["a", "b"]


def test_dedupe_memory_survives_a_restart() -> None:
    """A snapshot restored into a new cache still knows recent ids, not expired ones."""
    clock = Clock()
    first = Dedupe(ttl=100, clock=clock)
    first.seen("old")
    clock.now += 60
    first.seen("new")
    saved = first.snapshot()
    clock.now += 50
    second = Dedupe(ttl=100, clock=clock)
    second.restore(saved)
    assert second.seen("new")
    assert not second.seen("old")


ULIDS = [new_ulid() for _ in range(8)]
OFFERS = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(ULIDS),
            st.integers(-50, 300),
            st.sampled_from(list(Source)),
        ).map(lambda t: ("ok", payload(cmdId=t[0], r=t[1]), t[2])),
        st.sampled_from(
            [b"{", b"[]", payload(cmdId="bad"), payload(r=1.5), payload(src="")]
        ).map(lambda p: ("bad", p, Source.DEVICE)),
    ),
    max_size=60,
)


@settings(max_examples=200)
@given(OFFERS, st.integers(1, 20))
def test_random_streams_keep_the_invariants(
    offers: list[tuple[str, bytes, Source]], queue_size: int
) -> None:
    """The sequence rises by one per accepted command; repeats and bad input change nothing."""
    engine = LightingEngine(Dedupe(), queue_size=queue_size)
    states: list[RgbState] = []
    engine.add_listener(states.append)
    for index, (_, body, source) in enumerate(offers):
        before = engine.state
        engine.submit_payload(body, source)
        assert engine.state == before  # nothing changes until the writer runs
        if index % 7 == 6:
            engine.apply_pending()
    engine.apply_pending()

    assert engine.stats.offered == len(offers)
    assert engine.stats.processed == len(states) == engine.state.seq
    assert [s.seq for s in states] == list(range(1, len(states) + 1))
    assert len({s.cmd_id for s in states}) == len(states)  # no id applied twice
    assert all(0 <= c <= 255 for s in states for c in (s.r, s.g, s.b))
    assert engine.stats.rejected == sum(1 for kind, _, _ in offers if kind == "bad")
