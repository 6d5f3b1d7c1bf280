"""Show lighting's numbers: each channel of a channels fixture (a mover's pan, a hazer's fan)."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.components.number import NumberEntity, NumberMode

from .coordinator import LightingCoordinator
from .entity import LightingEntity
from .universe import Fixture, Kind


def lighting_numbers(lighting: LightingCoordinator) -> list[FixtureChannel]:
    """Return one number per channel of every channels fixture."""
    return [
        FixtureChannel(lighting, fixture, index)
        for fixture in lighting.fixtures
        if fixture.kind is Kind.CHANNELS
        for index in range(fixture.width)
    ]


class FixtureChannel(LightingEntity, NumberEntity):
    """One named channel of a channels fixture, 0 to 255 on its DMX slot."""

    _attr_native_min_value = 0
    _attr_native_max_value = 255
    _attr_native_step = 1
    _attr_mode = NumberMode.SLIDER

    def __init__(
        self, coordinator: LightingCoordinator, fixture: Fixture, index: int
    ) -> None:
        """Describe channel ``index`` of ``fixture``."""
        channel = fixture.channels[index]
        super().__init__(coordinator, f"fixture:{fixture.name}:{channel}")
        self.fixture = fixture.name
        self.index = index
        self.width = fixture.width
        self._attr_name = f"{fixture.name} {channel.replace('_', ' ')}"

    def _values(self) -> tuple[float, ...]:
        values = self.coordinator.universe.target(self.fixture).values
        return values + (0.0,) * (self.width - len(values))

    @property
    def native_value(self) -> float:
        """Return the value the channel is going to."""
        return round(self._values()[self.index])

    async def async_set_native_value(self, value: float) -> None:
        """Set the channel at once; the fixture's other channels stay."""
        values = list(self._values())
        values[self.index] = value
        target = self.coordinator.universe.target(self.fixture)
        self.coordinator.set_fixture(
            self.fixture, replace(target, values=tuple(values), brightness=255)
        )
