"""The wire contract's rules, loaded from the integration without starting Home Assistant."""

from __future__ import annotations

from pathlib import Path
import sys
import types

ROOT = Path(__file__).resolve().parents[2]


def _load() -> None:
    # Importing custom_components.propnet would run the integration's
    # __init__, which needs Home Assistant. Placeholder parents let the plain
    # protocol package load alone; they are removed again so that a later
    # import of the real integration (in the same test process) is unaffected.
    placed = []
    for name, folder in (
        ("custom_components", ROOT / "custom_components"),
        ("custom_components.propnet", ROOT / "custom_components" / "propnet"),
    ):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(folder)]
            sys.modules[name] = module
            placed.append(name)
    try:
        import custom_components.propnet.protocol.messages  # noqa: F401
        import custom_components.propnet.protocol.names  # noqa: F401
        import custom_components.propnet.protocol.rgb  # noqa: F401
    finally:
        for name in placed:
            del sys.modules[name]


_load()

from custom_components.propnet.protocol import messages, names, rgb  # noqa: E402

__all__ = ["messages", "names", "rgb"]
