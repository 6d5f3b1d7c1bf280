"""The prop's part of a show: the hub's clock, a cue list sent ahead, and one task that fires it."""

import asyncio
import gc
import json
import os
import time

from .clock import Clock, Sync
from .components import CommandError, Component as Base

# Cue ops and the entity types they act on; None: any with a start step (act).
OPS = {
    "on": ("switch", "light", "siren"),
    "off": ("switch", "light", "siren"),
    "set": ("switch", "light", "siren", "number", "select", "text"),
    "press": ("button",),
    "move": None,
    "stop": None,
    "home": None,
    "play": None,
    "run": (),
}
LONGEST_MS = 86400000  # a cue's instant: at most a day into the show
# The last stretch before a cue is waited out yielding to other tasks, and
# its end without yielding: a sleep can end this much late.
WAKE_US = 1500
SPIN_US = 400
REPORT_MS = 200
# Between cues at least QUIET_US apart, the heap is collected once this much
# has been allocated since the last time: a collection then takes a few ms
# no cue waits on, instead of one the allocator forces at a cue's instant,
# and what the show keeps stays together at the bottom of the heap rather
# than spread through it (a spread heap has no room left for a big block).
QUIET_US = 30000
COLLECT_AFTER = 16384
SYNCED_WITHIN_MS = 5000
SAVED = "show.json"
RUNNING = "show_run.json"


def _whole(value, low, high, what):
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise CommandError(
            "bad_value", "%s must be a whole number from %d to %d" % (what, low, high)
        )
    return value


