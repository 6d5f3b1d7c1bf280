"""A prop's cue list on the wire: cues packed into show_load parts, the hub's clock address, and the prop's show reports.

protocol.md section 8. A cue is ``[at_ms, op, key, value, tolerance_ms]``
(value and tolerance optional); a list goes out in ``show_load`` parts small
enough for a prop's 4 KiB command limit, and the prop answers each cue it
reaches on its ``show`` topic with what happened and how late it was.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Any, Final

from .decode import decode_object, invalid

CUE_OPS: Final = frozenset(
    {"on", "off", "set", "press", "move", "stop", "home", "play", "run"}
)
LONGEST_MS: Final = 86_400_000
# Room left in a 4 KiB command for the envelope (action, correlation id, the show's name).
PART_BYTES: Final = 3_600
OUTCOMES: Final = frozenset(
    {
        "fired",
        "skipped",
        "busy",
        "bad_value",
        "unknown_key",
        "unsupported_action",
        "internal",
    }
)
HUB_KIND: Final = "_hub"


def clock_topic(prefix: str) -> str:
    """Return the retained topic that tells props where the hub's time service is."""
    return f"{prefix}/{HUB_KIND}/clock"


def clock_message(host: str | None, port: int) -> bytes:
    """Return the retained message naming the time service (no host: the broker's)."""
    body: dict[str, Any] = {"v": 1, "port": port}
    if host:
        body["host"] = host
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Cue:
    """One of a prop's own actions at an instant of the show."""

    at_ms: int
    op: str
    key: str
    value: Any = None
    tolerance_ms: int | None = None

    def wire(self) -> list[Any]:
        """Return the cue as the prop reads it."""
        out: list[Any] = [self.at_ms, self.op, self.key]
        if self.value is not None or self.tolerance_ms is not None:
            out.append(self.value)
        if self.tolerance_ms is not None:
            out.append(self.tolerance_ms)
        return out


def check_cue(cue: Cue) -> None:
    """Raise ValueError saying what is wrong with ``cue``, before anything is sent."""
    if not 0 <= cue.at_ms <= LONGEST_MS:
        raise ValueError(f"a cue's instant must be from 0 to {LONGEST_MS} ms")
    if cue.op not in CUE_OPS:
        raise ValueError(
            f"{cue.op!r} is not a cue; expected one of {', '.join(sorted(CUE_OPS))}"
        )
    if cue.tolerance_ms is not None and not 0 <= cue.tolerance_ms <= 60_000:
        raise ValueError("a cue's tolerance must be from 0 to 60000 ms")
    if cue.op == "set" and cue.value is None:
        raise ValueError("set needs a value")


def load_parts(
    show: str, cues: list[Cue], limit: int = PART_BYTES
) -> list[dict[str, Any]]:
    """Return the params of the show_load commands that carry ``cues``, in order."""
    for cue in cues:
        check_cue(cue)
    parts: list[list[list[Any]]] = [[]]
    size = 0
    for cue in sorted(cues, key=lambda c: c.at_ms):
        wire = cue.wire()
        length = len(json.dumps(wire, separators=(",", ":"))) + 1
        if length > limit:
            raise ValueError(f"the cue at {cue.at_ms} ms is too large to send")
        if size + length > limit and parts[-1]:
            parts.append([])
            size = 0
        parts[-1].append(wire)
        size += length
    out: list[dict[str, Any]] = []
    for n, part in enumerate(parts):
        params: dict[str, Any] = {"show": show, "cues": part}
        if n:
            params["part"] = n
        if n < len(parts) - 1:
            params["more"] = True
        out.append(params)
    return out


@dataclass(frozen=True, slots=True)
class ShowReport:
    """What a prop says about the cues it reached: (index, lateness in us, outcome) each."""

    show: str | None
    run: int
    state: str
    cues: tuple[tuple[int, int, str], ...]
    fired: int
    skipped: int
    failed: int


def _count(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(name, "must be a whole number from 0")
    return value


def parse_show_report(payload: str | bytes | bytearray) -> ShowReport:
    """Return the report in ``payload`` or raise ProtocolError naming the field."""
    obj = decode_object(payload)
    show = obj.get("show")
    if show is not None and not isinstance(show, str):
        raise invalid("show", "must be a string")
    state = obj.get("state")
    if not isinstance(state, str):
        raise invalid("state", "must be a string")
    raw = obj.get("cues")
    if not isinstance(raw, list):
        raise invalid("cues", "must be a list")
    cues: list[tuple[int, int, str]] = []
    for n, item in enumerate(raw):
        if (
            not isinstance(item, list)
            or len(item) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in item[:2])
            or item[2] not in OUTCOMES
        ):
            raise invalid(f"cues[{n}]", "must be [index, lateness_us, outcome]")
        cues.append((item[0], item[1], item[2]))
    return ShowReport(
        show=show,
        run=_count(obj, "run"),
        state=state,
        cues=tuple(cues),
        fired=_count(obj, "fired"),
        skipped=_count(obj, "skipped"),
        failed=_count(obj, "failed"),
    )
