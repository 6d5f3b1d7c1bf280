"""Builds a real Node with stub hardware and no broker, for component tests."""

import asyncio
import json
import os

import machine
from propnet import hw
from propnet.node import Node
from propnet.store import Store


def config(components, actions=None, **extra):
    """Return a compiled-style prop config around ``components``."""
    entities = []
    for c in components:
        if c["kind"] == "system":
            entities.extend({"key": k, "type": "sensor"} for k in c["keys"].values())
        elif c.get("key"):
            entities.append({"key": c["key"], "type": c["type"]})
    cfg = {
        "id": "testprop",
        "prefix": "propnet",
        "announce": {
            "v": 1,
            "id": "testprop",
            "name": "Test prop",
            "entities": entities,
        },
        "mqtt": {"host": "127.0.0.1", "port": 1},
        "components": components,
        "actions": actions or {},
    }
    cfg.update(extra)
    return cfg


def write_announce(cfg, path="announce.json"):
    """Write the announce where the node reads it, as the build does."""
    with open(path, "w") as f:
        json.dump(cfg.pop("announce"), f)


def node(
    components,
    actions=None,
    guard=None,
    store_path="test_state.json",
    fresh=True,
    **extra,
):
    """Return a Node built from ``components`` with fresh stub pins (and store, if ``fresh``)."""
    if fresh:
        try:
            os.remove(store_path)
        except OSError:
            pass
    machine.pins.clear()
    del machine.writes[:]
    cfg = config(components, actions, **extra)
    write_announce(cfg)
    return Node(cfg, hw, None, Store(store_path, 10), guard)


def run(coro):
    """Run ``coro`` to completion."""
    return asyncio.run(coro)


async def settle(ms):
    """Let tasks run for ``ms`` milliseconds."""
    await asyncio.sleep_ms(ms)


def queued(n, topic_kind):
    """Return the decoded payloads queued for ``topic_kind``."""
    out = []
    for m in n.client._queue:
        if m.topic.endswith("/" + topic_kind):
            p = m.payload
            out.append(json.loads(p) if isinstance(p, str) else p)
    return out


def latest(n, topic_kind):
    """Return the pending latest value for ``topic_kind``."""
    m = n.client._latest.get(n.topic(topic_kind))
    return None if m is None else m.payload
