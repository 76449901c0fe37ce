"""Hypothesis throws thousands of generated requests at one embedded server.

Each answer must be a status the API documents for that route, errors on
known routes must carry the `{"error", "status"}` envelope, and the server
must still answer /version afterwards. Listen addresses are drawn from a
loopback-only set, so nothing the fuzzer creates binds beyond 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toxiproxy_testkit import LOOPBACK

from chaos.toxiproxy import EmbeddedServer

NAMES = ["a", "b", "latency_downstream", "t"]
TYPES = ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "noop", "bogus", ""]
SAFE_LISTENS = ["127.0.0.1:0", "localhost:0", "127.0.0.1:99999", "127.0.0.1:-5", "abc", "127.0.0.1:x", "[::1"]
METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"]
ATTRIBUTE_NAMES = ("latency", "jitter", "rate", "delay", "timeout", "average_size", "size_variation", "bytes")

# Allowed statuses per route and method; 404/405 are also allowed for any
# known route with the wrong method (gorilla/mux answers either).
ALLOWED: dict[str, dict[str, set[int]]] = {
    "version": {"GET": {200}},
    "reset": {"POST": {204, 500}},
    "populate": {"POST": {201, 400, 500}},
    "proxies": {"GET": {200}, "POST": {201, 400, 409, 500}},
    "proxy": {"GET": {200, 404}, "POST": {200, 400, 404, 500}, "PATCH": {200, 400, 404, 500}, "DELETE": {204, 404}},
    "toxics": {"GET": {200, 404}, "POST": {200, 400, 404, 409}},
    "toxic": {"GET": {200, 404}, "POST": {200, 400, 404}, "PATCH": {200, 400, 404}, "DELETE": {204, 404}},
}

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.0, 100.0, 1e39, -1e308, 2**63, 2**63 - 1, -(2**63), 3.4028235e38, -3.4028235e38, 3.4028236e38, 1e-46]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _keyed(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of `fields`."""
    return st.fixed_dictionaries({}, optional=fields)


def _mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a well-typed value, sometimes anything at all."""
    return st.one_of(good, good, good, scalars, json_values)


ints = st.one_of(st.integers(min_value=-5, max_value=300), st.integers(min_value=-(2**64), max_value=2**64))
names = st.sampled_from(NAMES)
proxy_body = _keyed(
    {
        "name": _mostly(names),
        "upstream": _mostly(st.sampled_from(["127.0.0.1:1", "foo", ""])),
        "listen": st.sampled_from(SAFE_LISTENS),
        "enabled": _mostly(st.booleans()),
        "NAME": names,
    }
)
# Shaped like what clients send, so the fuzzer gets past validation and
# reaches proxies and toxics that exist; the sloppy variants cover the rest.
good_proxy = st.fixed_dictionaries(
    {"name": names, "upstream": st.just("127.0.0.1:1"), "listen": st.sampled_from(SAFE_LISTENS[:3])},
    optional={"enabled": st.one_of(st.booleans(), st.none())},
)
attributes = st.one_of(
    _keyed({key: _mostly(ints) for key in ATTRIBUTE_NAMES + ("Latency",)}),
    json_values,
)
toxic_body = _keyed(
    {
        "name": _mostly(names),
        "type": _mostly(st.sampled_from(TYPES)),
        "stream": _mostly(st.sampled_from(["upstream", "downstream", "DOWNSTREAM", "x", ""])),
        "toxicity": _mostly(st.floats(min_value=-1, max_value=2)),
        "attributes": attributes,
    }
)
good_toxic = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES[:8])},
    optional={
        "name": names,
        "stream": st.sampled_from(["upstream", "downstream"]),
        "toxicity": st.sampled_from([0, 0.5, 1]),
        "attributes": _keyed({key: st.integers(min_value=-5, max_value=50) for key in ATTRIBUTE_NAMES}),
    },
)
toxic_update = _keyed({"attributes": attributes, "toxicity": _mostly(numbers)})
any_body = st.one_of(st.none(), json_values, st.binary(max_size=40))

# (route, path strategy, methods the route has, body strategy for them)
ROUTES: list[tuple[st.SearchStrategy[str], list[str], st.SearchStrategy[Any]]] = [
    (st.just("/version"), ["GET"], st.none()),
    (st.just("/reset"), ["POST"], any_body),
    (st.just("/populate"), ["POST"], st.one_of(st.lists(good_proxy, max_size=3), st.lists(proxy_body, max_size=4), any_body)),
    (st.just("/proxies"), ["GET", "POST"], st.one_of(good_proxy, proxy_body, any_body)),
    (st.builds("/proxies/{}".format, names), ["GET", "POST", "PATCH", "DELETE"], st.one_of(proxy_body, any_body)),
    (st.builds("/proxies/{}/toxics".format, names), ["GET", "POST"], st.one_of(good_toxic, toxic_body, any_body)),
    (
        st.builds("/proxies/{}/toxics/{}".format, st.sampled_from(["a", "a", "b"]), st.sampled_from(["t", "t", "latency_downstream", "b"])),
        ["GET", "POST", "PATCH", "DELETE"],
        st.one_of(toxic_update, any_body),
    ),
]
junk_paths = st.one_of(
    st.sampled_from(["/metrics", "/events", "/proxies/", "/", "/version/", "//proxies"]),
    st.builds(lambda s: "/" + s, st.text(alphabet="abcdefxyz/%.-_~", max_size=20)),
)


@st.composite
def api_requests(draw: st.DrawFn) -> tuple[str, str, Any]:
    # Weighted towards the routes with the most behaviour.
    choice = draw(st.sampled_from([0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6, len(ROUTES)]))
    if choice == len(ROUTES):
        return draw(st.sampled_from(METHODS)), draw(junk_paths), draw(any_body)
    path_strategy, methods, body_strategy = ROUTES[choice]
    method = draw(st.sampled_from(methods + methods + METHODS))
    body = draw(body_strategy) if method in ("POST", "PATCH") else draw(st.one_of(st.none(), body_strategy))
    return method, draw(path_strategy), body


def _route(path: str) -> str | None:
    parts = path[1:].split("/")
    if any(not part for part in parts[1:]) or not path.startswith("/"):
        return None
    shapes = {("version",): "version", ("reset",): "reset", ("populate",): "populate", ("proxies",): "proxies"}
    if tuple(parts) in shapes:
        return shapes[tuple(parts)]
    if parts[0] == "proxies" and parts[1:] and parts[1]:
        if len(parts) == 2:
            return "proxy"
        if parts[2] == "toxics":
            return {3: "toxics", 4: "toxic"}.get(len(parts))
    return None


def _safe(value: Any) -> Any:
    """Replace any listen value with a loopback-only one; the fuzzer must not bind 0.0.0.0."""
    if isinstance(value, dict):
        return {
            k: (v if v in SAFE_LISTENS else SAFE_LISTENS[len(str(v)) % len(SAFE_LISTENS)]) if k.casefold() == "listen" else _safe(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


class Session:
    """One kept-alive HTTP connection, reopened if the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        self.sent = 0
        self.batches = 0

    def send(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        self.sent += 1
        try:
            self.conn.request(method, path, body=body)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)
            raise
        if response.getheader("connection", "").lower() == "close":
            self.conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


