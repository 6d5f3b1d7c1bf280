"""The layering rules of docs/development.md, held by reading every import.

- the protocol package imports nothing from Home Assistant;
- the lighting core (engine, fixtures, dedupe, outputs, inputs) imports
  nothing from Home Assistant, only its glue modules do;
- platform modules never import each other;
- the firmware imports only what MicroPython has and nothing of the
  integration; only the host tool may.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "propnet"
FIRMWARE = ROOT / "firmware" / "propnet"
PLATFORMS = {
    "binary_sensor",
    "button",
    "event",
    "light",
    "number",
    "select",
    "sensor",
    "siren",
    "switch",
    "text",
}
LIGHTING_GLUE = {"coordinator", "entity", "http", "light", "number", "rig", "sensor"}
# What the firmware may import: MicroPython's own modules, and its own package.
MICROPYTHON = {
    "asyncio",
    "binascii",
    "errno",
    "esp",
    "esp32",
    "gc",
    "hashlib",
    "json",
    "machine",
    "micropython",
    "neopixel",
    "network",
    "os",
    "random",
    "select",
    "socket",
    "ssl",
    "struct",
    "sys",
    "time",
    "propnet",
}


def imports(path: Path, package: str) -> set[str]:
    """Return the absolute names of the modules ``path`` imports.

    ``package`` is the dotted package the file is in, to resolve relative imports.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # "from . import x" imports module x of that package.
            if node.module is None:
                found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def package_of(path: Path) -> str:
    """Return the dotted package that holds ``path``."""
    return ".".join(path.relative_to(ROOT).parent.parts)


def sources(folder: Path) -> list[Path]:
    """Return the Python files under ``folder``."""
    return sorted(folder.rglob("*.py"))


def from_home_assistant(names: set[str]) -> set[str]:
    """Return the imports that are Home Assistant's."""
    return {n for n in names if n == "homeassistant" or n.startswith("homeassistant.")}


@pytest.mark.parametrize("path", sources(PACKAGE / "protocol"), ids=lambda p: p.name)
def test_the_protocol_package_is_free_of_home_assistant(path: Path) -> None:
    """The wire contract loads where Home Assistant is not installed."""
    assert from_home_assistant(imports(path, package_of(path))) == set()


def lighting_core() -> list[Path]:
    """Return the lighting modules that are not Home Assistant glue."""
    return [
        path
        for path in sources(PACKAGE / "lighting")
        if path.parent != PACKAGE / "lighting" or path.stem not in LIGHTING_GLUE
    ]


@pytest.mark.parametrize("path", lighting_core(), ids=lambda p: p.stem)
def test_the_lighting_core_is_free_of_home_assistant(path: Path) -> None:
    """Engine, fixtures, dedupe, outputs and inputs run without Home Assistant."""
    assert from_home_assistant(imports(path, package_of(path))) == set()


def test_the_lighting_core_list_is_the_one_we_mean() -> None:
    """The rule above covers the core modules, so it cannot pass by covering nothing."""
    stems = {path.stem for path in lighting_core()}
    assert {"engine", "universe", "dedupe", "enttec", "ola", "sparkfun"} <= stems


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_platforms_do_not_import_each_other(platform: str) -> None:
    """A platform uses entity.py, the hub or the lighting glue, never another platform."""
    names = imports(PACKAGE / f"{platform}.py", "custom_components.propnet")
    others = {f"custom_components.propnet.{p}" for p in PLATFORMS - {platform}}
    assert names & others == set()


@pytest.mark.parametrize("path", sources(FIRMWARE), ids=lambda p: p.stem)
def test_the_firmware_imports_only_what_micropython_has(path: Path) -> None:
    """Nothing CPython-only and nothing of the integration on the prop."""
    package = "propnet" + "".join(
        f".{part}" for part in path.relative_to(FIRMWARE).parent.parts
    )
    names = imports(path, package)
    assert {name.split(".")[0] for name in names} <= MICROPYTHON, names


def test_the_import_reader_resolves_relative_imports() -> None:
    """The reader sees through "from ..x import y", or the rules above prove nothing."""
    names = imports(
        PACKAGE / "lighting" / "outputs" / "enttec.py",
        "custom_components.propnet.lighting.outputs",
    )
    assert "serial" in names
    light = imports(PACKAGE / "light.py", "custom_components.propnet")
    assert "custom_components.propnet.lighting.light" in light
    assert "custom_components.propnet.entity" in light


def module_graph() -> dict[str, set[str]]:
    """Return each integration module and the integration modules it imports.

    An import of a package counts as one of its ``__init__``; imports under
    ``TYPE_CHECKING`` count too: a circle there is still one to untangle.
    """
    names = {
        package_of(path)
        if path.stem == "__init__"
        else f"{package_of(path)}.{path.stem}"
        for path in sources(PACKAGE)
    }
    graph: dict[str, set[str]] = {}
    for path in sources(PACKAGE):
        module = (
            package_of(path)
            if path.stem == "__init__"
            else f"{package_of(path)}.{path.stem}"
        )
        graph[module] = {n for n in imports(path, package_of(path)) if n in names} - {
            module
        }
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the import circles of ``graph`` (each once, from a depth-first walk)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            walk(nxt, [*path, node])
        done.add(node)

    for node in sorted(graph):
        walk(node, [])
    return found


def test_the_integration_has_no_import_circle() -> None:
    """Module A importing B importing A hides which one owns the job; there is none."""
    graph = {
        name: {
            dep
            for dep in deps
            # Importing a submodule loads its package's __init__ first; the
            # package's own files importing it back is not a circle of code.
            if not name.startswith(f"{dep}.")
        }
        for name, deps in module_graph().items()
    }
    assert (
        "custom_components.propnet.hub.firmware"
        in graph["custom_components.propnet.hub.hub"]
    )
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    """So that the rule above cannot pass by finding nothing."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c", "a"]
    ]
