"""What every component shares: built from its config, reports state, takes commands."""

import asyncio

# A loop that failed starts again after this long, doubling to the longest.
RETRY_MS = (100, 30000)


class CommandError(Exception):
    """A command the component refuses; ``code`` is one of the contract's ack errors."""

    def __init__(self, code, message):
        """Refuse with a contract error code and a message for the user."""
        super().__init__(message)
        self.code = code
        self.message = message


class Component:
    """One entity of the prop. ``stateful`` ones appear in the retained status."""

    stateful = False

    def __init__(self, node, cfg):
        """Keep the node (for the hardware, publishing and actions) and the config."""
        self.node = node
        self.cfg = cfg
        self.key = cfg.get("key")

    def state(self):
        """Return the value for the status topic."""
        return

    def report(self, out):
        """Add this component's part of the retained status to ``out``."""
        out[self.key] = self.state()

    def start(self):
        """Start the tasks the component needs; called once the node runs."""

    def forever(self, loop):
        """Run ``loop()`` as a task that a failure does not end.

        A sensor that stops answering (an OSError from I2C, a pin read, a
        UART) must not silently leave the prop without that sensor: the
        failure is counted and logged, and the loop starts again after a
        backoff, so a broken part cannot fill the log either.
        """
        asyncio.create_task(self._guard(loop))

    async def _guard(self, loop):
        delay = RETRY_MS[0]
        while True:
            try:
                await loop()
                return
            except Exception as e:  # noqa: BLE001 - any failure: count, log, go on
                name = self.key or self.cfg.get("kind")
                n = self.node.fault(name)
                self.node.log(
                    "error",
                    "%s failed (%d times): %r; again in %d ms" % (name, n, e, delay),
                )
            await asyncio.sleep_ms(delay)
            delay = min(delay * 2, RETRY_MS[1])

    def command(self, action, value, params):
        """Carry out a command or raise CommandError."""
        raise CommandError(
            "unsupported_action", action + " is not supported by " + self.key
        )

    def safe(self):
        """Put outputs into their safe state (before a restart or in safe mode)."""

    def identify(self):
        """Show which prop this is (blink, beep); return False if this part cannot."""
        return False

    def act(self, op, arg):
        """Start a sequence step's ``op`` (move, play, stop, home) or raise CommandError."""
        raise CommandError(
            "unsupported_action", op + " is not supported by " + self.key
        )

    async def idle(self):
        """Return once what ``act`` started has finished."""


class Facet(Component):
    """Another entity of a component (a player's volume): its owner keeps the state."""

    def __init__(self, owner, role, kind):
        """Take the key the tool gave ``role`` in the owner's config."""
        super().__init__(owner.node, {"type": kind, "key": owner.cfg["keys"][role]})
        self.owner = owner
        self.role = role

    def state(self):
        """Return the owner's value for this entity."""
        return self.owner.facet_state(self.role)

    def command(self, action, value, params):
        """Let the owner carry out the command."""
        return self.owner.facet_command(self.role, action, value, params)


def flag(value):
    """Return a bool from a command value, or raise bad_value."""
    if value is True or value is False:
        return value
    raise CommandError("bad_value", "expected true or false")


def number(value, low=None, high=None):
    """Return a number from a command value within bounds, or raise bad_value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CommandError("bad_value", "expected a number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise CommandError("bad_value", "%s is outside %s..%s" % (value, low, high))
    return value


# Kinds that share a module.
_MODULES = {"number": "stored", "select": "stored", "text": "stored"}


def build(node, cfg):
    """Create the component for ``cfg['kind']``, importing only the modules a prop uses."""
    kind = cfg["kind"]
    module = __import__(
        "propnet.components." + _MODULES.get(kind, kind), None, None, ("Component",)
    )
    return module.Component(node, cfg)
