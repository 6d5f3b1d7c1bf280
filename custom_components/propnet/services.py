"""PropNet's actions: send any command to props and return their acks; reload, export and import shows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .const import DOMAIN
from .hub.hub import PropHub
from .protocol.commands import ACTION_SET, needs_admin
from .protocol.names import ENTITY_KEY
from .runtime import entry_ids, lighting_of_device, prop_of_device
from .show.bundle import SUFFIX, BundleError, ShowError, export_show, import_show
from .shows import FOLDER as SHOWS_FOLDER, async_reload_all

SERVICE_SEND_COMMAND = "send_command"
SERVICE_RELOAD_SHOWS = "reload_shows"
SERVICE_EXPORT_SHOW = "export_show"
SERVICE_IMPORT_SHOW = "import_show"
EXPORTS = ("propnet", "exports")
ATTR_SHOW = "show"
ATTR_FILE = "file"
ATTR_REPLACE = "replace"
ATTR_ACTION = "action"
ATTR_KEY = "key"
ATTR_VALUE = "value"
ATTR_PARAMS = "params"

SEND_COMMAND_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Required(ATTR_ACTION): cv.matches_regex(r"^[a-z][a-z0-9_]{0,31}$"),
        vol.Optional(ATTR_KEY): cv.matches_regex(ENTITY_KEY.pattern),
        vol.Optional(ATTR_VALUE): object,
        vol.Optional(ATTR_PARAMS): dict,
    }
)


EXPORT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_SHOW): cv.matches_regex(r"^[a-z0-9][a-z0-9_]{0,63}$")}
)
IMPORT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_FILE): cv.string,
        vol.Optional(ATTR_REPLACE, default=False): cv.boolean,
    }
)


async def _require_admin(
    call: ServiceCall, action: str, why: str = "admin_only_files"
) -> None:
    """Refuse ``action`` to a user who is not an administrator, saying ``why``.

    The same test as Home Assistant's admin-only actions; the refusal is a
    validation error so it reads as PropNet's words, not a crash in the log.
    """
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=why,
            translation_placeholders={"action": action},
        )


def _bundle_error(err: Exception) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="show_bundle",
        translation_placeholders={"error": str(err)},
    )


async def _export_show(call: ServiceCall) -> ServiceResponse:
    """Write a show and the files it names as one zip under propnet/exports/."""
    await _require_admin(call, SERVICE_EXPORT_SHOW)
    hass = call.hass
    name = call.data[ATTR_SHOW]
    folder = Path(hass.config.path(*SHOWS_FOLDER))
    target = Path(hass.config.path(*EXPORTS)) / f"{name}{SUFFIX}"

    def write() -> int:
        data = export_show(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = target.with_name(f".{target.name}.writing")
        aside.write_bytes(data)
        aside.replace(target)
        return len(data)

    try:
        size = await hass.async_add_executor_job(write)
    except (BundleError, ShowError) as err:
        raise _bundle_error(err) from None
    return {"file": str(target), "bytes": size}


async def _import_show(call: ServiceCall) -> ServiceResponse:
    """Put the show of an exported zip in the show folder, checked whole first."""
    await _require_admin(call, SERVICE_IMPORT_SHOW)
    hass = call.hass
    folder = Path(hass.config.path(*SHOWS_FOLDER))

    def read_and_import() -> str:
        config = Path(hass.config.config_dir).resolve()
        # Resolved: a link cannot lead out of the config folder either.
        source = (config / call.data[ATTR_FILE]).resolve()
        if not source.is_relative_to(config) or not source.is_file():
            raise BundleError(
                f"{call.data[ATTR_FILE]} is not a file in the config folder"
            )
        data = source.read_bytes()
        return import_show(data, folder, replace=call.data[ATTR_REPLACE])

    try:
        name = await hass.async_add_executor_job(read_and_import)
    except (BundleError, ShowError, OSError) as err:
        raise _bundle_error(err) from None
    await async_reload_all(hass)
    return {"show": name}


async def _check_admin(call: ServiceCall, action: str) -> None:
    """Refuse a prop command only administrators may send to anyone else."""
    if needs_admin(action):
        await _require_admin(call, action, "admin_only")


def _target(hass: HomeAssistant, device_id: str) -> tuple[PropHub, str, str]:
    """Return the hub, prop id and name behind a device id."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_prop",
            translation_placeholders={"device_id": device_id},
        )
    for entry_id in entry_ids(device):
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is not None
            and entry.domain == DOMAIN
            and entry.state is not ConfigEntryState.LOADED
        ):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"title": entry.title},
            )
    if (target := prop_of_device(hass, device)) is not None:
        hub, prop_id = target
        return hub, prop_id, device.name or prop_id
    if lighting_of_device(hass, device) is not None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="lighting_is_not_a_prop",
            translation_placeholders={"device": device.name or device_id},
        )
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_prop",
        translation_placeholders={"device_id": device_id},
    )


async def _send_command(call: ServiceCall) -> ServiceResponse:
    action: str = call.data[ATTR_ACTION]
    key: str | None = call.data.get(ATTR_KEY)
    if action == ACTION_SET and (key is None or ATTR_VALUE not in call.data):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="set_needs_key_and_value"
        )
    await _check_admin(call, action)
    targets = [_target(call.hass, device_id) for device_id in call.data[ATTR_DEVICE_ID]]
    results = await asyncio.gather(
        *(
            hub.async_command(
                prop_id,
                action,
                key,
                call.data.get(ATTR_VALUE),
                call.data.get(ATTR_PARAMS),
            )
            for hub, prop_id, _ in targets
        ),
        return_exceptions=True,
    )
    acks: list[dict[str, Any]] = []
    failures: list[str] = []
    refused = True  # every failure a refusal: the request, not a fault
    for device_id, (_, prop_id, name), result in zip(
        call.data[ATTR_DEVICE_ID], targets, results, strict=True
    ):
        if isinstance(result, BaseException):
            failures.append(f"{name}: {result}")
            refused = refused and isinstance(result, ServiceValidationError)
            continue
        acks.append(
            {
                "device_id": device_id,
                "prop_id": prop_id,
                "correlation_id": result.correlation_id,
                "ok": result.ok,
            }
        )
    if failures:
        raise (ServiceValidationError if refused else HomeAssistantError)(
            translation_domain=DOMAIN,
            translation_key="send_command_failed",
            translation_placeholders={"failures": "; ".join(failures)},
        )
    response: dict[str, Any] = {"acks": acks}
    return response


@callback
async def _reload_shows(call: ServiceCall) -> None:
    """Read the show files again for every props hub that runs them."""
    await async_reload_all(call.hass)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register PropNet's actions."""
    hass.services.async_register(DOMAIN, SERVICE_RELOAD_SHOWS, _reload_shows)
    for service, handler, schema in (
        (SERVICE_EXPORT_SHOW, _export_show, EXPORT_SCHEMA),
        (SERVICE_IMPORT_SHOW, _import_show, IMPORT_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN,
            service,
            handler,
            schema=schema,
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_COMMAND,
        _send_command,
        schema=SEND_COMMAND_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
