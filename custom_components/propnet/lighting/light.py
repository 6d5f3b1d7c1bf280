"""Show lighting's lights: the shared RGB channel and each further fixture."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_COLOR_TEMP_KELVIN,
    ATTR_RGB_COLOR,
    ATTR_RGBW_COLOR,
    ATTR_RGBWW_COLOR,
    ATTR_TRANSITION,
    LightEntity,
)
from homeassistant.components.light.const import ColorMode, LightEntityFeature

from .coordinator import LightingCoordinator
from .entity import LightingEntity
from .universe import Fixture, Kind, Level


def lighting_lights(lighting: LightingCoordinator) -> list[LightEntity]:
    """Return the RGB channel's light and one light per further fixture."""
    return [
        RgbChannelLight(lighting),
        *(
            FixtureLight(lighting, fixture)
            for fixture in lighting.fixtures[1:]
            if fixture.kind is not Kind.CHANNELS
        ),
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


# The colour mode each kind of fixture shows in Home Assistant.
COLOR_MODES: dict[Kind, ColorMode] = {
    Kind.DIMMER: ColorMode.BRIGHTNESS,
    Kind.RGB: ColorMode.RGB,
    Kind.DIMMER_RGB: ColorMode.RGB,
    Kind.RGBW: ColorMode.RGBW,
    Kind.RGBWW: ColorMode.RGBWW,
    Kind.CCT: ColorMode.COLOR_TEMP,
}


class FixtureLight(LightingEntity, LightEntity):
    """A fixture other than the primary one, faded on its universe directly.

    Its colour mode follows its kind: a dimmer has brightness only, an RGBW
    fixture its own white, RGBWW two whites, CCT a colour temperature.
    """

    _attr_supported_features = LightEntityFeature.TRANSITION

    def __init__(self, coordinator: LightingCoordinator, fixture: Fixture) -> None:
        """Describe the light of ``fixture``."""
        super().__init__(coordinator, f"fixture:{fixture.name}")
        self.fixture = fixture.name
        self._attr_name = fixture.name
        self._attr_color_mode = COLOR_MODES[fixture.kind]
        self._attr_supported_color_modes = {self._attr_color_mode}
        self._attr_min_color_temp_kelvin, self._attr_max_color_temp_kelvin = (
            fixture.kelvin
        )

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
        """Return the colour it is going to (white before any was set)."""
        target = self._target
        if not any((target.r, target.g, target.b, target.w, target.cold, target.warm)):
            return (255, 255, 255)
        return (round(target.r), round(target.g), round(target.b))

    @property
    def rgbw_color(self) -> tuple[int, int, int, int]:
        """Return the colour and white it is going to."""
        target = self._target
        return (*self.rgb_color, round(target.w))

    @property
    def rgbww_color(self) -> tuple[int, int, int, int, int]:
        """Return the colour and the cold and warm whites it is going to."""
        target = self._target
        return (*self.rgb_color, round(target.cold), round(target.warm))

    @property
    def color_temp_kelvin(self) -> int:
        """Return the white temperature it is going to."""
        low, high = self.min_color_temp_kelvin, self.max_color_temp_kelvin
        return round(self._target.kelvin) or (low + high) // 2

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Fade to the colour, whites and brightness chosen."""
        target = self._target
        level = Level(
            *self.rgb_color,
            brightness=kwargs.get(
                ATTR_BRIGHTNESS, self.brightness if self.is_on else 255
            ),
            w=target.w,
            cold=target.cold,
            warm=target.warm,
            kelvin=target.kelvin,
        )
        if ATTR_RGB_COLOR in kwargs:
            level = replace(
                level, **dict(zip("rgb", kwargs[ATTR_RGB_COLOR], strict=True))
            )
        if ATTR_RGBW_COLOR in kwargs:
            r, g, b, w = kwargs[ATTR_RGBW_COLOR]
            level = replace(level, r=r, g=g, b=b, w=w)
        if ATTR_RGBWW_COLOR in kwargs:
            r, g, b, cold, warm = kwargs[ATTR_RGBWW_COLOR]
            level = replace(level, r=r, g=g, b=b, cold=cold, warm=warm)
        if ATTR_COLOR_TEMP_KELVIN in kwargs:
            level = replace(level, kelvin=kwargs[ATTR_COLOR_TEMP_KELVIN])
        self.coordinator.set_fixture(
            self.fixture, level, float(kwargs.get(ATTR_TRANSITION, 0))
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Fade out, keeping the colour for next time."""
        self.coordinator.set_fixture(
            self.fixture,
            replace(self._target, brightness=0),
            float(kwargs.get(ATTR_TRANSITION, 0)),
        )
