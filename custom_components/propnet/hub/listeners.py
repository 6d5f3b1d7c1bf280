"""Who hears of a prop's changes: one listener per entity, one per event entity."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, callback

from ..protocol.messages import Event

type Listener = Callable[[], None]
type EventListener = Callable[[Event], None]


class EntityListeners:
    """The entities of one hub, by prop and key, to tell when something changes."""

    def __init__(self) -> None:
        """Start with nobody listening."""
        self._changes: dict[str, dict[str, Listener]] = defaultdict(dict)
        self._events: dict[tuple[str, str], EventListener] = {}

    @callback
    def add(self, prop_id: str, key: str, listener: Listener) -> CALLBACK_TYPE:
        """Call ``listener`` when the entity's value, spec or availability changes."""
        self._changes[prop_id][key] = listener

        @callback
        def remove() -> None:
            if self._changes[prop_id].get(key) is listener:
                del self._changes[prop_id][key]

        return remove

    @callback
    def add_event(
        self, prop_id: str, key: str, listener: EventListener
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with each event the prop fires for ``key``."""
        self._events[(prop_id, key)] = listener

        @callback
        def remove() -> None:
            self._events.pop((prop_id, key), None)

        return remove

    def props(self) -> list[str]:
        """Return the props any entity listens to."""
        return list(self._changes)

    def notify(self, prop_id: str, keys: list[str] | None = None) -> None:
        """Tell the listeners of ``keys`` (every entity of the prop when None)."""
        listeners = self._changes.get(prop_id)
        if not listeners:
            return
        if keys is None:
            for listener in list(listeners.values()):
                listener()
            return
        for key in keys:
            if (key_listener := listeners.get(key)) is not None:
                key_listener()

    def fire(self, prop_id: str, event: Event) -> None:
        """Hand ``event`` to its event entity, if one listens."""
        if (listener := self._events.get((prop_id, event.key))) is not None:
            listener(event)
