"""A minimal MQTT 3.1.1 QoS 1 publisher on a plain socket, for load generation (the
simulator, the benchmarks and the tests).

Why not paho for this. paho-mqtt keeps every unacknowledged QoS 1 message in one ordered
dict and, when ``max_inflight_messages`` is set, rescans the whole dict on every PUBACK
(``Client._update_inflight``), so publishing N messages faster than they are
acknowledged costs O(N²); without the cap it still spends ~150 µs of Python per message.
Measured here: 20,000 messages took 29 s through paho with 1,000 in flight. The load
generator must outrun the worker it loads on the same two cores, so it builds the
PUBLISH packets itself and writes them in large chunks.

Flow control. At most ``window`` messages are unacknowledged (waits otherwise); packet
identifiers run 1…65,535 and one still unacknowledged is never reused. On a lost
connection it reconnects and resends every unacknowledged message with DUP set (QoS 1:
the receiver deduplicates on the device's sequence number).
"""

from __future__ import annotations

import socket
import struct
import threading
import time


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s: bytes) -> bytes:
    return struct.pack("!H", len(s)) + s


class MqttError(RuntimeError):
    pass


class BulkPublisher:
    """QoS 1 publisher: ``publish(topic, payload)``; ``flush()`` sends what is buffered;
    ``close()`` waits until every message is acknowledged."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str = "",
        window: int = 20000,
        connect_timeout: float = 10.0,
        reconnect_for: float = 60.0,
    ):
        if not 1 <= window < 65535:
            raise ValueError("window: must be between 1 and 65,534 (16-bit packet identifiers)")
        self.host, self.port = host, port
        self.client_id = (client_id or f"jiliang-pub-{id(self):x}").encode()
        self.window = window
        self.connect_timeout, self.reconnect_for = connect_timeout, reconnect_for
        self.cv = threading.Condition()
        self.unacked: dict[int, bytes] = {}  # packet id → PUBLISH packet, in send order
        self.next_mid = 0
        self.buffer: list[bytes] = []
        self.buffered = 0
        self.acked = 0
        self.reconnects = 0
        self.closed = False
        self.error: BaseException | None = None
        self.sock: socket.socket | None = None
        self.generation = 0
        self._connect()

    # ------------------------------------------------------------------ connection

    def _connect(self) -> None:
        deadline = time.time() + self.reconnect_for
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
                variable = _string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0)  # 3.1.1, clean session, no keepalive
                body = variable + _string(self.client_id)
                sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
                connack = _read_exact(sock, 4)
                if connack[0] != 0x20 or connack[3] != 0:
                    sock.close()
                    raise MqttError(f"broker refused the connection (CONNACK return code {connack[3]})")
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        with self.cv:
            self.sock = sock
            self.generation += 1
            generation = self.generation
            resend = [bytes([packet[0] | 0x08]) + packet[1:] for packet in self.unacked.values()]  # DUP flag
        if resend:
            sock.sendall(b"".join(resend))
        threading.Thread(target=self._reader, args=(sock, generation), name="mqtt-puback-reader", daemon=True).start()

    def _reader(self, sock: socket.socket, generation: int) -> None:
        pending = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("broker closed the connection")
                data = pending + chunk
                n = len(data) - len(data) % 4
                acked = []
                for i in range(0, n, 4):  # PUBACK: 0x40 0x02 id_hi id_lo (nothing else is expected)
                    if data[i] != 0x40 or data[i + 1] != 0x02:
                        raise MqttError(f"unexpected packet type 0x{data[i]:02x} from the broker")
                    acked.append((data[i + 2] << 8) | data[i + 3])
                pending = data[n:]
                with self.cv:
                    for mid in acked:
                        if self.unacked.pop(mid, None) is not None:
                            self.acked += 1
                    self.cv.notify_all()
        except (OSError, MqttError) as exc:
            with self.cv:
                if self.closed or generation != self.generation:
                    return
                self.sock = None
                if isinstance(exc, MqttError):
                    self.error = exc
                self.cv.notify_all()

    def _ensure_connected(self) -> None:
        if self.error is not None:
            raise self.error
        if self.sock is None:
            self.reconnects += 1
            self._connect()

    # ------------------------------------------------------------------ publishing

    def publish(self, topic: str, payload: bytes) -> None:
        if len(self.unacked) >= self.window:
            self.flush()  # what is buffered must go out before its acknowledgements can come
            with self.cv:
                while len(self.unacked) >= self.window:
                    self._wait()
        t = topic.encode()
        with self.cv:
            mid = self._next_mid()
            packet = b"\x32" + _remaining_length(2 + len(t) + 2 + len(payload)) + _string(t) + struct.pack("!H", mid) + payload
            self.unacked[mid] = packet
            self.buffer.append(packet)
            self.buffered += len(packet)
            full = self.buffered >= 65536
        if full:
            self.flush()

    def _next_mid(self) -> int:
        while True:
            self.next_mid = self.next_mid % 65535 + 1
            if self.next_mid not in self.unacked:
                return self.next_mid

    def _wait(self, timeout: float = 1.0) -> None:
        """Wait for acknowledgements (cv held); reconnect when the connection dropped."""
        if self.sock is None or self.error is not None:
            self.cv.release()
            try:
                self._ensure_connected()
            finally:
                self.cv.acquire()
            return
        self.cv.wait(timeout)

    def flush(self) -> None:
        with self.cv:
            data, self.buffer, self.buffered = b"".join(self.buffer), [], 0
            sock = self.sock
        if not data:
            return
        try:
            if sock is None:
                raise ConnectionError("not connected")
            sock.sendall(data)
        except OSError:
            with self.cv:
                self.sock = None
            self._ensure_connected()  # resends every unacknowledged packet, these included

    def close(self, timeout: float = 120.0) -> None:
        """Send what is buffered and wait until the broker acknowledged everything."""
        self.flush()
        deadline = time.time() + timeout
        with self.cv:
            while self.unacked and time.time() < deadline:
                self._wait(0.5)
            left = len(self.unacked)
            self.closed = True
            sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.sendall(b"\xe0\x00")  # DISCONNECT
            except OSError:
                pass
            sock.close()
        if left:
            raise MqttError(f"{left} messages not acknowledged by the broker within {timeout} s")


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


# ----------------------------------------------------------------------------- subscriber

PUBLISH, SUBACK, PINGRESP, DISCONNECT, CONNACK = 3, 9, 13, 14, 2


class Subscriber:
    """An MQTT 5 QoS 1 consumer with a persistent session and acknowledgements sent by the
    caller (after its commit), in one write per batch.

    Why not paho here either: paho-mqtt decodes every PUBLISH with a fresh MQTT 5
    ``Properties`` object, reads each packet with several ``recv`` calls and writes each
    PUBACK on its own; measured here it spends about 170 µs of CPU per message, more than
    validating, storing and judging the message. This reads the socket in 256 kB chunks and
    parses the packets in one pass.

    Each message is ``(generation, packet id, topic, payload, received Unix time)``: the
    generation counts connections, so an acknowledgement meant for a connection that was
    lost is never sent on the next one (the broker redelivers those messages, and the
    caller's deduplication drops any it had stored).

    ``receive_maximum`` bounds the unacknowledged messages the broker sends (MQTT 5
    §3.1.2.11.3) — but Mosquitto 2.0.11 keeps that bound only until the first PUBACK:
    measured here, with 3,000 queued and Receive Maximum 500, it sent 500, then after one
    PUBACK 500 more, after ten more PUBACKs all the rest. So the consumer's memory is
    bounded here instead: while ``hold()`` is true the socket is not read, the kernel's
    receive buffer fills and TCP flow control stops the broker."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str,
        topic: str,
        on_messages,
        receive_maximum: int = 65535,
        session_expiry_s: int = 7 * 24 * 3600,
        keepalive_s: int = 30,
        reconnect_max_s: float = 2.0,
        hold=None,
    ):
        if not 1 <= receive_maximum <= 65535:
            raise ValueError("receive_maximum: must be between 1 and 65,535 (16-bit packet identifiers)")
        self.host, self.port = host, port
        self.client_id, self.topic = client_id.encode(), topic.encode()
        self.on_messages = on_messages
        self.receive_maximum, self.session_expiry_s, self.keepalive_s = receive_maximum, session_expiry_s, keepalive_s
        self.reconnect_max_s = reconnect_max_s
        self.hold = hold
        self.generation = 0
        self.connected = threading.Event()
        self.refused: str | None = None
        self.send_lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="mqtt-subscriber", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        with self.send_lock:
            sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.sendall(b"\xe0\x00")  # DISCONNECT, normal: the session stays for the next start
            except OSError:
                pass
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self.thread is not None:
            self.thread.join(10)

    def ack(self, generation: int, mids) -> bool:
        """PUBACK ``mids`` received on connection ``generation``, in one write. False (and
        nothing sent) when that connection is gone."""
        data = b"".join(b"\x40\x02" + struct.pack("!H", m) for m in mids)
        with self.send_lock:
            if generation != self.generation or self.sock is None:
                return False
            try:
                self.sock.sendall(data)
            except OSError:
                return False
        return True

    # ------------------------------------------------------------------ connection

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=10)
        props = b"\x11" + struct.pack("!I", self.session_expiry_s) + b"\x21" + struct.pack("!H", self.receive_maximum)
        variable = (
            _string(b"MQTT") + bytes([5, 0x00]) + struct.pack("!H", self.keepalive_s) + _remaining_length(len(props)) + props
        )
        body = variable + _string(self.client_id)  # connect flags 0: clean start off, the session persists
        sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
        head = _read_exact(sock, 2)
        length, extra = head[1], b""
        if head[0] != 0x20:
            raise MqttError(f"expected CONNACK, got packet type 0x{head[0]:02x}")
        if length & 0x80:  # a CONNACK with long properties: finish the variable-length integer
            length, shift, byte = length & 0x7F, 7, 0x80
            while byte & 0x80:
                byte = _read_exact(sock, 1)[0]
                length += (byte & 0x7F) << shift
                shift += 7
        extra = _read_exact(sock, length)
        if extra[1] >= 0x80:
            raise MqttError(f"broker refused the connection (CONNACK reason code 0x{extra[1]:02x})")
        # Subscribe on every connection (idempotent): a broker that lost the session gets it back.
        sub = struct.pack("!H", 1) + b"\x00" + _string(self.topic) + b"\x01"
        sock.sendall(b"\x82" + _remaining_length(len(sub)) + sub)
        sock.settimeout(self.keepalive_s / 2)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _run(self) -> None:
        delay = 0.1
        while not self.stopping.is_set():
            try:
                sock = self._connect()
            except (OSError, MqttError) as exc:
                self.refused = str(exc) if isinstance(exc, MqttError) else None
                self.stopping.wait(delay)
                delay = min(delay * 2, self.reconnect_max_s)
                continue
            delay = 0.1
            with self.send_lock:
                self.generation += 1
                generation = self.generation
                self.sock = sock
            self.connected.set()
            try:
                self._read(sock, generation)
            except (OSError, MqttError):
                pass
            finally:
                self.connected.clear()
                with self.send_lock:
                    self.generation += 1  # acknowledgements for this connection are void from now on
                    if self.sock is sock:
                        self.sock = None
                try:
                    sock.close()
                except OSError:
                    pass

    def _read(self, sock: socket.socket, generation: int) -> None:
        buf = b""
        pinged = None
        while not self.stopping.is_set():
            if self.hold is not None and self.hold():
                self.stopping.wait(0.005)  # the caller holds enough: let TCP push back on the broker
                continue
            try:
                chunk = sock.recv(262144)
            except TimeoutError:
                if pinged is not None:
                    raise MqttError("no answer to PINGREQ") from None
                with self.send_lock:
                    sock.sendall(b"\xc0\x00")
                pinged = time.time()
                continue
            if not chunk:
                raise ConnectionError("broker closed the connection")
            pinged = None
            buf = buf + chunk if buf else chunk
            now = time.time()
            batch = []
            pos, end = 0, len(buf)
            while pos + 2 <= end:
                # Fixed header: type and flags, then the remaining length (1–4 bytes).
                first = buf[pos]
                length, shift, i = 0, 0, pos + 1
                while True:
                    if i >= end:
                        length = -1
                        break
                    byte = buf[i]
                    length |= (byte & 0x7F) << shift
                    i += 1
                    if not byte & 0x80:
                        break
                    shift += 7
                if length < 0 or i + length > end:
                    break  # incomplete packet: wait for more bytes
                kind = first >> 4
                if kind == PUBLISH:
                    qos = (first >> 1) & 3
                    tlen = (buf[i] << 8) | buf[i + 1]
                    j = i + 2 + tlen
                    topic = buf[i + 2 : j]
                    mid = None
                    if qos:
                        mid = (buf[j] << 8) | buf[j + 1]
                        j += 2
                    plen, shift = 0, 0  # properties length (variable-length integer), skipped
                    while True:
                        byte = buf[j]
                        j += 1
                        plen |= (byte & 0x7F) << shift
                        if not byte & 0x80:
                            break
                        shift += 7
                    batch.append((generation, mid, topic, buf[j + plen : i + length], now))
                elif kind == SUBACK:
                    # v5 SUBACK: packet id, properties, then one reason code per filter
                    plen = buf[i + 2]
                    codes = buf[i + 3 + plen : i + length]
                    if any(c >= 0x80 for c in codes):
                        self.refused = f"subscription refused (SUBACK reason code 0x{codes[0]:02x})"
                        raise MqttError(self.refused)
                elif kind == DISCONNECT:
                    raise MqttError("broker sent DISCONNECT")
                # PINGRESP and anything else: nothing to do
                pos = i + length
            buf = buf[pos:]
            if batch:
                self.on_messages(batch)
