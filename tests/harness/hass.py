"""A real Home Assistant process with PropNet, prepared the way a user would run it."""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time
from typing import Any, Self
import urllib.error
import urllib.parse
import urllib.request

from .procs import LOOPBACK, Process, free_port, port_open, wait_until

REPO = Path(__file__).resolve().parents[2]
CONFIG_TEMPLATE = REPO / "scripts" / "homeassistant" / "configuration.yaml"
COMPONENT = REPO / "custom_components" / "propnet"
USERNAME = "propnet"
PASSWORD = "propnet"  # noqa: S105 - a loopback-only development login
CLIENT_ID = "http://propnet.local/"
ONBOARDING_DONE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}
AUTH_PROVIDER_FILE = "auth_provider.homeassistant"


def hass_binary() -> str:
    """Return the hass executable of the environment running this code."""
    candidate = Path(sys.executable).parent / "hass"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("hass")
    if found is None:
        raise FileNotFoundError("hass is not installed; run scripts/setup")
    return found


def _login_seed(cache: Path) -> Path:
    """Return an auth provider file holding the development login.

    Creating it runs Home Assistant's auth script (about 3 s), so it is made
    once and copied into every config folder.
    """
    seed = cache / AUTH_PROVIDER_FILE
    if not seed.exists():
        scratch = cache / "auth-seed"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        subprocess.run(
            [
                hass_binary(),
                "--script",
                "auth",
                "-c",
                str(scratch),
                "add",
                USERNAME,
                PASSWORD,
            ],
            check=True,
            capture_output=True,
        )
        shutil.copy(scratch / ".storage" / AUTH_PROVIDER_FILE, seed)
        shutil.rmtree(scratch)
    return seed


def prepare_config(config: Path, cache: Path) -> None:
    """Make ``config`` a Home Assistant config folder with PropNet available.

    Idempotent: an existing folder keeps its state (entries, devices, history)
    and only gets the committed configuration and the integration link again.
    """
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG_TEMPLATE, config / "configuration.yaml")
    for name, empty in (
        ("automations.yaml", "[]\n"),
        ("scripts.yaml", "{}\n"),
        ("scenes.yaml", "[]\n"),
    ):
        if not (config / name).exists():
            (config / name).write_text(empty)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        onboarding.write_text(json.dumps(ONBOARDING_DONE))
    if not (storage / AUTH_PROVIDER_FILE).exists():
        shutil.copy(_login_seed(cache), storage / AUTH_PROVIDER_FILE)
    components = config / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / "propnet"
    if link.is_symlink() or link.exists():
        if link.resolve() == COMPONENT:
            return
        if link.is_symlink():
            link.unlink()
        else:
            shutil.rmtree(link)
    link.symlink_to(COMPONENT, target_is_directory=True)


def without_recorder(config: Path) -> None:
    """Take the recorder (and history and logbook, which need it) out of a config."""
    path = config / "configuration.yaml"
    kept = [
        line
        for line in path.read_text().splitlines()
        if line.strip() not in {"recorder:", "history:", "logbook:"}
    ]
    path.write_text("\n".join(kept) + "\n")


class HassError(RuntimeError):
    """Home Assistant answered an API call with an error."""


