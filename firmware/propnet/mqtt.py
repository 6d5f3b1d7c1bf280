"""An asyncio MQTT 3.1.1 client for props: QoS 0/1, last will, keep-alive, reconnect.

One module on purpose: on a prop every module imported costs heap for its
own globals and bytecode, and the client is one state machine whose parts
(framing, the session, the offline queue) share its socket and buffers.
"""

import asyncio
import json
import random
import struct
import time

# Socket options by number: the unix port's socket module does not name them.
_IPPROTO_TCP = 6
_TCP_NODELAY = 1

CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
SUBSCRIBE = 0x82
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0
CONNECT_MS = 5000
# The largest packet body the prop reads into memory: the contract's 4 KiB
# payload plus room for the topic. A larger one (a big retained message on a
# subscribed topic) is read past in small pieces, acked, dropped and counted,
# so it cannot raise MemoryError at every connect.
MAX_PACKET = 4096 + 512
_SKIP = 256

CONNACK_ERRORS = {
    1: "unacceptable protocol version",
    2: "client id rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class MQTTError(Exception):
    """The broker refused us or broke the protocol; the connection is dropped."""


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return out


def _str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def _packet(kind, body):
    return bytes([kind]) + _varint(len(body)) + body


def connect_packet(client_id, keepalive, will=None, user=None, password=None):
    """Return a CONNECT packet with a clean session."""
    flags = 0x02
    payload = _str(client_id)
    if will is not None:
        topic, msg, retain, qos = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _str(topic) + _str(msg)
    if user is not None:
        flags |= 0x80
        payload += _str(user)
        if password is not None:
            flags |= 0x40
            payload += _str(password)
    head = _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    return _packet(CONNECT, head + payload)


def publish_packet(topic, payload, retain, qos, pid=0, dup=False):
    """Return a PUBLISH packet."""
    kind = PUBLISH | (qos << 1) | (0x01 if retain else 0) | (0x08 if dup else 0)
    body = _str(topic)
    if qos:
        body += struct.pack("!H", pid)
    return _packet(kind, body + payload)


def subscribe_packet(pid, topics):
    """Return a SUBSCRIBE packet for (topic, qos) pairs."""
    body = bytearray(struct.pack("!H", pid))
    for topic, qos in topics:
        body += _str(topic)
        body.append(qos)
    return _packet(SUBSCRIBE, bytes(body))


def _encode(payload):
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload).encode()


class _Message:
    """An outgoing message; a dict payload is merged with newer ones until sent."""

    __slots__ = ("dup", "payload", "qos", "retain", "topic")

    def __init__(self, topic, payload, retain, qos):
        self.topic = topic
        self.payload = payload
        self.retain = retain
        self.qos = qos
        self.dup = False


