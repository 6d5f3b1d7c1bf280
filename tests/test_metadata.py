"""The files Home Assistant and HACS read agree with each other and the code."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
import pytest
import yaml

from custom_components.propnet.const import DOMAIN

ROOT = Path(__file__).parent.parent
COMPONENT = ROOT / "custom_components" / DOMAIN

# Keys HACS accepts in hacs.json; it rejects any other.
HACS_KEYS = {
    "name",
    "homeassistant",
    "render_readme",
    "content_in_root",
    "zip_release",
    "filename",
    "hacs",
    "country",
    "hide_default_branch",
    "persistent_directory",
}


def load(path: Path) -> Any:
    """Return the JSON document at ``path``."""
    return json.loads(path.read_text(encoding="utf-8"))


def python_sources() -> list[Path]:
    """Return the integration's Python files."""
    return sorted(COMPONENT.rglob("*.py"))


def string_calls(tree: ast.AST, func: str, keyword: str) -> set[str]:
    """Return the string values of ``keyword`` in calls to ``*.func``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", None))
        if name != func:
            continue
        for kw in node.keywords:
            if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                found.add(kw.value.value)
    return found


def test_manifest_has_what_home_assistant_and_hacs_need() -> None:
    """Custom integrations need a version, docs, issue tracker and owners."""
    manifest = load(COMPONENT / "manifest.json")
    assert manifest["domain"] == DOMAIN == COMPONENT.name
    for key in ("name", "version", "codeowners", "documentation", "issue_tracker"):
        assert manifest[key], key
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["config_flow"] is True
    # network: the show clock names the address props reach it at.
    assert manifest["dependencies"] == ["mqtt", "network"]
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "hub"
    assert manifest["mqtt"] == ["propnet/+/announce"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://")


def test_hacs_json_is_what_hacs_accepts() -> None:
    """hacs.json holds only keys HACS knows and a minimum version we test."""
    hacs = load(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == load(COMPONENT / "manifest.json")["name"]
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.valid
    assert minimum <= AwesomeVersion(ha_version)


def test_brand_icon_is_a_square_png() -> None:
    """The icon HA shows for the integration is a 256 px PNG."""
    data = (COMPONENT / "brand" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (256, 256)


def test_every_flow_step_and_reason_is_translated() -> None:
    """Each form, menu, error and abort the flows can show has English text."""
    translations = load(COMPONENT / "translations" / "en.json")
    strings = translations["config"]
    tree = ast.parse((COMPONENT / "config_flow.py").read_text(encoding="utf-8"))

    steps = string_calls(tree, "async_show_form", "step_id")
    steps |= string_calls(tree, "_topic_step", "step_id")
    options_steps = {
        "settings",
        "add_fixture",
        "remove_fixture",
        "add_output",
        "remove_output",
    }
    assert steps == {
        "props",
        "lighting",
        "discovery_confirm",
        "reconfigure",
        "reconfigure_lighting",
        *options_steps,
    }
    option_strings = translations["options"]["step"]
    assert set(option_strings) == {"init", *options_steps}
    assert set(option_strings["init"]["menu_options"]) == options_steps
    for step in options_steps - {"settings"}:
        assert option_strings[step]["title"], step
        assert set(option_strings[step]["data"]) == set(
            option_strings[step]["data_description"]
        ), step
    for step in steps - options_steps:
        assert strings["step"][step]["title"], step
        # Every field shown gets a description too (quality scale: config-flow).
        assert set(strings["step"][step].get("data", {})) == set(
            strings["step"][step].get("data_description", {})
        )
    from custom_components.propnet.config_flow import SECTIONS

    sections = translations["options"]["step"]["settings"]["sections"]
    assert set(sections) == set(SECTIONS)
    for name, keys in SECTIONS.items():
        assert sections[name]["name"], name
        assert set(sections[name]["data"]) == set(keys), name
        assert set(sections[name]["data_description"]) == set(keys), name
    menu = strings["step"]["user"]["menu_options"]
    assert set(menu) == {"props", "lighting"}

    reasons = string_calls(tree, "async_abort", "reason")
    # Reasons Home Assistant's flow helpers raise on our behalf.
    reasons |= {"already_configured", "already_in_progress", "reconfigure_successful"}
    assert reasons <= set(strings["abort"])

    errors = {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and any(
            isinstance(target, ast.Subscript)
            and getattr(target.value, "id", None) == "errors"
            for target in node.targets
        )
    }
    errors |= string_calls(tree, "_topic_step", "error")
    # The rig's checks return (error key, what is wrong).
    errors |= {
        node.value.elts[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Tuple)
        and node.value.elts
        and isinstance(node.value.elts[0], ast.Constant)
        and isinstance(node.value.elts[0].value, str)
    }
    options = {"invalid_fixtures", "invalid_network_outputs", "invalid_widgets"}
    assert errors == {"invalid_prefix", "invalid_base", *options}
    assert errors - options <= set(strings["error"])
    assert options <= set(translations["options"]["error"])


def test_every_exception_translation_key_exists() -> None:
    """Errors raised with a translation key find their text."""
    exceptions = load(COMPONENT / "translations" / "en.json").get("exceptions", {})
    used: set[str] = set()
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                used |= {
                    kw.value.value
                    for kw in node.keywords
                    if kw.arg == "translation_key"
                    and isinstance(kw.value, ast.Constant)
                    and any(k.arg == "translation_domain" for k in node.keywords)
                }
    assert used <= set(exceptions)
    for key, text in exceptions.items():
        assert text["message"] if isinstance(text, dict) else False, key


def test_icons_match_translations() -> None:
    """icons.json names only entities and actions the translations know."""
    icons = load(COMPONENT / "icons.json")
    strings = load(COMPONENT / "translations" / "en.json")
    for platform, keys in icons.get("entity", {}).items():
        for key in keys:
            assert key in strings["entity"][platform], (platform, key)
    for service in icons.get("services", {}):
        assert service in strings["services"], service


def test_every_entity_with_a_translation_has_an_icon() -> None:
    """No entity of PropNet's own falls back to the generic eye."""
    icons = load(COMPONENT / "icons.json")["entity"]
    strings = load(COMPONENT / "translations" / "en.json")["entity"]
    missing = [
        (platform, key)
        for platform, keys in strings.items()
        for key in keys
        # Buttons, update and binary sensors get theirs from the device class.
        if platform not in ("button", "binary_sensor")
        and key not in icons.get(platform, {})
    ]
    assert missing == []


