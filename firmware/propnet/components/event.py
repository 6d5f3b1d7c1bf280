"""An event entity that sequences fire."""

from . import Component as Base


class Component(Base):
    """Declares event types; ``fire`` publishes one."""

    def fire(self, kind, data=None):
        """Publish an event of type ``kind``."""
        self.node.event(self.key, kind, data or {})
