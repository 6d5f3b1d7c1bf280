"""Light entities of props: glowing eyes, LED strips, lamps."""

from __future__ import annotations

from typing import Any

from homeassistant.components.light import (
    ATTR_BRIGHTNESS,
    ATTR_COLOR_TEMP_KELVIN,
    ATTR_EFFECT,
    ATTR_RGB_COLOR,
    ATTR_RGBW_COLOR,
    ATTR_TRANSITION,
    LightEntity,
    filter_supported_color_modes,
)
from homeassistant.components.light.const import ColorMode, LightEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PropNetConfigEntry
from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.entity import LightingEntity
from .lighting.universe import Level
from .protocol.messages import EntitySpec

PARALLEL_UPDATES = 0
DEFAULT_MIN_KELVIN = 2000
DEFAULT_MAX_KELVIN = 6500
# What each Home Assistant turn_on argument becomes in the Light object.
TURN_ON_FIELDS = {
    ATTR_BRIGHTNESS: "brightness",
    ATTR_RGB_COLOR: "rgb",
    ATTR_RGBW_COLOR: "rgbw",
    ATTR_COLOR_TEMP_KELVIN: "color_temp_kelvin",
    ATTR_EFFECT: "effect",
    ATTR_TRANSITION: "transition",
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a light for each one a prop announces, or for each lighting fixture."""
    if (lighting := entry.runtime_data.lighting) is not None:
        async_add_entities(
            [RgbChannelLight(lighting)]
            + [
                FixtureLight(lighting, fixture.name)
                for fixture in lighting.fixtures[1:]
            ]
        )
        return
    async_register_platform(
        entry.runtime_data.props, "light", PropLight, async_add_entities
    )


class PropLight(PropEntity, LightEntity):
    """A prop's light."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        # Home Assistant does not allow onoff or brightness next to colour
        # modes; colour modes imply both.
        self._attr_supported_color_modes = filter_supported_color_modes(
            ColorMode(mode) for mode in spec.color_modes
        )
        self._attr_min_color_temp_kelvin = spec.min_kelvin or DEFAULT_MIN_KELVIN
        self._attr_max_color_temp_kelvin = spec.max_kelvin or DEFAULT_MAX_KELVIN
        self._attr_effect_list = list(spec.effects) or None
        features = LightEntityFeature.TRANSITION
        if spec.effects:
            features |= LightEntityFeature.EFFECT
        self._attr_supported_features = features

    @property
    def _light(self) -> dict[str, Any]:
        value = self.reported
        return value if isinstance(value, dict) else {}

    @property
    def is_on(self) -> bool | None:
        """Return whether the prop reports the light on."""
        on = self._light.get("on")
        return on if isinstance(on, bool) else None

    @property
    def color_mode(self) -> ColorMode:
        """Return the mode the last status shows, or the light's only mode."""
        modes = self.supported_color_modes or {ColorMode.ONOFF}
        light = self._light
        for field, mode in (
            ("rgbw", ColorMode.RGBW),
            ("rgb", ColorMode.RGB),
            ("color_temp_kelvin", ColorMode.COLOR_TEMP),
        ):
            if field in light and mode in modes:
                return mode
        for mode in (
            ColorMode.RGBW,
            ColorMode.RGB,
            ColorMode.COLOR_TEMP,
            ColorMode.BRIGHTNESS,
        ):
            if mode in modes:
                return mode
        return ColorMode.ONOFF

    @property
    def brightness(self) -> int | None:
        """Return the brightness the prop reported."""
        value = self._light.get("brightness")
        return value if isinstance(value, int) else None

    @property
    def rgb_color(self) -> tuple[int, int, int] | None:
        """Return the colour the prop reported."""
        value = self._light.get("rgb")
        return (value[0], value[1], value[2]) if isinstance(value, list) else None

    @property
    def rgbw_color(self) -> tuple[int, int, int, int] | None:
        """Return the colour and white the prop reported."""
        value = self._light.get("rgbw")
        return (
            (value[0], value[1], value[2], value[3])
            if isinstance(value, list)
            else None
        )

    @property
    def color_temp_kelvin(self) -> int | None:
        """Return the colour temperature the prop reported."""
        value = self._light.get("color_temp_kelvin")
        return value if isinstance(value, int) else None

    @property
    def effect(self) -> str | None:
        """Return the effect the prop reported."""
        value = self._light.get("effect")
        return value if isinstance(value, str) else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Ask the prop to turn the light on with what the user chose."""
        value: dict[str, Any] = {"on": True}
        for attr, field in TURN_ON_FIELDS.items():
            if attr in kwargs:
                given = kwargs[attr]
                value[field] = list(given) if isinstance(given, tuple) else given
        await self._set(value)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Ask the prop to turn the light off."""
        value: dict[str, Any] = {"on": False}
        if ATTR_TRANSITION in kwargs:
            value["transition"] = kwargs[ATTR_TRANSITION]
        await self._set(value)


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
