"""Show lighting's lights: the shared RGB channel and each further fixture."""

from __future__ import annotations

from typing import Any

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_RGB_COLOR,
    ATTR_TRANSITION,
    LightEntity,
)
from homeassistant.components.light.const import ColorMode, LightEntityFeature

from .coordinator import LightingCoordinator
from .entity import LightingEntity
from .universe import Level


def lighting_lights(lighting: LightingCoordinator) -> list[LightEntity]:
    """Return the RGB channel's light and one light per further fixture."""
    return [
        RgbChannelLight(lighting),
        *(FixtureLight(lighting, fixture.name) for fixture in lighting.fixtures[1:]),
    ]


def _scaled(color: tuple[int, int, int], brightness: int) -> tuple[int, int, int]:
    """Return ``color`` at full strength scaled to ``brightness``."""
    peak = max(color) or 1
    r, g, b = (round(c * 255 / peak * brightness / 255) for c in color)
    return (r, g, b)


class RgbChannelLight(LightingEntity, LightEntity):
    """The primary fixture, which is the shared RGB channel.

    Turning it on or off sends a command through the engine like any other
    source; its state is the engine's, so it shows what every receiver shows.
    """

    _attr_name = None
    _attr_color_mode = ColorMode.RGB
    _attr_supported_features = LightEntityFeature.TRANSITION

    def __init__(self, coordinator: LightingCoordinator) -> None:
        """Describe the RGB channel's light."""
        super().__init__(coordinator, "rgb")
        self._attr_supported_color_modes = {ColorMode.RGB}

    @property
    def _rgb(self) -> tuple[int, int, int]:
        state = self.coordinator.engine.state
        return (state.r, state.g, state.b)

    @property
    def is_on(self) -> bool:
        """Return whether any channel is lit."""
        return any(self._rgb)

    @property
    def brightness(self) -> int:
        """Return the strongest channel as the brightness."""
        return max(self._rgb)

    @property
    def rgb_color(self) -> tuple[int, int, int]:
        """Return the colour at full strength."""
        return _scaled(self._rgb if self.is_on else self.coordinator.last_color, 255)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the sequence and source of the current state."""
        state = self.coordinator.engine.state
        return {"seq": state.seq, "source": state.src, "command_id": state.cmd_id}

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Send the colour and brightness chosen as one RGB command."""
        color = kwargs.get(ATTR_RGB_COLOR) or (
            self._rgb if self.is_on else self.coordinator.last_color
        )
        brightness = kwargs.get(ATTR_BRIGHTNESS, max(self._rgb) if self.is_on else 255)
        self.coordinator.submit_rgb(
            _scaled(tuple(color), int(brightness)),
            transition=float(kwargs.get(ATTR_TRANSITION, 0)),
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send black."""
        self.coordinator.submit_rgb(
            (0, 0, 0), transition=float(kwargs.get(ATTR_TRANSITION, 0))
        )


class FixtureLight(LightingEntity, LightEntity):
    """A fixture other than the primary one, faded on the universe directly."""

    _attr_color_mode = ColorMode.RGB
    _attr_supported_features = LightEntityFeature.TRANSITION

    def __init__(self, coordinator: LightingCoordinator, name: str) -> None:
        """Describe the light of fixture ``name``."""
        super().__init__(coordinator, f"fixture:{name}")
        self._attr_supported_color_modes = {ColorMode.RGB}
        self.fixture = name
        self._attr_name = name

    @property
    def _target(self) -> Level:
        return self.coordinator.universe.target(self.fixture)

    @property
    def is_on(self) -> bool:
        """Return whether the fixture is (going) on."""
        return self._target.brightness > 0

    @property
    def brightness(self) -> int:
        """Return the brightness it is going to."""
        return round(self._target.brightness)

    @property
    def rgb_color(self) -> tuple[int, int, int]:
        """Return the colour it is going to."""
        target = self._target
        if not any((target.r, target.g, target.b)):
            return (255, 255, 255)
        return (round(target.r), round(target.g), round(target.b))

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Fade to the colour and brightness chosen."""
        r, g, b = kwargs.get(ATTR_RGB_COLOR, self.rgb_color)
        brightness = kwargs.get(ATTR_BRIGHTNESS, self.brightness if self.is_on else 255)
        self.coordinator.set_fixture(
            self.fixture,
            Level(r, g, b, brightness),
            float(kwargs.get(ATTR_TRANSITION, 0)),
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Fade out, keeping the colour for next time."""
        r, g, b = self.rgb_color
        self.coordinator.set_fixture(
            self.fixture, Level(r, g, b, 0), float(kwargs.get(ATTR_TRANSITION, 0))
        )
