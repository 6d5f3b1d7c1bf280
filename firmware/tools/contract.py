"""The wire contract's rules, loaded from the integration without starting Home Assistant."""

from __future__ import annotations

from pathlib import Path
import sys
import types

ROOT = Path(__file__).resolve().parents[2]


def _load() -> None:
    # Importing custom_components.propnet runs the integration's __init__,
    # which needs Home Assistant. Where it is installed that is fine; where
    # not (a prop builder's laptop), placeholder parents let the plain
    # protocol package load alone.
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    try:
        import homeassistant  # noqa: F401, PLC0415
    except ImportError:
        pass
    else:
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
    commands,
    messages,
    names,
    rgb,
)

__all__ = ["commands", "messages", "names", "rgb"]
