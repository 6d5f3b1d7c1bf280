"""A button in Home Assistant whose press runs a sequence on the prop."""

from . import Component as Base


class Component(Base):
    """Scare, reset, open: pressing it runs ``on_press``."""

    def command(self, action, value, params):
        """Accept ``press``; refuse with busy while the sequence runs or cools down."""
        if action != "press":
            return super().command(action, value, params)
        self.node.actions.start(self.key, self.cfg.get("on_press") or [])
        return None
