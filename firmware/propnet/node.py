"""The prop runtime: config to components, and the whole wire contract over MQTT.

One module for the prop's heap: each module imported costs its own globals
and bytecode, and the runtime's parts (commands, births, logs held while
offline, status) share the node's state. What is needed only sometimes
lives apart and is imported when used: updates and their trial (update.py),
the name lookup (dns.py), the status LED (safety.py).
"""

import asyncio
import json
import os
import random
import time

from .actions import Actions
from .components import CommandError, build
from .mqtt import MQTTClient

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
IDENTIFY_MS = 5000
# Log lines kept while offline, sent when the broker is back.
HELD_LOGS = 16


def _correlation_id(value):
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        return None
    for ch in value:
        if not 32 <= ord(ch) <= 126:
            return None
    return value


def _tls(mqtt):
    """Return a TLS context that trusts only the broker's CA (ca.der from the build)."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    with open(mqtt.get("ca", "ca.der"), "rb") as f:
        ctx.load_verify_locations(cadata=f.read())
    return ctx


class Node:
    """One prop: builds its components and keeps it on the contract, online or not."""

    def __init__(self, cfg, hw, net=None, store=None, guard=None):
        """Build every component (only diagnostics in safe mode); connect nothing yet."""
        self.cfg = cfg
        self.id = cfg["id"]
        self.base = cfg["prefix"] + "/" + self.id
        self.hw = hw
        self.net = net
        self.store = store
        self.guard = guard
        self.safe_mode = guard is not None and guard.safe_mode
        self.log_level = LEVELS[cfg.get("log_level", "info")]
        self.held = []
        self.held_dropped = 0
        self.drops = {}
        # Component loops that failed and started again, by component.
        self.faults = {}
        self.handlers = {}
        self.commands = 0
        self.updater = None
        self.components = {}
        self.order = []
        self.actions = Actions(self, cfg.get("actions", {}))
        self._status_due = asyncio.Event()
        self.led = None
        led = cfg.get("status_led")
        if led:
            from .safety import StatusLed

            self.led = StatusLed(
                hw.output(led["pin"], 1 if led.get("invert") else 0),
                led.get("invert", False),
            )
        keep = None
        if self.safe_mode:
            keep = ("system",)
        for c in cfg["components"]:
            if keep is None or c["kind"] in keep:
                comp = build(self, c)
                self.order.append(comp)
                if comp.key:
                    self.components[comp.key] = comp
                for facet in getattr(comp, "facets", ()):
                    self.components[facet.key] = facet
        m = cfg["mqtt"]
        self.client = MQTTClient(
            cfg.get("client_id") or "propnet-" + self.id,
            m["host"],
            m.get("port", 1883),
            m.get("user"),
            m.get("password"),
            keepalive=m.get("keepalive", 15),
            will=(self.topic("availability"), "offline", True, 1),
            on_message=self._on_message,
            on_connect=self._births,
            log=self.log,
            ssl=_tls(m) if m.get("tls") else None,
            resolve=self._resolver(m),
        )
        self.client.ready = self._net_up
        self.subscribe(self.topic("cmd"), self._on_cmd)
        self.subscribe("homeassistant/status", self._on_ha_status)
        self.show = None
        if cfg.get("show") is not None and not self.safe_mode:
            # Imported only by a prop with shows: every module costs heap.
            from .show import Component as Show

            self.show = Show(self, cfg["show"])
            self.order.append(self.show)

    def _resolver(self, mqtt):
        """Return how to find the broker's address by name, or None for an address.

        The name server is ``mqtt.dns`` when set, else the one Wi-Fi was given.
        """
        host = mqtt["host"]
        parts = host.split(".")
        if host == "localhost" or (len(parts) == 4 and all(p.isdigit() for p in parts)):
            return None
        from . import dns

        def resolve(name):
            given = self.net.dns() if self.net is not None else None
            return dns.resolve(name, dns.server_of(mqtt.get("dns"), given))

        return resolve

    # What components call

    def topic(self, kind):
        """Return this prop's topic of ``kind``."""
        return self.base + "/" + kind

    def component(self, key):
        """Return the component of ``key`` or raise unknown_key."""
        comp = self.components.get(key)
        if comp is None:
            raise CommandError("unknown_key", "no entity " + str(key))
        return comp

    def changed(self, key):
        """Note that a stateful component changed; the retained status goes out soon."""
        self._status_due.set()

    def telemetry(self, key, value):
        """Publish a reading; offline, only the newest per key is kept."""
        self.client.publish(self.topic("telemetry"), {key: value}, latest=True)

    def event(self, key, kind, data=None):
        """Publish an event; offline, events wait in order."""
        self.client.publish(
            self.topic("event"), {"key": key, "type": kind, "data": data or {}}, qos=1
        )

    def publish(self, topic, payload, retain=False, qos=0, latest=False):
        """Publish anything else (RGB commands)."""
        self.client.publish(topic, payload, retain, qos, latest)

    def subscribe(self, topic, handler):
        """Call ``handler(topic, payload)`` for messages on ``topic``."""
        self.handlers[topic] = handler
        self.client.subscribe(topic, 1)

    def log(self, level, msg):
        """Print, and publish to the log topic; offline, keep the last few lines."""
        if LEVELS.get(level, 20) < self.log_level:
            return
        print(level, msg)
        if not hasattr(self, "client"):
            return
        if self.client.connected:
            self.client.publish(self.topic("log"), {"level": level, "msg": msg})
            return
        if len(self.held) >= HELD_LOGS:
            self.held.pop(0)
            self.held_dropped += 1
        self.held.append((level, msg))

    def fault(self, key):
        """Count a failure of ``key``'s loop; return how many it has had."""
        n = self.faults.get(key, 0) + 1
        self.faults[key] = n
        return n

    def drop(self, reason):
        """Count a message dropped for ``reason``; the first of each kind is logged."""
        n = self.drops.get(reason, 0) + 1
        self.drops[reason] = n
        if n == 1:
            self.log("warning", "dropped a message: " + reason)

    # The contract

    def status(self):
        """Return the complete retained status."""
        out = {}
        for comp in self.order:
            if comp.stateful:
                comp.report(out)
        return out

    def announce(self):
        """Return the announce as JSON text, with this boot's address.

        The tool wrote it to announce.json at build time; it is read from
        flash when needed rather than held in RAM between connections.
        """
        try:
            with open(self.cfg.get("announce_file", "announce.json")) as f:
                text = f.read()
            if self.safe_mode:
                json.loads(text)
        except (OSError, ValueError):
            if not self.safe_mode:
                raise
            # Safe mode must get online whatever is broken on flash.
            text = json.dumps({"v": 1, "id": self.id, "name": self.id, "entities": []})
        extra = {}
        if self.net is not None:
            # No "ip": the hub links the device to http://<ip>/, and the
            # firmware serves no page there.
            extra["mac"] = self.net.mac()
        if self.safe_mode:
            a = json.loads(text)
            keys = set(self.components)
            for comp in self.order:
                # The system component declares several sensors under one component.
                keys.update(getattr(comp, "keys", {}).values())
            a["entities"] = [e for e in a["entities"] if e["key"] in keys]
            a["name"] = a["name"][:52] + " (safe mode)"
            a.update(extra)
            return json.dumps(a)
        if not extra:
            return text
        return text[:-1] + "," + json.dumps(extra)[1:]

    def _births(self):
        # Lines logged while offline go out after the births, marked as such.
        if self.held_dropped:
            self.held.insert(
                0, ("warning", "%d older lines were dropped" % self.held_dropped)
            )
        for level, msg in self.held:
            self.client.publish(
                self.topic("log"), {"level": level, "msg": "(while offline) " + msg}
            )
        self.held = []
        self.held_dropped = 0
        if self.show is not None:
            self.show.connected()
        return [
            (self.topic("availability"), "online", True, 1),
            (self.topic("announce"), self.announce(), True, 1),
            (self.topic("status"), self.status(), True, 1),
        ]

    def republish(self):
        """Publish availability, announce and status again."""
        for topic, payload, retain, qos in self._births():
            self.client.publish(topic, payload, retain, qos, latest=True)

    def _net_up(self):
        return self.net is None or self.net.isconnected()

    def _on_message(self, topic, payload):
        handler = self.handlers.get(topic)
        if handler is None:
            self.drop("unexpected_topic")
            return
        handler(topic, payload)

    def _on_ha_status(self, topic, payload):
        if bytes(payload) == b"online":
            asyncio.create_task(self._republish_later())

    async def _republish_later(self):
        # Spread props out so a returning Home Assistant is not flooded.
        await asyncio.sleep_ms(random.getrandbits(12) % 3000)
        self.republish()

    def _on_cmd(self, topic, payload):
        try:
            cmd = json.loads(payload)
        except ValueError:
            self.drop("bad_json")
            return
        if not isinstance(cmd, dict):
            self.drop("not_an_object")
            return
        self.commands += 1
        cid = _correlation_id(cmd.get("correlation_id"))
        if "correlation_id" in cmd and cid is None:
            self.drop("bad_correlation_id")
        ack = {"correlation_id": cid, "ok": True}
        try:
            info = self._dispatch(cmd)
            if info:
                # An informational message on a successful ack (update_status).
                ack["message"] = info
        except CommandError as e:
            ack["ok"] = False
            ack["error"] = e.code
            ack["message"] = e.message
        except Exception as e:  # noqa: BLE001 - a component bug becomes an ack, not a crash
            ack["ok"] = False
            ack["error"] = "internal"
            ack["message"] = repr(e)
            self.log("error", "command failed: " + repr(e))
        if cid is not None:
            self.client.publish(self.topic("ack"), ack, qos=1)

    def _dispatch(self, cmd):
        action = cmd.get("action")
        if not isinstance(action, str) or not action:
            raise CommandError("bad_value", "the command has no action")
        if action in ("set", "press"):
            key = cmd.get("key")
            if not isinstance(key, str):
                raise CommandError("bad_value", action + " needs a key")
            self.component(key).command(action, cmd.get("value"), cmd.get("params"))
        elif action == "ping":
            pass
        elif action == "identify":
            self.identify()
        elif action == "announce":
            self.republish()
        elif action == "log_level":
            params = cmd.get("params")
            level = params.get("level") if isinstance(params, dict) else None
            if level not in LEVELS:
                raise CommandError(
                    "bad_value", "level must be one of " + ", ".join(LEVELS)
                )
            self.log_level = LEVELS[level]
            self.log("info", "log level " + level)
        elif action == "reboot":
            asyncio.create_task(self.reboot())
        elif action.startswith("update_"):
            return self._update(action, cmd.get("params"))
        elif action.startswith("show_") and self.show is not None:
            return self.show.command_show(action, cmd.get("params"))
        elif action in self.actions.named:
            self.actions.start(action, action)
        else:
            raise CommandError(
                "unsupported_action", action + " is not an action of " + self.id
            )
        return None

    def identify(self):
        """Blink the status LED, else the first light, else beep the first siren."""
        if self.led is not None:
            self.led.identify_ms = IDENTIFY_MS
        else:
            for comp in self.order:
                if comp.identify():
                    break
            else:
                raise CommandError(
                    "unsupported_action", self.id + " has no LED, light or siren"
                )
        self.log("info", "identify")

    # Firmware updates

    def _update(self, action, params):
        """Carry out one update step (update.py); ``update_status`` says how the last ended."""
        from . import update

        if self.updater is None:
            self.updater = update.Updater()
        return self.updater.step(self, action, params)

    # Running

    async def _status_loop(self):
        while True:
            await self._status_due.wait()
            self._status_due.clear()
            self.client.publish(
                self.topic("status"), self.status(), True, 1, latest=True
            )

    async def _led_loop(self):
        while True:
            if self.safe_mode:
                self.led.mode = "safe_mode"
            elif not self._net_up():
                self.led.mode = "no_wifi"
            elif not self.client.connected:
                self.led.mode = "no_broker"
            else:
                self.led.mode = "online"
            await asyncio.sleep_ms(200)

    async def _stable(self):
        await asyncio.sleep_ms(int(self.cfg.get("stable_after", 30) * 1000))
        if self.guard is not None:
            self.guard.good()

    async def run(self):
        """Run the prop until it reboots."""
        if self.safe_mode:
            self.log(
                "warning", "safe mode: too many failed boots; only networking runs"
            )
        wdt_s = self.cfg.get("watchdog", 0)
        if wdt_s:
            from .safety import feed

            asyncio.create_task(
                feed(self.hw.watchdog(int(wdt_s * 1000)), int(wdt_s * 250))
            )
        if self.net is not None:
            asyncio.create_task(self.net.run())
        if self.led is not None:
            asyncio.create_task(self.led.run())
            asyncio.create_task(self._led_loop())
        for comp in self.order:
            comp.start()
        asyncio.create_task(self._status_loop())
        try:
            os.stat("update.json")
        except OSError:
            pass
        else:
            # Imported only on a trial boot: every module costs heap.
            from . import update

            update.resume(self)
        asyncio.create_task(self._stable())
        await self.client.run()

    async def reboot(self):
        """Let the ack go out, say offline, make outputs safe, and restart."""
        deadline = time.ticks_add(time.ticks_ms(), 1000)
        while self.client.pending() and time.ticks_diff(deadline, time.ticks_ms()) > 0:
            await asyncio.sleep_ms(10)
        await self.stop()
        if self.guard is not None:
            # A restart on purpose is not a failed boot (safe mode counts those).
            self.guard.good()
        self.hw.reset()

    async def stop(self):
        """Shut down cleanly: outputs safe, ``offline`` published, connection closed."""
        for comp in self.order:
            comp.safe()
        if self.store is not None:
            self.store.flush()
        await self.client.disconnect((self.topic("availability"), "offline", True, 1))


