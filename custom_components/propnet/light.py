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

from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.entity import without_stale
from .lighting.light import lighting_lights
from .protocol.announce import EntitySpec
from .runtime import PropNetConfigEntry

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
    """Add a light for each one a prop announces, or show lighting's lights."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            async_add_entities(
                without_stale(hass, entry.entry_id, "light", lighting_lights(lighting))
            )
        case hub:
            async_register_platform(hub, "light", PropLight, async_add_entities)


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