class Hass:
    """A hass process on loopback, with the development login."""

    def __init__(self, config: Path, cache: Path, port: int | None = None) -> None:
        """Describe an instance; prepare() and start() make it real."""
        self.config = config
        self.cache = cache
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process = Process(
            "hass",
            [hass_binary(), "-c", str(config), "--skip-pip"],
            config / "hass.out",
            env=self._env(),
        )
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._token_time = 0.0

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PROPNET_HA_PORT"] = str(self.port)
        return env

    def prepare(self) -> Self:
        """Prepare the config folder (see prepare_config)."""
        prepare_config(self.config, self.cache)
        return self

    def start(self, timeout: float = 90) -> Self:
        """Start hass and wait until it runs and the login works."""
        self.process.start()
        return self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> Self:
        """Wait until the started hass runs and the login works."""

        def http_up() -> bool:
            self.process.check_alive()
            return port_open(self.port)

        wait_until(http_up, timeout, f"Home Assistant's HTTP port {self.port}", 0.1)
        self._login()
        wait_until(
            lambda: self.get("/api/config")["state"] == "RUNNING",
            timeout,
            "Home Assistant reaching RUNNING",
            0.1,
        )
        return self

    def stop(self) -> None:
        """Stop hass the way Ctrl-C does, so it saves its state."""
        self.process.stop(timeout=60)
        self._access_token = None

    def restart(self) -> None:
        """Stop and start hass with the same config folder."""
        self.stop()
        self.start()

    # -- HTTP ---------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as err:
            raise HassError(
                f"{method} {path}: {err.code} {err.read().decode()}"
            ) from err
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode()  # text answers, such as /api/template

    def _form(self, path: str, fields: dict[str, str]) -> Any:
        return self._request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def _login(self) -> None:
        tokens = self.login(USERNAME, PASSWORD)
        self._access_token = tokens["access_token"]
        self._refresh_token = tokens["refresh_token"]
        self._token_time = time.monotonic()

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in as a user through the normal flow and return the token answer."""
        flow = self._request(
            "POST",
            "/auth/login_flow",
            json.dumps(
                {
                    "client_id": CLIENT_ID,
                    "handler": ["homeassistant", None],
                    "redirect_uri": CLIENT_ID,
                }
            ).encode(),
        )
        result = self._request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json.dumps(
                {"client_id": CLIENT_ID, "username": username, "password": password}
            ).encode(),
        )
        if result.get("type") != "create_entry":
            raise HassError(f"login failed: {result}")
        tokens: dict[str, Any] = self._form(
            "/auth/token",
            {
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": CLIENT_ID,
            },
        )
        return tokens

    @property
    def token(self) -> str:
        """Return a valid access token, refreshing it before it expires."""
        if self._access_token is None:
            self._login()
        elif time.monotonic() - self._token_time > 20 * 60:
            tokens = self._form(
                "/auth/token",
                {
                    "grant_type": "refresh_token",
                    "refresh_token": self._refresh_token or "",
                    "client_id": CLIENT_ID,
                },
            )
            self._access_token = tokens["access_token"]
            self._token_time = time.monotonic()
        assert self._access_token is not None
        return self._access_token

    def _auth(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
        }

    def get(self, path: str) -> Any:
        """GET a REST path as the development user."""
        return self._request("GET", path, headers=self._auth())

    def post(self, path: str, data: Any = None) -> Any:
        """POST JSON to a REST path as the development user."""
        body = json.dumps(data if data is not None else {}).encode()
        return self._request("POST", path, body, self._auth())

    def delete(self, path: str) -> Any:
        """DELETE a REST path as the development user."""
        return self._request("DELETE", path, headers=self._auth())

    # -- Config flows -------------------------------------------------------

    def config_flow(self, handler: str, *steps: dict[str, Any]) -> dict[str, Any]:
        """Run a config flow through the REST API, answering each form in turn.

        A menu is answered with ``{"next_step_id": step}``.
        """
        result: dict[str, Any] = self.post(
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
        )
        for answer in steps:
            if result["type"] not in {"form", "menu"}:
                raise HassError(f"flow for {handler} ended early: {result}")
            result = self.post(
                f"/api/config/config_entries/flow/{result['flow_id']}", answer
            )
        return result

    def entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        """Return the config entries, optionally of one domain."""
        suffix = f"?domain={domain}" if domain else ""
        entries: list[dict[str, Any]] = self.get(
            f"/api/config/config_entries/entry{suffix}"
        )
        return entries

    def ensure_mqtt(self, host: str, port: int, **login: str) -> dict[str, Any]:
        """Set up the MQTT integration for the broker unless it is already."""
        for entry in self.entries("mqtt"):
            return entry
        result = self.config_flow("mqtt", {"broker": host, "port": port, **login})
        if result["type"] != "create_entry":
            raise HassError(f"MQTT set-up failed: {result}")
        entry: dict[str, Any] = result["result"]
        return entry

    def states(self) -> dict[str, dict[str, Any]]:
        """Return every entity's state, by entity id."""
        return {state["entity_id"]: state for state in self.get("/api/states")}

    def wait_state(
        self, entity_id: str, want: str, timeout: float = 20, context: str = ""
    ) -> dict[str, Any]:
        """Wait until ``entity_id`` is ``want``; fail naming what it is (and ``context``)."""

        def check() -> dict[str, Any] | None:
            state = self.states().get(entity_id)
            return state if state and state["state"] == want else None

        try:
            return wait_until(check, timeout, f"{entity_id} becoming {want}", 0.1)
        except TimeoutError as err:
            now = self.states().get(entity_id)
            raise AssertionError(f"{err}; it is {now}\n{context}") from None