def main(path="prop.json"):
    """Start the prop described by ``path`` (what main.py on the board calls)."""
    from . import hw
    from .net import Network
    from .safety import BootGuard
    from .store import Store

    problem = None
    try:
        with open(path) as f:
            cfg = json.load(f)
        if not isinstance(cfg, dict) or "id" not in cfg or "mqtt" not in cfg:
            problem = "it is not a prop config"
    except (OSError, ValueError) as e:
        problem = repr(e)
    guard = BootGuard(3 if problem else cfg.get("safe_mode_after", 3))
    if problem:
        # A reset would only read the same file again: start in safe mode
        # from the network settings the build kept apart, and wait for an update.
        print("prop.json is unreadable (%s): safe mode" % problem)
        cfg = rescue()
        guard.safe_mode = True
    net = None
    wifi = cfg.get("wifi")
    if wifi:
        net = Network(wifi["ssid"], wifi.get("password"), print)
    node = Node(cfg, hw, net, Store(), guard)
    asyncio.run(node.run())


def rescue(path="net.json"):
    """Return the config safe mode runs on when prop.json is broken, or wait forever."""
    import time

    try:
        with open(path) as f:
            cfg = json.load(f)
        cfg["components"] = []
        cfg.setdefault("prefix", "propnet")
        return cfg
    except (OSError, ValueError, KeyError, TypeError) as e:
        # Nothing to connect with: stay up for the USB console rather than
        # resetting in a loop.
        while True:
            print("no usable prop.json or net.json (%r); deploy over USB" % (e,))
            time.sleep(30)
