"""Sensor filters and sequence steps: checked and compiled to the prop's lists."""

from __future__ import annotations

from typing import Any

from .checks import SECONDS, BadValueError, Ctx, choice, flag, number, text, whole
from .devices import PRESSABLE_FACES, SETTABLE_FACES, SWITCH_FACES
from .kinds import FILTERS


def filters(ctx: Ctx, raw: Any, items: Any, label: str) -> list[list[Any]]:
    """Check a sensor's filter list; return its compiled form."""
    if not isinstance(items, list):
        ctx.error(raw, "filters", f"{label}filters: must be a list")
        return []
    out: list[list[Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1:
            ctx.error(items, i, f"{label}filters[{i}]: must be one 'name: value' pair")
            continue
        ((name, arg),) = item.items()
        check = FILTERS.get(name)
        if check is None:
            ctx.error(
                items,
                i,
                f"{label}filters[{i}]: unknown filter {name!r}; expected one of {', '.join(FILTERS)}",
            )
            continue
        try:
            value = check(arg)
            if name == "sliding_average":
                value = _sliding(arg)
        except BadValueError as bad:
            ctx.error(items, i, f"{label}filters[{i}].{name}: {bad}")
            continue
        out.append([name, value])
    return out


def _sliding(arg: Any) -> list[int]:
    if isinstance(arg, dict):
        size = whole(1, 64)(arg.get("size"))
        every = whole(1, 64)(arg.get("every", 1))
        return [size, every]
    return [whole(1, 64)(arg), 1]


# Sequence steps: YAML name -> (compiled op, what the target must be).
STEP_TARGETS = {
    "turn_on": ("on", ("switch", "light", "siren", *SWITCH_FACES)),
    "turn_off": ("off", ("switch", "light", "siren", *SWITCH_FACES)),
    "count": ("count", ("sensor",)),
    "press": ("press", ("button", *PRESSABLE_FACES)),
}
TIME_STEPS = ("delay", "cooldown")
# Steps that start something on a device and may wait for it: name -> kinds.
DEVICE_STEPS = {
    "move": ("servo", "stepper"),
    "play": ("dfplayer",),
    "stop": ("servo", "stepper", "dfplayer"),
    "home": ("stepper",),
}
SETTABLE = (
    "switch",
    "light",
    "number",
    "select",
    "text",
    "siren",
    "servo",
    "stepper",
    "dfplayer",
    *SETTABLE_FACES,
)
STEP_NAMES = (
    *STEP_TARGETS,
    *TIME_STEPS,
    *DEVICE_STEPS,
    "set",
    "fire",
    "run",
    "log",
    "when",
)


def steps(
    ctx: Ctx,
    types: dict[str, str],
    at: tuple[Any, str | int],
    steps: Any,
    *,
    label: str,
    named: dict[str, Any],
    details: dict[str, dict[str, Any]] | None = None,
) -> Any:
    """Check a sequence (a list of steps, or a name) found at ``at``; return its compiled form."""
    where, key = at
    if isinstance(steps, str):
        if steps not in named:
            ctx.error(where, key, f"{label}: there is no action named {steps!r}")
        return steps
    if not isinstance(steps, list):
        ctx.error(where, key, f"{label}: must be an action name or a list of steps")
        return []
    out: list[list[Any]] = []
    for i, step in enumerate(steps):
        place = f"{label}[{i}]"
        if not isinstance(step, dict) or len(step) != 1:
            ctx.error(steps, i, f"{place}: a step is one 'name: value' pair")
            continue
        ((name, arg),) = step.items()
        try:
            if name in DEVICE_STEPS:
                out.append(_device_step(types, details or {}, name, arg))
            else:
                out.append(_step(types, name, arg, named))
        except BadValueError as bad:
            ctx.error(steps, i, f"{place}.{name}: {bad}")
    return out


def _target(types: dict[str, str], key: Any, kinds: tuple[str, ...]) -> str:
    if not isinstance(key, str) or key not in types:
        raise BadValueError(f"{key!r} is not a component of this prop")
    found = types[key]
    if found not in kinds:
        raise BadValueError(
            f"{key} is a {found}; this step needs a {' or '.join(kinds)}"
        )
    return key


def _step(
    types: dict[str, str], name: str, arg: Any, named: dict[str, Any]
) -> list[Any]:
    if name in STEP_TARGETS:
        op, kinds = STEP_TARGETS[name]
        if isinstance(arg, dict):
            options = dict(arg)
            key = _target(types, options.pop("key", None), kinds)
            if "transition" in options:
                SECONDS(options["transition"])
            return [op, key, options]
        return [op, _target(types, arg, kinds)]
    if name in TIME_STEPS:
        if isinstance(arg, str):
            return [name, _target(types, arg, ("number",))]
        return [name, SECONDS(arg)]
    if name == "set":
        if not isinstance(arg, dict) or "key" not in arg or "value" not in arg:
            raise BadValueError("needs key and value")
        return ["set", _target(types, arg["key"], SETTABLE), arg["value"]]
    if name == "fire":
        if not isinstance(arg, dict):
            raise BadValueError("needs key and type")
        key = _target(types, arg.get("key"), ("event",))
        return ["event", key, text(arg.get("type"))]
    if name == "run":
        if arg not in named:
            raise BadValueError(f"there is no action named {arg!r}")
        return ["run", arg]
    if name == "log":
        if isinstance(arg, dict):
            return [
                "log",
                choice("debug", "info", "warning", "error")(arg.get("level", "info")),
                text(arg.get("msg")),
            ]
        return ["log", "info", text(arg)]
    if name == "when":
        if not isinstance(arg, dict) or "key" not in arg or "is" not in arg:
            raise BadValueError("needs key and is")
        kinds = ("binary_sensor", *SETTABLE)
        return ["when", _target(types, arg["key"], kinds), arg["is"]]
    raise BadValueError(f"unknown step; expected one of {', '.join(STEP_NAMES)}")


def _device_step(
    types: dict[str, str], details: dict[str, dict[str, Any]], name: str, arg: Any
) -> list[Any]:
    """Compile move, play, stop and home to [op, key, argument, wait]."""
    options = dict(arg) if isinstance(arg, dict) else {"key": arg}
    key = _target(types, options.pop("key", None), DEVICE_STEPS[name])
    wait = flag(options.pop("wait", False))
    device = details.get(key, {})
    value: Any = None
    if name == "move":
        if "to" not in options:
            raise BadValueError("needs key and to")
        if types[key] == "servo":
            low, high = device.get("min_angle", 0), device.get("max_angle", 180)
        else:
            low, high = device.get("min", 0), device.get("max", 0)
        value = number(low, high)(options.pop("to"))
    elif name == "play":
        value = options.pop("track", None)
        tracks = device.get("tracks", {})
        if value is not None and value not in tracks:
            raise BadValueError(
                f"{value!r} is not a track of {key}; expected one of {', '.join(tracks)}"
            )
    elif name == "home" and "home" not in device:
        raise BadValueError(f"{key} has no home switch")
    if options:
        raise BadValueError(f"unknown option {next(iter(options))!r}")
    return [name, key, value, wait]
