"""The wire contract's rules, loaded from the integration without starting Home Assistant."""

from __future__ import annotations

from pathlib import Path
import sys
import types

ROOT = Path(__file__).resolve().parents[2]


def _load() -> None:
    # Importing custom_components.propnet runs the integration's __init__,
    # which imports Home Assistant: seconds of start-up, and impossible on a
    # prop builder's laptop. Unless the integration is already loaded (the
    # test suite loads it first), placeholder parents let the plain protocol
    # package load alone. A process that loads the tool first must not load
    # the integration afterwards; none of PropNet's do.
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    if "custom_components.propnet" in sys.modules:
        return
    for name, folder in (
        ("custom_components", ROOT / "custom_components"),
        ("custom_components.propnet", ROOT / "custom_components" / "propnet"),
    ):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(folder)]
            sys.modules[name] = module


_load()

from custom_components.propnet.protocol import (  # noqa: E402
    announce,
    commands,
    decode,
    names,
    rgb,
    transfer,
    values,
)

__all__ = ["announce", "commands", "decode", "names", "rgb", "transfer", "values"]
