"""Fixtures for the embedded Toxiproxy tests (helpers live in toxiproxy_testkit).

Every server, backend and socket a test opens is closed when it ends.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from toxiproxy_testkit import LOOPBACK, Api, Backend, echo

from chaos.toxiproxy import EmbeddedServer


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer() as running:
        yield running


@pytest.fixture
def api(server: EmbeddedServer) -> Api:
    return Api(server.url)


@pytest.fixture
def backends() -> Iterator[Callable[..., Backend]]:
    made: list[Backend] = []

    def make(handler: Callable[[socket.socket, Backend], None] = echo) -> Backend:
        backend = Backend(handler)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def echo_backend(backends: Callable[..., Backend]) -> Backend:
    return backends(echo)


@pytest.fixture
def connect() -> Iterator[Callable[..., socket.socket]]:
    opened: list[socket.socket] = []

    def open_(port: int, *, timeout: float = 5.0) -> socket.socket:
        sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        opened.append(sock)
        return sock

    yield open_
    for sock in opened:
        sock.close()
