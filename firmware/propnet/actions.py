"""Declarative sequences: a prop's behaviour (open the lid, flash, wait, close) from its config."""

import asyncio
import time

from .components import CommandError


class Actions:
    """Runs sequences; one run per name at a time, with an optional cooldown after it."""

    def __init__(self, node, named):
        """Keep the named sequences of the config."""
        self.node = node
        self.named = named
        self.running = {}
        self.cool_until = {}
        self.runs = 0

    def busy(self, name):
        """Return why ``name`` cannot start now, or None."""
        if name in self.running:
            return name + " is running"
        until = self.cool_until.get(name)
        if until is not None and time.ticks_diff(until, time.ticks_ms()) > 0:
            return name + " is cooling down"
        return None

    def start(self, name, steps):
        """Start a sequence (steps, or the name of a named one); raise busy if it cannot."""
        if isinstance(steps, str):
            name = steps
            if steps not in self.named:
                raise CommandError("unsupported_action", "no sequence named " + steps)
            steps = self.named[steps]
        why = self.busy(name)
        if why:
            raise CommandError("busy", why)
        self.runs += 1
        self.running[name] = asyncio.create_task(self._run(name, steps))

    def trigger(self, name, steps):
        """Start a sequence from the prop itself; a refusal is only logged."""
        try:
            self.start(name, steps)
        except CommandError as e:
            self.node.log("debug", e.message)

    async def _run(self, name, steps):
        try:
            for step in steps:
                if await self._step(name, step) is False:
                    break
        except CommandError as e:
            self.node.log("error", "%s stopped at %s: %s" % (name, step[0], e.message))
        finally:
            self.running.pop(name, None)

    def _seconds(self, value):
        if isinstance(value, str):
            value = self.node.component(value).value
        return float(value)

    async def _step(self, name, step):
        op = step[0]
        if op == "delay":
            await asyncio.sleep_ms(int(self._seconds(step[1]) * 1000))
        elif op == "run":
            await self._run_nested(step[1])
        elif op == "cooldown":
            self.cool_until[name] = time.ticks_add(
                time.ticks_ms(), int(self._seconds(step[1]) * 1000)
            )
        elif op == "when":
            if self.node.component(step[1]).state() != step[2]:
                return False
        elif op in ("move", "play", "stop", "home"):
            # [op, key, argument, wait until done]
            comp = self.do(step)
            if len(step) > 3 and step[3]:
                await comp.idle()
        else:
            self.do(step)
        return True

    def do(self, step):
        """Carry out one step that takes no time (a show's cues are these); return its component."""
        op = step[0]
        node = self.node
        if op == "log":
            node.log(step[1], step[2])
            return None
        comp = node.component(step[1])
        if op in ("on", "off"):
            value = step[2] if len(step) > 2 and step[2] else {}
            if comp.cfg["type"] in ("light", "siren"):
                value = dict(value)
                value["on"] = op == "on"
            else:
                value = op == "on"
            comp.command("set", value, None)
        elif op == "set":
            comp.command("set", step[2], None)
        elif op == "event":
            comp.fire(step[2])
        elif op == "count":
            comp.increment()
        elif op == "press":
            comp.command("press", None, None)
        elif op in ("move", "play", "stop", "home"):
            comp.act(op, step[2] if len(step) > 2 else None)
        else:
            raise CommandError("internal", "unknown step " + str(op))
        return comp

    async def _run_nested(self, name):
        for step in self.named[name]:
            if await self._step(name, step) is False:
                return
