"""The firmware guide documents every component, option, step and filter the tool accepts."""

from __future__ import annotations

from pathlib import Path
import re

from propnet_tool.cli import parser
from propnet_tool.kinds import FILTERS, KINDS, LED, MQTT, PROP, TOP, WIFI
from propnet_tool.sequences import STEP_NAMES

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "firmware.md").read_text(encoding="utf-8")
EXAMPLE = (ROOT / "firmware" / "props" / "example.yaml").read_text(encoding="utf-8")


def _table_row(first_cell: str) -> str:
    match = re.search(rf"^\| `{re.escape(first_cell)}` \|.*$", GUIDE, re.MULTILINE)
    assert match, f"no table row for {first_cell}"
    return match.group(0)


def test_every_component_and_option_is_in_the_guide_and_the_example() -> None:
    """Each component type has a row naming all its options, and example.yaml uses it."""
    for kind, spec in KINDS.items():
        row = _table_row(kind)
        for option in spec.options:
            assert f"`{option}`" in row, (kind, option)
        assert f"type: {kind}" in EXAMPLE, kind


def test_every_step_and_filter_is_in_the_guide() -> None:
    """The sequence steps and sensor filters tables are complete."""
    for step in STEP_NAMES:
        _table_row(step)
    for name in FILTERS:
        assert f"`{name}`" in GUIDE, name


def test_every_top_level_option_is_in_the_guide() -> None:
    """prop, wifi, mqtt, status_led and the safety options are all described."""
    for name in PROP:
        assert f"`{name}`" in GUIDE, name
    for section, options in (("wifi", WIFI), ("mqtt", MQTT), ("status_led", LED)):
        for name in options:
            assert f"`{section}.{name}`" in GUIDE, (section, name)
    for name in TOP:
        assert f"`{name}`" in GUIDE, name


def test_every_command_of_the_tool_is_in_the_guide() -> None:
    """validate, build, deploy, update and simulate each have an example."""
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"propnet-firmware {name}" in GUIDE, name


def test_the_docs_index_links_resolve() -> None:
    """Every relative link in the README and docs/ points at a file that exists."""
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(
            r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")
        ):
            if target.startswith("http"):
                continue
            assert (page.parent / target).exists(), (page.name, target)
