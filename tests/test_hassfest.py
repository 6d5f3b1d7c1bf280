"""The rules hassfest and HACS check, reproduced, so a rejection shows up here first.

hassfest itself lives in Home Assistant's source tree, not in the package
we install, and HACS's checks run in its GitHub action; these tests hold the
same rules on our files (rules as of Home Assistant 2026.2 and HACS 2.0).
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import string
import tomllib
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest
import voluptuous as vol
import yaml

from custom_components.propnet.const import DOMAIN

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / DOMAIN

# hassfest's translation key rule: lower case, digits, - and _, not at the ends.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
# Sections whose next level of keys are translation keys hassfest checks.
KEYED_SECTIONS = ("exceptions", "services", "issues", "selector", "device_automation")


def load(path: Path) -> Any:
    """Return the JSON document at ``path``."""
    return json.loads(path.read_text(encoding="utf-8"))


def strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Return every (path, text) in a translations tree."""
    if isinstance(node, dict):
        return [
            item
            for key, value in node.items()
            for item in strings(value, f"{path}.{key}")
        ]
    return [(path, node)]


def translation_problem(text: str, *, placeholders: bool = True) -> str | None:
    """Return what hassfest would say of one translated string, or None."""
    try:
        cv.string_with_no_html(text)
    except vol.Invalid as err:
        return str(err)
    if SINGLE_QUOTED_PLACEHOLDER.search(text):
        return "the string should not contain placeholders inside single quotes"
    for _, field, _, _ in string.Formatter().parse(text):
        if field and (not placeholders or not field.isidentifier()):
            return f"placeholder {field!r} is not allowed here"
    if text != text.strip():
        return "the string should not contain leading or trailing spaces"
    if URL.search(text):
        return "the string should not contain URLs"
    return None


def test_manifest_keys_are_sorted_as_hassfest_wants() -> None:
    """Domain, name, then the rest in alphabetical order."""
    keys = list(load(COMPONENT / "manifest.json"))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_every_translated_string_passes_hassfest() -> None:
    """No HTML, URLs, stray spaces or bad placeholders in any English string."""
    translations = load(COMPONENT / "translations" / "en.json")
    problems = {
        path: problem
        for path, text in strings(translations)
        if (
            problem := translation_problem(
                text,
                # Entity state names take no placeholders.
                placeholders=".state." not in path,
            )
        )
    }
    assert problems == {}


def test_translation_keys_are_what_hassfest_accepts() -> None:
    """Entity, exception, action and issue keys are lower-case slugs."""
    translations = load(COMPONENT / "translations" / "en.json")
    keys = [
        key for platform in translations.get("entity", {}).values() for key in platform
    ]
    keys += [key for section in KEYED_SECTIONS for key in translations.get(section, {})]
    for service in translations.get("services", {}).values():
        keys += list(service.get("fields", {}))
    assert keys
    assert [key for key in keys if not TRANSLATION_KEY.match(key)] == []


def test_data_descriptions_describe_fields_that_exist() -> None:
    """No data_description for a field the step does not have: hassfest refuses it."""
    translations = load(COMPONENT / "translations" / "en.json")
    for flow in ("config", "options"):
        for name, step in translations[flow]["step"].items():
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            assert not extra, (flow, name, extra)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Commands go to `<base>/cmd`", "HTML"),
        ("See https://example.com/docs", "URLs"),
        (" leading space", "leading or trailing"),
        ("Prop '{prop}' is gone", "single quotes"),
        ("Prop {0} is gone", "not allowed"),
    ],
)
def test_the_translation_rules_catch_what_hassfest_catches(
    text: str, problem: str
) -> None:
    """The checks above are not vacuous: each refuses what hassfest refuses."""
    found = translation_problem(text)
    assert found is not None
    assert problem in found


def test_every_action_field_in_services_yaml_is_translated() -> None:
    """Every action and field has a translated name and description (hassfest)."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    translated = load(COMPONENT / "translations" / "en.json")["services"]
    for service, spec in services.items():
        assert translated[service]["name"]
        assert translated[service]["description"]
        for field in (spec or {}).get("fields", {}):
            assert translated[service]["fields"][field]["description"], field


def test_the_repository_has_the_license_hacs_wants() -> None:
    """HACS refuses a repository without a license; ours is MIT, as pyproject says."""
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert declared["project"]["license"] == {"text": "MIT"}
    assert licence.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in licence


def test_hacs_finds_the_information_it_shows() -> None:
    """render_readme shows README.md; a description comes from the manifest's name."""
    hacs = load(ROOT / "hacs.json")
    assert hacs["render_readme"] is True
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# PropNet")
    assert list((ROOT / "custom_components").iterdir()) == [COMPONENT]


def table_problems(text: str) -> list[str]:
    """Return what would render a Markdown table broken: empty or ragged tables."""
    lines = text.splitlines()
    problems = []
    for index, line in enumerate(lines):
        if not (line.startswith("|") and set(line) <= set("|-: ")):
            continue
        header = lines[index - 1] if index else ""
        if not header.startswith("|") or header.count("|") != line.count("|"):
            problems.append(f"line {index + 1}: the rule does not match its header")
        below = lines[index + 1] if index + 1 < len(lines) else ""
        if not below.startswith("|"):
            problems.append(f"line {index + 1}: a table with no rows")
    return problems


def test_readme_tables_render() -> None:
    """Every Markdown table in the README has a header, a rule and rows."""
    assert table_problems((ROOT / "README.md").read_text(encoding="utf-8")) == []
    broken = "| a | b |\n|---|---|\nSome text.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert table_problems(broken) == ["line 2: a table with no rows"]


def test_the_config_flow_has_the_steps_the_manifest_promises() -> None:
    """A config flow as the manifest says, with async_step_mqtt for its mqtt topic."""
    manifest = load(COMPONENT / "manifest.json")
    flow = (COMPONENT / "config_flow.py").read_text(encoding="utf-8")
    assert manifest["config_flow"] is True
    assert "class PropNetConfigFlow(ConfigFlow, domain=DOMAIN)" in flow
    if manifest.get("mqtt"):
        assert "async def async_step_mqtt(" in flow


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT) for p in COMPONENT.rglob("*.json")), ids=str
)
def test_every_json_file_parses(path: Path) -> None:
    """Every JSON file in the integration is valid JSON."""
    assert isinstance(load(ROOT / path), dict)