@pytest.fixture(scope="module")
def fuzz_session() -> Iterator[Session]:
    with EmbeddedServer() as server:
        session = Session(server.port)
        yield session
        session.conn.close()
        if session.batches >= GENERATED_BATCHES:
            assert session.sent >= 1000, f"only {session.sent} generated requests were sent"
        # The server survived everything: it still answers.
        check = http.client.HTTPConnection(LOOPBACK, server.port, timeout=10)
        check.request("GET", "/version")
        assert check.getresponse().read() == b'{"version": "2.12.0"}\n'
        check.close()


def check_answer(method: str, path: str, status: int, headers: dict[str, str], data: bytes) -> None:
    route = _route(path)
    if route is None:
        assert (status, data) == (404, b"404 page not found\n"), (method, path, status, data)
        return
    allowed = ALLOWED[route].get(method)
    if allowed is None:
        assert status in (404, 405), (method, path, status)
        assert data in (b"", b"404 page not found\n")
        return
    assert status in allowed, (method, path, status, data[:200])
    if status >= 400:
        body = json.loads(data)
        assert isinstance(body["error"], str) and body["error"] and body["status"] == status, body
        if route == "populate":
            assert "proxies" in body
    elif status == 204:
        assert data == b""
    else:
        json.loads(data)
    assert headers.get("x-toxiproxy-request-id")


GENERATED_BATCHES = 250


@settings(max_examples=GENERATED_BATCHES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(api_requests(), min_size=1, max_size=20))
def test_generated_requests_get_documented_answers(fuzz_session: Session, batch: list[tuple[str, str, Any]]) -> None:
    fuzz_session.batches += 1
    # Each batch starts from proxies and a toxic that exist, so the generated
    # requests reach real objects and not only 404s.
    seed = [{"name": name, "upstream": "127.0.0.1:1", "listen": "127.0.0.1:0"} for name in ("a", "b")]
    assert fuzz_session.send("POST", "/populate", json.dumps(seed).encode())[0] == 201
    assert fuzz_session.send("POST", "/proxies/a/toxics", b'{"name": "t", "type": "latency"}')[0] in (200, 409)
    for method, path, body in batch:
        raw = body if isinstance(body, bytes) else (None if body is None else json.dumps(_safe(body)).encode())
        status, headers, data = fuzz_session.send(method, path, raw)
        check_answer(method, path, status, headers, data)


@settings(max_examples=150, deadline=None)
@given(garbage=st.binary(min_size=1, max_size=300))
def test_garbage_bytes_never_break_the_server(fuzz_session: Session, garbage: bytes) -> None:
    with socket.create_connection((LOOPBACK, fuzz_session.port), timeout=10) as sock:
        sock.sendall(garbage + b"\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer == b"" or answer.startswith(b"HTTP/1.1 ")
    status, _, data = fuzz_session.send("GET", "/version", None)
    assert (status, data) == (200, b'{"version": "2.12.0"}\n')
