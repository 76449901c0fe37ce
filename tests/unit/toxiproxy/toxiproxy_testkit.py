"""Helpers for the embedded Toxiproxy tests: raw HTTP, TCP backends, timing.

Everything listens on 127.0.0.1 with OS-chosen ports, and every server,
backend and socket a test opens is closed when it ends.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Raw HTTP to one server, with http.client; a fresh connection per call."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.port = int(port)

    def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=data, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def create(self, name: str, upstream: str, **extra: Any) -> dict[str, Any]:
        reply = self.call("POST", "/proxies", {"name": name, "upstream": upstream, "listen": f"{LOOPBACK}:0", **extra})
        assert reply.status == 201, reply
        return reply.json()

    def toxic(
        self,
        proxy: str,
        toxic_type: str,
        *,
        stream: str = "downstream",
        name: str | None = None,
        toxicity: float = 1.0,
        **attributes: int,
    ) -> dict[str, Any]:
        body = {"type": toxic_type, "stream": stream, "toxicity": toxicity, "attributes": attributes}
        if name:
            body["name"] = name
        reply = self.call("POST", f"/proxies/{proxy}/toxics", body)
        assert reply.status == 200, reply
        return reply.json()


class Backend:
    """A threaded TCP server on 127.0.0.1 that runs `handler(conn)` per connection."""

    def __init__(self, handler: Callable[[socket.socket, Backend], None]) -> None:
        self.handler = handler
        self.listener = socket.create_server((LOOPBACK, 0))
        self.port = self.listener.getsockname()[1]
        self.address = f"{LOOPBACK}:{self.port}"
        self.received: list[bytes] = []
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.closing = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self.accepted += 1
                self._conns.append(conn)
                thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
                self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        conn.settimeout(20)
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = list(self._conns)
        self.closing.set()
        # shutdown() wakes a blocked accept() on Linux; close alone may not.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)


def echo(conn: socket.socket, backend: Backend) -> None:
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def echo_then_hold_open(conn: socket.socket, backend: Backend) -> None:
    """Echo until the client's EOF, then keep this side open until the backend closes."""
    echo(conn, backend)
    backend.closing.wait(20)


def record(conn: socket.socket, backend: Backend) -> None:
    """Keep what arrives (per connection, in `received`), answer nothing."""
    chunks = []
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    finally:
        backend.received.append(b"".join(chunks))


def reply_and_close(conn: socket.socket, backend: Backend) -> None:
    conn.recv(65536)
    conn.sendall(b"bye")


def port_of(proxy: dict[str, Any]) -> int:
    return int(proxy["listen"].rsplit(":", 1)[1])


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> tuple[bytes, float]:
    """Send, read back len(payload) bytes (or until EOF); return them and the seconds taken."""
    start = time.monotonic()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got, time.monotonic() - start


def read_until_eof(sock: socket.socket) -> bytes:
    got = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return got
        got += chunk


def assert_silent(sock: socket.socket, seconds: float) -> None:
    """Nothing (not even EOF) arrives on `sock` for `seconds`; its timeout is 5 s afterwards."""
    sock.settimeout(seconds)
    try:
        chunk = sock.recv(65536)
    except TimeoutError:
        return
    finally:
        sock.settimeout(5)
    raise AssertionError(f"expected nothing for {seconds} s, got {chunk!r}")


def wait_for(condition: Callable[[], bool], *, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.01)