def test_the_entities_props_name_by_key_are_translated_with_every_state() -> None:
    """What the firmware tool marks with a translation_key, Home Assistant can name and label."""
    from custom_components.propnet.const import TRANSLATED_ENTITIES
    from firmware.tools.kinds import PROP_MODES, SYSTEM_SENSORS

    strings = load(COMPONENT / "translations" / "en.json")["entity"]
    for platform, keys in TRANSLATED_ENTITIES.items():
        for key in keys:
            assert strings[platform][key]["name"], (platform, key)
    for key, sensor in SYSTEM_SENSORS.items():
        assert sensor["translation_key"] in TRANSLATED_ENTITIES["sensor"], key
        for option in sensor.get("options", ()):
            assert option in strings["sensor"][key]["state"], option
    assert set(strings["select"]["mode"]["state"]) == PROP_MODES


QUALITY_RULES = {
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow-test-coverage",
    "config-flow",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery-update-info",
    "discovery",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
}


# Exceptions whose message a user reads in the UI: they must be translated.
USER_FACING_ERRORS = {
    "HomeAssistantError",
    "ServiceValidationError",
    "InvalidDeviceAutomationConfig",
    "ConfigEntryNotReady",
    "ConfigEntryError",
}


def test_quality_scale_names_every_rule() -> None:
    """Every rule has a status, and an exemption says why."""
    rules = yaml.safe_load(
        (COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8")
    )["rules"]
    assert set(rules) == QUALITY_RULES
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status == "exempt":
            assert value["comment"], rule


def test_quality_scale_claims_hold() -> None:
    """Rules marked done that a file can show are backed by that file."""
    rules = yaml.safe_load(
        (COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8")
    )["rules"]
    manifest = load(COMPONENT / "manifest.json")
    status = {
        rule: value if isinstance(value, str) else value["status"]
        for rule, value in rules.items()
    }
    if status["async-dependency"] == "done":
        # Done means every requirement is an asyncio library; pyserial blocks.
        assert not any(req.startswith("pyserial==") for req in manifest["requirements"])
    if status["brands"] == "done":
        # A brand/ folder is read only from 2026.3; done needs that minimum.
        minimum = AwesomeVersion(load(ROOT / "hacs.json")["homeassistant"])
        assert minimum >= AwesomeVersion("2026.3.0")
    if status["docs-triggers"] == "done":
        assert "## Events and device triggers" in (
            ROOT / "docs" / "props.md"
        ).read_text(encoding="utf-8")
    if status["exception-translations"] == "done":
        for path in python_sources():
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                func = node.exc.func
                name = getattr(func, "id", getattr(func, "attr", ""))
                if name in USER_FACING_ERRORS:
                    keywords = {kw.arg for kw in node.exc.keywords}
                    assert not node.exc.args, f"{path.name}:{node.lineno} {name}"
                    assert "translation_key" in keywords, f"{path.name}:{node.lineno}"
    if rules["strict-typing"] == "done":
        assert (COMPONENT / "py.typed").is_file()
    if rules["brands"] == "done":
        assert (COMPONENT / "brand" / "icon.png").is_file()
    if rules["discovery"] == "done":
        assert manifest["mqtt"]
    if rules["integration-owner"] == "done":
        assert manifest["codeowners"]
    if rules["inject-websession"] == "done":
        assert "async_get_clientsession" in (
            COMPONENT / "lighting" / "rig.py"
        ).read_text(encoding="utf-8")
    if rules["reconfiguration-flow"] == "done":
        assert "async_step_reconfigure" in (COMPONENT / "config_flow.py").read_text(
            encoding="utf-8"
        )


@pytest.mark.parametrize(
    "path", ["manifest.json", "icons.json", "translations/en.json"]
)
def test_json_files_are_tidy(path: str) -> None:
    """Files are valid JSON ending in a newline, so diffs stay clean."""
    text = (COMPONENT / path).read_text(encoding="utf-8")
    json.loads(text)
    assert text.endswith("\n")


def test_every_action_and_field_is_documented_and_translated() -> None:
    """Each action in services.yaml has a translation and a place in the docs."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    strings = load(COMPONENT / "translations" / "en.json")["services"]
    docs = (ROOT / "docs" / "props.md").read_text(encoding="utf-8")
    icons = load(COMPONENT / "icons.json")["services"]
    for service, spec in services.items():
        assert f"propnet.{service}" in docs, service
        assert service in icons, service
        assert strings[service]["name"], service
        for field in spec["fields"]:
            assert strings[service]["fields"][field]["description"], (service, field)
            assert f"`{field}`" in docs, (service, field)


def test_every_config_field_is_documented() -> None:
    """The set-up form's fields appear in the README's configuration table."""
    strings = load(COMPONENT / "translations" / "en.json")["config"]["step"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for step in strings.values():
        for label in step.get("data", {}).values():
            assert label in readme, label


def test_every_lighting_option_is_documented() -> None:
    """The options form's fields appear in the lighting guide's table."""
    options = load(COMPONENT / "translations" / "en.json")["options"]["step"][
        "settings"
    ]
    guide = (ROOT / "docs" / "lighting.md").read_text(encoding="utf-8")
    for part in options["sections"].values():
        for label in part["data"].values():
            assert f"| {part['name']} | {label} |" in guide, label


def test_every_blueprint_is_documented_and_imports_from_its_url() -> None:
    """Each blueprint is in the guide, and its source_url points at its own file."""
    guide = (ROOT / "docs" / "blueprints.md").read_text(encoding="utf-8")
    folder = ROOT / "blueprints" / "automation" / "propnet"
    files = sorted(folder.glob("*.yaml"))
    assert files
    for path in files:
        assert f"`{path.name}`" in guide, path.name
        text = path.read_text(encoding="utf-8")
        assert f"blueprints/automation/propnet/{path.name}" in text, path.name


def test_the_integration_ships_the_same_blueprints() -> None:
    """The copies installed by the integration equal the ones imported by URL."""
    shipped = COMPONENT / "blueprints" / "automation" / "propnet"
    public = ROOT / "blueprints" / "automation" / "propnet"
    assert sorted(p.name for p in shipped.glob("*.yaml")) == sorted(
        p.name for p in public.glob("*.yaml")
    )
    for path in public.glob("*.yaml"):
        assert (shipped / path.name).read_bytes() == path.read_bytes(), path.name
