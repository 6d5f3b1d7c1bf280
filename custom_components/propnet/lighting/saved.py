"""What show lighting keeps between runs, as plain data: the state, the dedupe memory, fixture levels, the last colour."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..protocol.rgb import RgbState
from .universe import Level


@dataclass
class Saved:
    """One lighting entry's saved data, read back."""

    state: RgbState | None = None
    dedupe: list[tuple[str, float]] = field(default_factory=list)
    levels: dict[str, Level] = field(default_factory=dict)
    last_color: tuple[int, int, int] | None = None


def level_from_dict(data: Mapping[str, Any]) -> Level:
    """Return a saved level; levels saved before fixture kinds had fewer fields."""
    known = {name: data[name] for name in Level.__dataclass_fields__ if name in data}
    known["values"] = tuple(known.get("values", ()))
    return Level(**known)


def level_to_dict(level: Level) -> dict[str, Any]:
    """Return a level as a dict for storage."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in asdict(level).items()
    }


def load(data: Mapping[str, Any]) -> Saved:
    """Read what ``dump`` wrote (an empty mapping: nothing was saved)."""
    state = data.get("state")
    color = data.get("last_color")
    return Saved(
        state=RgbState(**state) if state else None,
        dedupe=[(cmd_id, seen) for cmd_id, seen in data.get("dedupe", [])],
        levels={
            name: level_from_dict(level)
            for name, level in data.get("fixtures", {}).items()
        },
        last_color=(int(color[0]), int(color[1]), int(color[2])) if color else None,
    )


def dump(
    state: RgbState,
    dedupe: Iterable[Any],
    levels: Mapping[str, Level],
    last_color: tuple[int, int, int],
) -> dict[str, Any]:
    """Return the data to save for one lighting entry."""
    return {
        "state": {
            "r": state.r,
            "g": state.g,
            "b": state.b,
            "seq": state.seq,
            "ts": state.ts,
            "src": state.src,
            "cmd_id": state.cmd_id,
        },
        "dedupe": list(dedupe),
        "fixtures": {name: level_to_dict(level) for name, level in levels.items()},
        "last_color": list(last_color),
    }
