"""What every entity of a show shares: its device, its unique id, and following the show files as they reload."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .show.cycle import HauntCycle
from .show.runner import Runner
from .shows import ShowLibrary, shows_of


class ShowEntity(Entity):
    """An entity of one show's device; it follows the show's runner (and its cycle)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry_id: str, library: ShowLibrary, name: str, key: str | None
    ) -> None:
        """Stand for part ``key`` of show ``name`` (None: the show itself)."""
        self.library = library
        self.name_key = name
        self.runner: Runner = library.runners[name]
        self.cycle: HauntCycle | None = library.cycles.get(name)
        # By the hub's prefix, as its props are: one prefix is one props hub.
        del entry_id
        self._attr_unique_id = f"{library.hub.prefix}/show/{name}" + (
            f"/{key}" if key else ""
        )
        if key is not None:
            self._attr_translation_key = key
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{library.hub.prefix}/show/{name}")},
            name=self.runner.show.title,
            manufacturer="PropNet",
            model="Show",
        )

    async def async_added_to_hass(self) -> None:
        """Write the state on each change of the runner and the cycle."""
        self.async_on_remove(self.runner.listen(self._changed))
        if self.cycle is not None:
            self.async_on_remove(self.cycle.listen(self._changed))

    @callback
    def _changed(self) -> None:
        self.async_write_ha_state()


type ShowEntityFactory = Callable[[str, ShowLibrary, str], Sequence[ShowEntity]]


def async_add_show_entities(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    domain: str,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: ShowEntityFactory,
) -> ShowLibrary | None:
    """Add ``make``'s entities for each show, and follow the show files as they reload.

    A show whose file changed gets a new runner: its entities leave and come
    back for it with the same unique ids, so the registry keeps what the user
    set on them (entity id, name, area). The entities of a show deleted, or
    of a part the edited show no longer has, leave the registry too. Returns
    the hub's show library, if it has one.
    """
    library = shows_of(hass, entry.entry_id)
    if library is None:
        return None
    made: dict[str, tuple[Runner, Sequence[ShowEntity]]] = {}
    # One pass at a time: a show's old entities are gone before its new ones
    # come, or the platform would refuse them as duplicates.
    passing = asyncio.Lock()

    def add(names: Sequence[str]) -> None:
        assert library is not None
        new: list[ShowEntity] = []
        for name in names:
            entities = make(entry.entry_id, library, name)
            made[name] = (library.runners[name], entities)
            new.extend(entities)
        if new:
            async_add_entities(new)

    async def follow() -> None:
        assert library is not None
        async with passing:
            registry = er.async_get(hass)
            for name in list(made):
                runner, entities = made[name]
                if library.runners.get(name) is runner:
                    continue
                del made[name]
                # The parts the edited show still has keep their registry entries.
                kept = (
                    {entity.unique_id for entity in make(entry.entry_id, library, name)}
                    if name in library.runners
                    else set()
                )
                for entity in entities:
                    if entity.unique_id in kept:
                        await entity.async_remove()
                    elif (
                        entity_id := registry.async_get_entity_id(
                            domain, DOMAIN, entity.unique_id or ""
                        )
                    ) is not None:
                        registry.async_remove(entity_id)
            add([name for name in library.runners if name not in made])

    @callback
    def changed() -> None:
        entry.async_create_task(hass, follow(), "propnet show entities")

    add(list(library.runners))
    entry.async_on_unload(library.listen(changed))
    return library
