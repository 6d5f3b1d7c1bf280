"""Install PropNet's blueprints into Home Assistant's blueprint folder, once each."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

SOURCE = Path(__file__).parent / "blueprints"
STORAGE_VERSION = 1


def install_blueprints(target: Path, offered: Collection[str] = ()) -> list[str]:
    """Copy each blueprint ``target`` lacks that was never ``offered``; return them.

    One already there is never overwritten (it may be edited); one offered
    before and now missing was deleted by the user and stays deleted.
    """
    installed: list[str] = []
    for source in sorted(SOURCE.rglob("*.yaml")):
        relative = source.relative_to(SOURCE)
        destination = target / relative
        if destination.exists() or str(relative) in offered:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        installed.append(str(relative))
    return installed


def bundled() -> list[str]:
    """Return the blueprints PropNet ships, relative to the blueprint folder."""
    return sorted(str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.yaml"))


async def async_install_blueprints(hass: HomeAssistant) -> None:
    """Install blueprints never offered before, in an executor: it is file I/O."""
    target = Path(hass.config.path("blueprints"))
    store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.blueprints")
    saved = await store.async_load() or {}
    offered = set(saved.get("offered", []))
    try:
        installed = await hass.async_add_executor_job(
            install_blueprints, target, offered
        )
        shipped = await hass.async_add_executor_job(bundled)
    except OSError as err:
        LOGGER.warning(
            "Could not install PropNet's blueprints into %s: %s", target, err
        )
        return
    if installed:
        LOGGER.info("Installed PropNet blueprints: %s", ", ".join(installed))
    # Every blueprint shipped now counts as offered, whether copied now or
    # already there: deleting it later is the user's choice to keep.
    if not offered.issuperset(shipped):
        await store.async_save({"offered": sorted(offered | set(shipped))})
