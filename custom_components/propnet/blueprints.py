"""Install PropNet's blueprints into Home Assistant's blueprint folder when they are missing."""

from __future__ import annotations

from pathlib import Path
import shutil

from homeassistant.core import HomeAssistant

from .const import LOGGER

SOURCE = Path(__file__).parent / "blueprints"


def install_blueprints(target: Path) -> list[str]:
    """Copy each blueprint that ``target`` lacks; never overwrite one (it may be edited)."""
    installed: list[str] = []
    for source in sorted(SOURCE.rglob("*.yaml")):
        relative = source.relative_to(SOURCE)
        destination = target / relative
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        installed.append(str(relative))
    return installed


async def async_install_blueprints(hass: HomeAssistant) -> None:
    """Install missing blueprints, in an executor: it is file I/O."""
    target = Path(hass.config.path("blueprints"))
    try:
        installed = await hass.async_add_executor_job(install_blueprints, target)
    except OSError as err:
        LOGGER.warning(
            "Could not install PropNet's blueprints into %s: %s", target, err
        )
        return
    if installed:
        LOGGER.info("Installed PropNet blueprints: %s", ", ".join(installed))