class Component(Base):
    """The show runtime, kept as a component so that it reports like one.

    Entities (the tool declares them): ``clock_synced`` and ``show_state`` in
    the status; ``clock_offset``, ``clock_error``, ``clock_rtt``,
    ``clock_drift``, ``cues_skipped`` and ``cue_lateness`` as telemetry.
    """

    stateful = True

    def __init__(self, node, cfg):
        """Keep the hub's clock and whatever show the flash holds."""
        # The show section is no entity: its failures are counted as "show".
        cfg.setdefault("kind", "show")
        super().__init__(node, cfg)
        self.key = None
        self.clock = Clock()
        self.sync = Sync(self.clock)
        self.tol_us = int(cfg.get("tolerance", 0.02) * 1000000)
        self.bound_us = int(cfg.get("bound", 0.002) * 1000000)
        self.max_cues = cfg.get("max_cues", 256)
        self.interval_ms = int(cfg.get("interval", 10) * 1000)
        self.hub = cfg.get("hub")
        self.name = None
        self.cues = []  # (op, key, value, at_us, tol_us), by instant
        self.staged = None
        self._parts = 0
        # empty, loaded, running, paused, or waiting (for the clock, after a restart mid-show)
        self.state = "empty"
        self.start_hub = 0  # the hub's microseconds at the show's zero
        self.position_us = 0
        self.next = 0
        self.run_id = 0
        self.fired = 0
        self.skipped = 0
        self.failed = 0
        self.lateness_us = 0  # the latest fired cue's
        self.report_items = []
        self._wake = asyncio.Event()
        self._report_due = asyncio.Event()
        self._synced = False
        self._kept = gc.mem_alloc()  # the heap in use after the last collection
        if self.hub:
            self.sync.point(
                self.hub.get("host") or node.cfg["mqtt"]["host"],
                self.hub.get("port", 41950),
            )
        else:
            node.subscribe(node.cfg["prefix"] + "/_hub/clock", self._on_hub)
        self._restore()

    # The hub's address and the clock

    def _on_hub(self, topic, payload):
        try:
            where = json.loads(payload)
            host = where.get("host") or self.node.cfg["mqtt"]["host"]
            port = where["port"]
            _whole(port, 1, 65535, "port")
            self.sync.point(host, port)
        except (ValueError, KeyError, TypeError, AttributeError, OSError, CommandError):
            self.node.drop("bad_hub_clock")

    def synced(self):
        """Return whether the clock is good enough to fire cues by: recent, and within its bound.

        A show clock still slewing to a new estimate is off by what is left
        of the slew (up to a second at 1 %), which counts against the bound.
        """
        c = self.clock
        return (
            c.synced
            and self.sync.heard_within(SYNCED_WITHIN_MS)
            and c.error_us is not None
            and c.error_us + abs(c.slewing_us()) <= self.bound_us
        )

    def report(self, out):
        """Retain whether the clock is synced and what the show is doing."""
        out["clock_synced"] = self._synced
        out["show_state"] = self.state

    def readings(self):
        """Return the clock's health and the cue counts."""
        c = self.clock
        return {
            "clock_offset": round(c.offset_us / 1000, 3),
            "clock_error": None if c.error_us is None else round(c.error_us / 1000, 3),
            "clock_rtt": None if c.rtt_us is None else round(c.rtt_us / 1000, 3),
            "clock_drift": round(c.rate * 1000000, 1),
            "cues_skipped": self.skipped,
            "cue_lateness": round(self.lateness_us / 1000, 3),
        }

    def start(self):
        """Run the clock, the cue task, the reports and the health readings."""
        self.forever(self.sync.run)
        self.forever(self._fire)
        self.forever(self._reports)
        self.forever(self._health)
        if self.state == "running":
            self._wake.set()

    def connected(self):
        """After a reconnect the path may have changed: sync fast again."""
        self.sync.again()

    async def _health(self):
        n = 0
        while True:
            synced = self.synced()
            if synced != self._synced:
                self._synced = synced
                self.node.changed(None)
            n += 1
            if n * 500 >= self.interval_ms:
                n = 0
                for k, v in self.readings().items():
                    self.node.telemetry(k, v)
            await asyncio.sleep_ms(500)

    # Commands

    def command_show(self, action, params):
        """Carry out ``show_load``, ``show_start``, ``show_pause``, ``show_resume`` or ``show_stop``."""
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise CommandError("bad_value", "params must be an object")
        if action == "show_load":
            return self._load(params)
        if action == "show_start":
            if not self.cues:
                raise CommandError("busy", "no show is loaded")
            self._need_clock(params)
            at = self._instant(params)
            self.position_us = (
                _whole(params.get("from", 0), 0, LONGEST_MS, "from") * 1000
            )
            self._go(at)
        elif action == "show_resume":
            if self.state != "paused":
                raise CommandError("busy", "the show is " + self.state + ", not paused")
            self._need_clock(params)
            self._go(self._instant(params))
        elif action == "show_pause":
            if self.state != "running":
                raise CommandError(
                    "busy", "the show is " + self.state + ", not running"
                )
            self.position_us = max(0, self.clock.hub_us() - self.start_hub)
            self._set_state("paused")
            self._forget_run()
        elif action == "show_stop":
            if self.state in ("running", "paused"):
                self._set_state("loaded")
                self._forget_run()
        else:
            raise CommandError("unsupported_action", action + " is not a show action")
        return None

    def _need_clock(self, params):
        # A clock that has not heard from the hub for a while still keeps
        # time by its drift; the hub judges whether that is good enough.
        if not self.clock.synced:
            raise CommandError("busy", "the clock has not synced with the hub yet")

    def _instant(self, params):
        at = params.get("at")
        if isinstance(at, bool) or not isinstance(at, int) or at < 0:
            raise CommandError("bad_value", "at must be the hub's microseconds")
        return at

    def _go(self, at):
        """Run from ``position_us``, which the hub's clock reaches at ``at``."""
        self.start_hub = at - self.position_us
        position = self.position_us
        n = 0
        while n < len(self.cues) and self.cues[n][3] < position:
            n += 1
        self.next = n
        self.run_id += 1
        self._set_state("running")
        self._save(RUNNING, [self.name, self.start_hub, self.next])
        self._wake.set()

    def _load(self, params):
        name = params.get("show")
        if not isinstance(name, str) or not 1 <= len(name) <= 64:
            raise CommandError("bad_value", "show must be a name of 1 to 64 characters")
        raw = params.get("cues")
        if not isinstance(raw, list):
            raise CommandError("bad_value", "cues must be a list")
        part = params.get("part", 0)
        if part == 0:
            self.staged = (name, [])
        elif self.staged is None or self.staged[0] != name or part != self._parts:
            self.staged = None
            raise CommandError(
                "bad_value", "part %s of %s came out of order" % (part, name)
            )
        staged = self.staged[1]
        if len(staged) + len(raw) > self.max_cues:
            self.staged = None
            raise CommandError(
                "bad_value", "a show holds at most %d cues" % self.max_cues
            )
        try:
            for cue in raw:
                staged.append(self._cue(cue, len(staged)))
        except CommandError:
            self.staged = None
            raise
        self._parts = part + 1
        if params.get("more"):
            return "part %d of %s kept" % (part, name)
        if self.state in ("running", "paused"):
            self.staged = None
            raise CommandError(
                "busy", "stop " + str(self.name) + " before loading another show"
            )
        staged.sort(key=lambda c: c[3])
        self.name, self.cues, self.staged = name, staged, None
        self._set_state("loaded" if staged else "empty")
        self._power_save(not staged)
        if staged:
            self._save(SAVED, [name, staged])
        else:
            self._remove(SAVED)
        return "%d cues of %s loaded" % (len(staged), name)

    def _cue(self, cue, index):
        """Return (op, key, value, at_us, tol_us) of one cue ``[at_ms, op, key, value, tol_ms]``, or refuse it."""
        where = "cue %d: " % index
        if not isinstance(cue, list) or not 3 <= len(cue) <= 5:
            raise CommandError(
                "bad_value", where + "must be [at_ms, op, key, value, tolerance_ms]"
            )
        try:
            at = _whole(cue[0], 0, LONGEST_MS, "at")
            tol = (
                self.tol_us
                if len(cue) < 5
                else _whole(cue[4], 0, 60000, "tolerance") * 1000
            )
        except CommandError as e:
            raise CommandError("bad_value", where + e.message) from None
        op, key = cue[1], cue[2]
        for name in OPS:
            if name == op:
                # The table's own string: a list of cues parsed from JSON
                # would otherwise hold its own copy of each.
                op = name
                break
        else:
            raise CommandError(
                "unsupported_action",
                where + "%r is not a cue; expected one of %s" % (op, ", ".join(OPS)),
            )
        value = cue[3] if len(cue) > 3 else None
        if op == "run":
            for name in self.node.actions.named:
                if name == key:
                    return (op, name, None, at * 1000, tol)
            raise CommandError(
                "unsupported_action", where + "no sequence named %r" % (key,)
            )
        if not isinstance(key, str):
            raise CommandError("bad_value", where + "the key must be a string")
        comp = self.node.component(key)
        types = OPS[op]
        if types is None:
            if type(comp).act is Base.act:
                raise CommandError(
                    "unsupported_action", where + "%s cannot %s" % (key, op)
                )
        elif comp.cfg.get("type") not in types:
            raise CommandError("unsupported_action", where + "%s cannot %s" % (key, op))
        if op == "set" and value is None:
            raise CommandError("bad_value", where + "set needs a value")
        # (op, key, value) first: the cue is also the step the actions carry out.
        return (op, comp.key, value, at * 1000, tol)

    def _set_state(self, state):
        if state != self.state:
            self.state = state
            self.node.changed(None)

    def _power_save(self, on):
        # Modem sleep holds packets for the next beacon: tens to hundreds of
        # ms off a cue's instant and the clock's round trips.
        net = self.node.net
        if net is not None:
            net.power_save(on)

    # Firing

    async def _fire(self):
        clock = self.clock
        while True:
            # Started again after a failure mid-show, it goes on at once:
            # nothing else would wake it, and the show would stay running.
            if self.state != "running":
                await self._wake.wait()
            self._wake.clear()
            while self.state == "running":
                if self.next >= len(self.cues):
                    self._set_state("loaded")
                    self._forget_run()
                    self._report_due.set()
                    break
                run = self.run_id
                step = self.cues[self.next]
                wait = clock.local_at(self.start_hub + step[3]) - clock.local()
                if wait > QUIET_US and gc.mem_alloc() - self._kept > COLLECT_AFTER:
                    gc.collect()
                    self._kept = gc.mem_alloc()
                    continue
                if wait > WAKE_US + 1000:
                    # Far off: sleep in short stretches, so a better estimate
                    # of the clock is taken up, and wake for a pause, a stop
                    # or a seek. A sleep ends a little late, never early.
                    try:
                        await asyncio.wait_for_ms(
                            self._wake.wait(), min((wait - WAKE_US) // 1000, 250)
                        )
                        self._wake.clear()
                    except asyncio.TimeoutError:
                        pass
                    continue
                deadline = time.ticks_add(time.ticks_us(), wait)
                while time.ticks_diff(deadline, time.ticks_us()) > SPIN_US:
                    await asyncio.sleep_ms(0)
                if run != self.run_id or self.state != "running":
                    continue
                while time.ticks_diff(deadline, time.ticks_us()) > 0:
                    pass
                late = time.ticks_diff(time.ticks_us(), deadline)
                self._take(self.next, late, step)
                self.next += 1

    def _take(self, index, late, step):
        """Fire one cue that is due, or skip it if it is later than its tolerance."""
        if late > step[4]:
            self.skipped += 1
            outcome = "skipped"
        else:
            try:
                if step[0] == "run":
                    self.node.actions.start(step[1], step[1])
                else:
                    self.node.actions.do(step)
                self.fired += 1
                self.lateness_us = late
                outcome = "fired"
            except CommandError as e:
                self.failed += 1
                outcome = e.code
            except Exception as e:  # noqa: BLE001 - a part that raises must not end the show
                self.failed += 1
                outcome = "internal"
                if self.failed & (self.failed - 1) == 0:
                    # The 1st, 2nd, 4th, 8th...: a broken part cannot fill the log.
                    self.node.log("error", "cue %d failed: %r" % (index, e))
        self.report_items.append((index, late, outcome))
        self._report_due.set()

    async def _reports(self):
        while True:
            await self._report_due.wait()
            # Gather what fires in the next moments into one message.
            await asyncio.sleep_ms(REPORT_MS)
            self._report_due.clear()
            items, self.report_items = self.report_items, []
            if len(items) > 100:
                self.report_items = items[100:]
                items = items[:100]
                self._report_due.set()
            self.node.publish(
                self.node.topic("show"),
                {
                    "show": self.name,
                    "run": self.run_id,
                    "state": self.state,
                    "cues": [list(i) for i in items],
                    "fired": self.fired,
                    "skipped": self.skipped,
                    "failed": self.failed,
                },
                qos=1,
            )

    # The flash: a reboot mid-show goes on with the cues still ahead

    def _save(self, path, data):
        try:
            with open(path, "w") as f:
                json.dump(data, f)
        except OSError as e:
            self.node.log("warning", "could not keep the show on flash: %r" % (e,))

    def _remove(self, path):
        try:
            os.remove(path)
        except OSError:
            pass

    def _forget_run(self):
        self._remove(RUNNING)

    def _restore(self):
        try:
            with open(SAVED) as f:
                name, cues = json.load(f)
            self.name = name
            self.cues = [tuple(c) for c in cues]
            self.state = "loaded"
            self._power_save(False)
        except (OSError, ValueError, TypeError):
            return
        try:
            with open(RUNNING) as f:
                name, start, _ = json.load(f)
        except (OSError, ValueError, TypeError):
            return
        if name == self.name:
            # Going on needs the clock: the first cues wait for the first
            # estimate, and those that are past by then are skipped and counted.
            self.start_hub = start
            self.state = "running"
            self.run_id += 1
            asyncio.create_task(self._resume_after_sync())

    async def _resume_after_sync(self):
        self.state = "waiting"
        for _ in range(600):
            if self.synced():
                break
            await asyncio.sleep_ms(100)
        else:
            self.node.log(
                "warning", "the clock did not sync in 60 s; %s stopped" % self.name
            )
            self._set_state("loaded")
            self._forget_run()
            return
        self.next = 0
        self.node.log("info", "resuming %s after a restart" % self.name)
        self._set_state("running")
        self._wake.set()
