"""Number, select and text entities whose values persist in flash."""

from . import CommandError, Component as Base, number


class Component(Base):
    """A setting the prop keeps across restarts (a delay, a mode, a message)."""

    stateful = True

    def __init__(self, node, cfg):
        """Load the saved value, or the configured initial one."""
        super().__init__(node, cfg)
        self.type = cfg["type"]
        saved = node.store.get(self.key)
        try:
            self.value = self._check(saved) if saved is not None else cfg.get("initial")
        except CommandError:
            node.log(
                "warning", "stored value of %s no longer fits; using initial" % self.key
            )
            self.value = cfg.get("initial")

    def _check(self, value):
        cfg = self.cfg
        if self.type == "number":
            return number(value, cfg.get("min"), cfg.get("max"))
        if not isinstance(value, str):
            raise CommandError("bad_value", "expected a string")
        if self.type == "select":
            if value not in cfg["options"]:
                raise CommandError("bad_value", value + " is not an option")
            return value
        if len(value) < cfg.get("min_len", 0) or len(value) > cfg.get("max_len", 255):
            raise CommandError("bad_value", "text length out of range")
        return value

    def state(self):
        """Return the current value."""
        return self.value

    def set(self, value):
        """Take a new value, save it and publish it."""
        self.value = self._check(value)
        self.node.store.put(self.key, self.value)
        self.node.changed(self.key)

    def command(self, action, value, params):
        """Accept ``set`` with a value that fits."""
        if action != "set":
            return super().command(action, value, params)
        self.set(value)
        return None