class MQTTClient:
    """Keeps one connection to the broker alive and queues messages while it is down.

    ``publish`` never blocks and never fails: while offline a message with
    ``latest=True`` (states, telemetry) keeps only its newest value per topic,
    dict payloads merged key by key; other messages (events, acks) queue in
    order up to ``queue_size``, the oldest dropped and counted beyond that.
    QoS 1 messages stay in flight until their PUBACK and are sent again,
    marked DUP, after a reconnect. The session is clean on purpose: a command
    that arrived while the prop was away must not fire a lid later.
    """

    def __init__(
        self,
        client_id,
        server,
        port=1883,
        user=None,
        password=None,
        keepalive=15,
        will=None,
        on_message=None,
        on_connect=None,
        queue_size=32,
        backoff_ms=(100, 1000),
        ack_timeout_ms=5000,
        log=None,
        ssl=None,
        max_packet=MAX_PACKET,
        resolve=None,
    ):
        """Describe the connection; nothing happens until ``run`` is awaited."""
        self.client_id = client_id
        self.server = server
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.will = will
        self.on_message = on_message
        self.on_connect = on_connect
        self.queue_size = queue_size
        self.backoff_ms = backoff_ms
        self.ack_timeout_ms = ack_timeout_ms
        self._log = log or (lambda level, msg: None)
        self.ssl = ssl
        self.max_packet = max_packet
        # ``resolve(name)`` returns the broker's address without blocking the
        # loop (propnet.dns); None: ``server`` is an address already.
        self.resolve = resolve
        self._address = None
        self._failed_connects = 0
        self.subs = []
        self.ready = None
        self.connected = False
        self.up = asyncio.Event()
        self._queue = []
        self._latest = {}
        self._inflight = {}
        self._inflight_sent = {}
        self._acks = []
        self._resubscribe = False
        self._wake = asyncio.Event()
        self._pid = 0
        self._writer = None
        self._stop = False
        self._sent_ms = 0
        self._heard_ms = 0
        self._pong_due = None
        self.stats = {
            "connects": 0,
            "published": 0,
            "received": 0,
            "dropped": 0,
            "resent": 0,
            "failures": 0,
            "oversize": 0,
        }
        self.last_error = None

    # Queueing

    def subscribe(self, topic, qos=1):
        """Subscribe now (when connected) and after every reconnect."""
        self.subs.append((topic, qos))
        if self.connected:
            self._wake.set()
            self._resubscribe = True

    def publish(self, topic, payload, retain=False, qos=0, latest=False):
        """Queue a message; returns at once whether the broker is up or not."""
        if latest:
            old = self._latest.get(topic)
            if (
                old is not None
                and isinstance(payload, dict)
                and isinstance(old.payload, dict)
            ):
                old.payload.update(payload)
                old.retain = retain
                old.qos = qos
            else:
                if isinstance(payload, dict):
                    payload = dict(payload)
                self._latest[topic] = _Message(topic, payload, retain, qos)
        else:
            if len(self._queue) >= self.queue_size:
                self._queue.pop(0)
                self.stats["dropped"] += 1
            self._queue.append(_Message(topic, payload, retain, qos))
        self._wake.set()

    def supersede(self, topics):
        """Forget queued messages on ``topics``: what is sent next replaces them.

        A status resent after a reconnect (it was in flight when the link
        broke) must not follow, and so overwrite, the fresh one of the births.
        """
        for topic in topics:
            self._latest.pop(topic, None)
        self._queue = [m for m in self._queue if m.topic not in topics]

    def pending(self):
        """Return how many messages wait to be sent or acknowledged."""
        return len(self._queue) + len(self._latest) + len(self._inflight)

    # Connection

    async def run(self):
        """Connect, serve the connection, reconnect after any failure; forever."""
        delay = self.backoff_ms[0]
        while not self._stop:
            if self.ready is not None and not self.ready():
                await asyncio.sleep_ms(200)
                continue
            try:
                await self._connect()
            except Exception as e:  # noqa: BLE001 - every failure means: retry
                self.last_error = repr(e)
                self.stats["failures"] += 1
                self._close()
                # Full jitter between half and all of the delay spreads props
                # that lost the same broker.
                await asyncio.sleep_ms(
                    delay // 2 + random.getrandbits(16) % (delay // 2 + 1)
                )
                delay = min(delay * 2, self.backoff_ms[1])
                continue
            delay = self.backoff_ms[0]
            try:
                await self._serve()
            except Exception as e:  # noqa: BLE001
                self.last_error = repr(e)
            self._close()
            if not self._stop:
                self._log("warning", "broker connection lost: " + str(self.last_error))

    async def _connect(self):
        # Every step has a time limit: an access point or broker that stops
        # answering without closing must not hold the prop forever.
        address = self.server
        if self.resolve is not None:
            # Resolved once and kept; asked again after a few failed
            # connections in a row, in case the broker moved.
            if self._address is None or self._failed_connects >= 3:
                self._failed_connects = 0
                self._address = await self.resolve(self.server)
            address = self._address
        if self.ssl is None:
            opening = asyncio.open_connection(address, self.port)
        else:
            # The handshake checks the broker's certificate, by its name, against the CA.
            opening = asyncio.open_connection(
                address, self.port, ssl=self.ssl, server_hostname=self.server
            )
        self._failed_connects += 1
        reader, writer = await asyncio.wait_for_ms(opening, CONNECT_MS)
        try:
            writer.s.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
        except Exception:  # noqa: BLE001, S110 - the port may not allow it
            pass
        self._reader = reader
        self._writer = writer
        writer.write(
            connect_packet(
                self.client_id, self.keepalive, self.will, self.user, self.password
            )
        )
        await asyncio.wait_for_ms(writer.drain(), CONNECT_MS)
        kind, body = await asyncio.wait_for_ms(self._read_packet(), CONNECT_MS)
        if kind != CONNACK or len(body) != 2:
            raise MQTTError("expected CONNACK")
        if body[1]:
            raise MQTTError(
                "broker refused: " + CONNACK_ERRORS.get(body[1], str(body[1]))
            )
        self._failed_connects = 0

    def _close(self):
        self.connected = False
        self.up.clear()
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001, S110 - already broken
                pass
            self._writer = None
        # Unacknowledged QoS 1 messages go first when the connection is back.
        self._acks = []
        if self._inflight:
            pids = sorted(self._inflight)
            for p in pids:
                self._inflight[p].dup = True
            self._queue = [self._inflight[p] for p in pids] + self._queue
            self._inflight = {}
            self._inflight_sent = {}
            self.stats["resent"] += len(pids)

    async def _serve(self):
        self.connected = True
        self.stats["connects"] += 1
        self._pong_due = None
        self._sent_ms = self._heard_ms = time.ticks_ms()
        self._resubscribe = False
        writer = self._writer
        if self.on_connect is not None:
            births = self.on_connect()
            self.supersede([b[0] for b in births])
            for topic, payload, retain, qos in births:
                await self._send(_Message(topic, payload, retain, qos))
        if self.subs:
            await self._send_subscribe()
        self.up.set()
        reader_task = asyncio.create_task(self._read_loop())
        try:
            while writer is self._writer and self.connected:
                await self._drain()
                if self._resubscribe:
                    self._resubscribe = False
                    await self._send_subscribe()
                await self._wait()
        finally:
            reader_task.cancel()
        raise MQTTError(self.last_error or "connection closed")

    async def _wait(self):
        """Check the link is alive, then sleep until there is something to send.

        A ping goes out when the prop has not sent *or* not heard anything
        for half the keep-alive: a prop that only publishes would otherwise
        never notice a broker that stopped answering (a half-open link).
        """
        self._wake.clear()
        now = time.ticks_ms()
        if self._pong_due is not None and time.ticks_diff(now, self._pong_due) > 0:
            raise MQTTError("no PINGRESP from broker")
        if self._inflight and self._oldest_inflight_overdue():
            raise MQTTError("no PUBACK from broker")
        half = self.keepalive * 500
        quiet = max(
            time.ticks_diff(now, self._sent_ms), time.ticks_diff(now, self._heard_ms)
        )
        if quiet >= half and self._pong_due is None:
            # The deadline is set before the ping goes out: the reply can be
            # read while the write is still draining, and must find it to clear.
            self._pong_due = time.ticks_add(now, self.keepalive * 1000)
            await self._write(bytes([PINGREQ, 0]))
            return
        if self._acks or self._queue or self._latest:
            return
        wait = 200 if self._pong_due is not None else max(50, min(half - quiet, 1000))
        try:
            await asyncio.wait_for_ms(self._wake.wait(), wait)
        except asyncio.TimeoutError:
            pass

    def _oldest_inflight_overdue(self):
        now = time.ticks_ms()
        for sent in self._inflight_sent.values():
            if time.ticks_diff(now, sent) > self.ack_timeout_ms:
                return True
        return False

    async def _drain(self):
        while self.connected and self._acks:
            await self._write(self._acks.pop(0))
        while self.connected and self._queue:
            await self._send(self._queue.pop(0))
        while self.connected and self._latest:
            topic = next(iter(self._latest))
            await self._send(self._latest.pop(topic))

    async def _send(self, msg):
        pid = 0
        if msg.qos:
            pid = self._next_pid()
            self._inflight[pid] = msg
            self._inflight_sent[pid] = time.ticks_ms()
        await self._write(
            publish_packet(
                msg.topic, _encode(msg.payload), msg.retain, msg.qos, pid, msg.dup
            )
        )
        self.stats["published"] += 1

    async def _send_subscribe(self):
        await self._write(subscribe_packet(self._next_pid(), self.subs))

    async def _write(self, data):
        writer = self._writer
        if writer is None:
            raise MQTTError("not connected")
        writer.write(data)
        # A peer that stopped reading fills the socket buffer; then this fails.
        await asyncio.wait_for_ms(writer.drain(), self.keepalive * 1000)
        self._sent_ms = time.ticks_ms()

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    async def _read_packet(self):
        reader = self._reader
        head = await reader.readexactly(1)
        length = 0
        shift = 0
        while True:
            byte = (await reader.readexactly(1))[0]
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise MQTTError("bad remaining length")
        if length > self.max_packet:
            await self._discard(head[0], length)
            return None, None
        body = await reader.readexactly(length) if length else b""
        return head[0], body

    async def _discard(self, kind, length):
        reader = self._reader
        topic = "?"
        if kind & 0xF0 == PUBLISH:
            tlen = struct.unpack("!H", await reader.readexactly(2))[0]
            length -= 2 + tlen
            if tlen <= _SKIP:
                topic = (await reader.readexactly(tlen)).decode()
            else:
                await self._skip(tlen)
            if (kind >> 1) & 0x03 and length >= 2:
                # The broker waits for this ack; unacked it would hold back
                # later QoS 1 messages to the prop.
                self._acks.append(bytes([PUBACK, 2]) + await reader.readexactly(2))
                self._wake.set()
                length -= 2
        await self._skip(length)
        self.stats["oversize"] += 1
        self._log(
            "warning",
            "dropped a packet larger than %d bytes on %s" % (self.max_packet, topic),
        )

    async def _skip(self, length):
        while length > 0:
            n = min(length, _SKIP)
            await self._reader.readexactly(n)
            length -= n

    async def _read_loop(self):
        try:
            while True:
                kind, body = await self._read_packet()
                self._heard_ms = time.ticks_ms()
                if kind is not None:
                    self._handle(kind, body)
        except Exception as e:  # noqa: BLE001 - EOF or reset: the broker is gone
            self.last_error = repr(e)
            self.connected = False
            self._wake.set()

    def _handle(self, kind, body):
        kind_high = kind & 0xF0
        if kind_high == PUBLISH:
            qos = (kind >> 1) & 0x03
            tlen = struct.unpack("!H", body[:2])[0]
            topic = body[2 : 2 + tlen].decode()
            pos = 2 + tlen
            if qos:
                pid = body[pos : pos + 2]
                pos += 2
                self._acks.append(bytes([PUBACK, 2]) + pid)
                self._wake.set()
            self.stats["received"] += 1
            if self.on_message is not None:
                try:
                    self.on_message(topic, body[pos:])
                except Exception as e:  # noqa: BLE001 - a handler bug must not drop the link
                    self._log("error", "message handler failed: " + repr(e))
        elif kind_high == PUBACK:
            pid = struct.unpack("!H", body)[0]
            self._inflight.pop(pid, None)
            self._inflight_sent.pop(pid, None)
        elif kind_high == PINGRESP:
            self._pong_due = None
        elif kind_high == SUBACK and 0x80 in body[2:]:
            self._log("error", "broker refused a subscription")

    async def disconnect(self, last=None):
        """Publish ``last`` (topic, payload, retain, qos) and close cleanly; stop reconnecting."""
        self._stop = True
        if self.connected and self._writer is not None:
            try:
                if last is not None:
                    await self._send(_Message(*last))
                await self._write(bytes([DISCONNECT, 0]))
            except Exception:  # noqa: BLE001, S110 - closing anyway
                pass
        self._close()
