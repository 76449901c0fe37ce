"""Every endpoint of the embedded server over raw HTTP: statuses, bodies, errors."""

from __future__ import annotations

import json
import socket

import pytest
from toxiproxy_testkit import LOOPBACK, Api, Backend, port_of, read_until_eof

ATTRIBUTE_DEFAULTS = {
    "latency": {"latency": 0, "jitter": 0},
    "bandwidth": {"rate": 0},
    "slow_close": {"delay": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
    "slicer": {"average_size": 0, "size_variation": 0, "delay": 0},
    "limit_data": {"bytes": 0},
    "noop": {},
}


def envelope(reply, status: int, message: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Check the error envelope and return its message."""
    assert reply.status == status, reply
    body = reply.json()
    assert set(body) >= {"error", "status"} and body["status"] == status, body
    if message is not None:
        assert body["error"] == message
    return body["error"]


# -- server-wide -------------------------------------------------------------


def test_version_body_is_byte_exact(api: Api) -> None:
    reply = api.call("GET", "/version")
    assert reply.status == 200
    assert reply.body == b'{"version": "2.12.0"}\n'
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-toxiproxy-request-id"]


def test_proxy_index_is_an_empty_object_then_sorted_by_name(api: Api, echo_backend: Backend) -> None:
    assert api.call("GET", "/proxies").json() == {}
    for name in ("b", "a", "c"):
        api.create(name, echo_backend.address)
    reply = api.call("GET", "/proxies")
    assert reply.status == 200
    assert list(reply.json()) == ["a", "b", "c"]
    assert reply.json()["a"]["toxics"] == []


def test_unknown_paths_get_go_404_text(api: Api) -> None:
    for path in ("/nope", "/metrics", "/events", "/proxies/", "/version/", "/proxies/a/toxics/", "/proxies/a/toxics/b/c", "//proxies", "/"):
        reply = api.call("GET", path)
        assert (reply.status, reply.body) == (404, b"404 page not found\n"), path


def test_known_path_with_wrong_method_is_405_with_empty_body(api: Api) -> None:
    wrong = (("PUT", "/proxies"), ("DELETE", "/version"), ("GET", "/reset"), ("GET", "/populate"), ("PUT", "/proxies/a/toxics/b"))
    for method, path in wrong:
        reply = api.call(method, path)
        assert (reply.status, reply.body) == (405, b""), (method, path)


def test_browsers_are_refused(api: Api) -> None:
    reply = api.call("GET", "/version", headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert (reply.status, reply.body) == (403, b"User agent not allowed\n")


def test_reset_enables_proxies_and_removes_toxics_but_keeps_proxies(api: Api, echo_backend: Backend) -> None:
    api.create("a", echo_backend.address)
    api.create("b", echo_backend.address, enabled=False)
    api.toxic("a", "latency", latency=10)
    reply = api.call("POST", "/reset", raw=b"ignored body")
    assert (reply.status, reply.body) == (204, b"")
    proxies = api.call("GET", "/proxies").json()
    assert proxies["a"]["toxics"] == [] and proxies["a"]["enabled"] is True
    assert proxies["b"]["enabled"] is True and port_of(proxies["b"]) > 0
    assert api.call("POST", "/reset").status == 204  # idempotent


def test_reset_fails_with_500_when_a_proxy_cannot_listen(api: Api, echo_backend: Backend) -> None:
    with socket.create_server((LOOPBACK, 0)) as taken:
        port = taken.getsockname()[1]
        api.call("POST", "/proxies", {"name": "p", "upstream": echo_backend.address, "listen": f"{LOOPBACK}:{port}", "enabled": False})
        assert "address already in use" in envelope(api.call("POST", "/reset"), 500)


# -- proxies -----------------------------------------------------------------


def test_create_proxy_answers_201_with_the_bound_address(api: Api, echo_backend: Backend) -> None:
    reply = api.call("POST", "/proxies", {"name": "web", "upstream": echo_backend.address, "listen": "127.0.0.1:0"})
    assert reply.status == 201
    body = reply.json()
    assert body["name"] == "web" and body["upstream"] == echo_backend.address and body["enabled"] is True
    assert body["toxics"] == [] and body["listen"].startswith("127.0.0.1:") and port_of(body) > 0
    assert api.call("GET", "/proxies/web").json() == body


def test_create_resolves_localhost_to_ipv4(api: Api, echo_backend: Backend) -> None:
    body = api.call("POST", "/proxies", {"name": "p", "upstream": echo_backend.address, "listen": "localhost:0"}).json()
    assert body["listen"].startswith("127.0.0.1:")


def test_create_disabled_keeps_listen_as_sent_and_binds_nothing(api: Api) -> None:
    reply = api.call("POST", "/proxies", {"name": "p", "upstream": "foo", "listen": "localhost:1", "enabled": False})
    assert reply.status == 201
    assert reply.json() == {"name": "p", "listen": "localhost:1", "upstream": "foo", "enabled": False, "toxics": []}


def test_create_decodes_like_go(api: Api, echo_backend: Backend) -> None:
    # Keys match case-insensitively, unknown keys and trailing bytes are
    # ignored, and null means the default (enabled).
    raw = json.dumps({"NAME": "p", "Upstream": echo_backend.address, "listen": "127.0.0.1:0", "enabled": None, "extra": [1]})
    reply = api.call("POST", "/proxies", raw=raw.encode() + b" trailing garbage {")
    assert reply.status == 201, reply
    assert reply.json()["name"] == "p" and reply.json()["enabled"] is True


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "bad request body: EOF"),
        (b"   \n", "bad request body: EOF"),
        (b"{", None),
        (b"{nope}", None),
        (b"[]", None),
        (b'"text"', None),
        (b'{"name": 5, "upstream": "x"}', None),
        (b'{"name": "p", "upstream": "x", "enabled": "yes"}', None),
        (b'{"name": "p", "upstream": "x", "enabled": 1}', None),
        (b'{"name": "p", "upstream": NaN}', None),
        (b"null", "missing required field: name"),
        (b"{}", "missing required field: name"),
        (b'{"name": ""}', "missing required field: name"),
        (b'{"name": "p"}', "missing required field: upstream"),
        (b'{"name": "p", "upstream": ""}', "missing required field: upstream"),
    ],
)
def test_create_refuses_bad_bodies_with_400(api: Api, raw: bytes, message: str | None) -> None:
    error = envelope(api.call("POST", "/proxies", raw=raw), 400, message)
    if message is None:
        assert error.startswith("bad request body: ")
    assert api.call("GET", "/proxies").json() == {}


def test_create_duplicate_is_409_before_any_bind(api: Api, echo_backend: Backend) -> None:
    api.create("p", echo_backend.address)
    envelope(api.call("POST", "/proxies", {"name": "p", "upstream": "x", "listen": "999.1.1.1:0"}), 409, "proxy already exists")


def test_create_bind_failure_is_500_and_not_stored(api: Api, echo_backend: Backend) -> None:
    with socket.create_server((LOOPBACK, 0)) as taken:
        port = taken.getsockname()[1]
        reply = api.call("POST", "/proxies", {"name": "p", "upstream": echo_backend.address, "listen": f"127.0.0.1:{port}"})
        assert envelope(reply, 500) == f"listen tcp 127.0.0.1:{port}: bind: address already in use"
    for listen in ("127.0.0.1:99999", "127.0.0.1:-1", "abc", "no-such-host.invalid:0", "[::1"):
        envelope(api.call("POST", "/proxies", {"name": "p", "upstream": "x", "listen": listen}), 500)
    assert api.call("GET", "/proxies").json() == {}


def test_show_and_delete_proxy(api: Api, echo_backend: Backend) -> None:
    envelope(api.call("GET", "/proxies/p"), 404, "proxy not found")
    api.create("p", echo_backend.address)
    assert api.call("GET", "/proxies/p").status == 200
    reply = api.call("DELETE", "/proxies/p")
    assert (reply.status, reply.body) == (204, b"")
    envelope(api.call("DELETE", "/proxies/p"), 404, "proxy not found")


def test_percent_encoded_names_are_decoded(api: Api, echo_backend: Backend) -> None:
    api.create("a b", echo_backend.address)
    assert api.call("GET", "/proxies/a%20b").json()["name"] == "a b"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_update_disable_then_enable_keeps_the_port(api: Api, echo_backend: Backend, method: str) -> None:
    created = api.create("p", echo_backend.address)
    disabled = api.call(method, "/proxies/p", {"enabled": False})
    assert disabled.status == 200 and disabled.json()["enabled"] is False
    assert disabled.json()["listen"] == created["listen"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port_of(created)), timeout=2).close()
    enabled = api.call(method, "/proxies/p", {"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["listen"] == created["listen"]
    socket.create_connection((LOOPBACK, port_of(created)), timeout=2).close()


def test_update_listen_or_upstream_restarts_and_name_is_ignored(api: Api, echo_backend: Backend) -> None:
    created = api.create("p", echo_backend.address)
    moved = api.call("POST", "/proxies/p", {"listen": "127.0.0.1:0", "name": "renamed"}).json()
    assert moved["name"] == "p" and moved["enabled"] is True and moved["listen"] != created["listen"]
    same = api.call("POST", "/proxies/p", {"listen": moved["listen"]}).json()
    assert same["listen"] == moved["listen"]
    changed = api.call("PATCH", "/proxies/p", {"upstream": "127.0.0.1:1"}).json()
    assert changed["upstream"] == "127.0.0.1:1" and changed["enabled"] is True
    both = api.call("PATCH", "/proxies/p", {"upstream": echo_backend.address, "enabled": False}).json()
    assert both["upstream"] == echo_backend.address and both["enabled"] is False


def test_update_errors(api: Api, echo_backend: Backend) -> None:
    envelope(api.call("POST", "/proxies/missing", {"enabled": False}), 404, "proxy not found")
    api.create("p", echo_backend.address)
    envelope(api.call("POST", "/proxies/p", raw=b""), 400, "bad request body: EOF")
    assert envelope(api.call("PATCH", "/proxies/p", {"enabled": "no"}), 400).startswith("bad request body: ")
    envelope(api.call("POST", "/proxies/p", {"listen": "abc"}), 500)
    assert api.call("GET", "/proxies/p").json()["enabled"] is True


def test_populate_creates_in_order_and_answers_201(api: Api, echo_backend: Backend) -> None:
    body = [
        {"name": "b", "upstream": echo_backend.address, "listen": "127.0.0.1:0"},
        {"name": "a", "upstream": echo_backend.address, "listen": "127.0.0.1:0", "enabled": False},
    ]
    reply = api.call("POST", "/populate", body)
    assert reply.status == 201
    proxies = reply.json()["proxies"]
    assert [p["name"] for p in proxies] == ["b", "a"] and proxies[1]["enabled"] is False
    assert set(api.call("GET", "/proxies").json()) == {"a", "b"}


def test_populate_keeps_unchanged_proxies_and_replaces_changed_ones(api: Api, echo_backend: Backend) -> None:
    kept = api.create("kept", echo_backend.address)
    api.create("moved", echo_backend.address)
    api.create("other", echo_backend.address)
    for name in ("kept", "moved", "other"):
        api.toxic(name, "latency", latency=5)
    body = [
        {"name": "kept", "upstream": echo_backend.address, "listen": kept["listen"], "enabled": False},
        {"name": "moved", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:0"},
    ]
    proxies = api.call("POST", "/populate", body).json()["proxies"]
    assert proxies[0]["enabled"] is True and len(proxies[0]["toxics"]) == 1  # untouched
    assert proxies[1]["upstream"] == "127.0.0.1:1" and proxies[1]["toxics"] == []  # brand new
    assert len(api.call("GET", "/proxies/other").json()["toxics"]) == 1  # never deleted


@pytest.mark.parametrize(
    ("raw", "status", "message", "proxies"),
    [
        (b"[]", 201, None, None),
        (b"null", 201, None, None),
        (b"{}", 400, None, None),
        (b"", 400, "bad request body: EOF", None),
        (b'[{"name": "a", "upstream": "x"}, {"upstream": "x"}]', 400, "missing required field: name at proxy 2", None),
        (b'[{"name": "a"}]', 400, "missing required field: upstream at proxy 1", None),
        (b'[{"name": "a", "upstream": 1}]', 400, None, None),
        (b"[null]", 400, "missing required field: name at proxy 1", None),
    ],
)
def test_populate_bodies(api: Api, raw: bytes, status: int, message: str | None, proxies: None) -> None:
    reply = api.call("POST", "/populate", raw=raw)
    assert reply.status == status
    assert not reply.body.endswith(b"\n")  # populate is written without http.Error
    body = reply.json()
    assert body["proxies"] is proxies
    if status != 201:
        assert body["status"] == status and body["error"].startswith(message or "bad request body: ")
    assert api.call("GET", "/proxies").json() == {}


def test_populate_stops_at_the_first_failure_with_500(api: Api, echo_backend: Backend) -> None:
    body = [
        {"name": "ok", "upstream": echo_backend.address, "listen": "127.0.0.1:0"},
        {"name": "bad", "upstream": echo_backend.address, "listen": "127.0.0.1:99999"},
        {"name": "never", "upstream": echo_backend.address, "listen": "127.0.0.1:0"},
    ]
    reply = api.call("POST", "/populate", body)
    assert reply.status == 500
    answer = reply.json()
    assert answer["status"] == 500 and answer["error"] and [p["name"] for p in answer["proxies"]] == ["ok"]
    assert set(api.call("GET", "/proxies").json()) == {"ok"}


def test_hundreds_of_proxies(api: Api, echo_backend: Backend) -> None:
    body = [{"name": f"p{i:03}", "upstream": echo_backend.address, "listen": "127.0.0.1:0"} for i in range(300)]
    reply = api.call("POST", "/populate", body)
    assert reply.status == 201 and len(reply.json()["proxies"]) == 300
    for i in range(300, 400):
        api.create(f"p{i:03}", echo_backend.address)
    listed = api.call("GET", "/proxies").json()
    assert len(listed) == 400 and len({p["listen"] for p in listed.values()}) == 400
    assert api.call("POST", "/reset").status == 204
    for name in listed:
        assert api.call("DELETE", f"/proxies/{name}").status == 204
    assert api.call("GET", "/proxies").json() == {}


# -- toxics ------------------------------------------------------------------


@pytest.mark.parametrize("toxic_type", sorted(ATTRIBUTE_DEFAULTS))
def test_toxic_create_defaults_for_every_type(api: Api, echo_backend: Backend, toxic_type: str) -> None:
    api.create("p", echo_backend.address)
    reply = api.call("POST", "/proxies/p/toxics", {"type": toxic_type})
    assert reply.status == 200  # not 201
    assert reply.json() == {
        "attributes": ATTRIBUTE_DEFAULTS[toxic_type],
        "name": f"{toxic_type}_downstream",
        "type": toxic_type,
        "stream": "downstream",
        "toxicity": 1,
    }
    assert list(reply.json()) == ["attributes", "name", "type", "stream", "toxicity"]


def test_toxic_create_keeps_given_values_and_drops_unknown_attributes(api: Api, echo_backend: Backend) -> None:
    api.create("p", echo_backend.address)
    attributes = {"latency": 100, "Jitter": 7, "bogus": "x"}
    body = {"name": "slow", "type": "latency", "stream": "UpStream", "toxicity": 0.5, "attributes": attributes}
    toxic = api.call("POST", "/proxies/p/toxics", body).json()
    assert toxic == {"attributes": {"latency": 100, "jitter": 7}, "name": "slow", "type": "latency", "stream": "upstream", "toxicity": 0.5}
    assert api.call("GET", "/proxies/p/toxics/slow").json() == toxic


def test_toxicity_is_float32_and_not_range_checked(api: Api, echo_backend: Backend) -> None:
    api.create("p", echo_backend.address)
    cases = (
        ("a", 0.1, 0.1),
        ("b", 2.5, 2.5),
        ("c", -1, -1),
        ("d", 0, 0),
        ("e", 1e30, 1e30),
        ("f", 1e-50, 0),  # float32 underflow
        ("g", 3.4028235e38, 3.4028235e38),  # float32's largest
    )
    for name, sent, shown in cases:
        assert api.toxic("p", "noop", name=name, toxicity=sent)["toxicity"] == shown


def test_toxic_order_is_upstream_first_then_each_stream_in_order_added(api: Api, echo_backend: Backend) -> None:
    api.create("p", echo_backend.address)
    for name, stream in (("d1", "downstream"), ("u1", "upstream"), ("d2", "downstream"), ("u2", "upstream")):
        api.toxic("p", "noop", name=name, stream=stream)
    assert [t["name"] for t in api.call("GET", "/proxies/p/toxics").json()] == ["u1", "u2", "d1", "d2"]
    assert [t["name"] for t in api.call("GET", "/proxies/p").json()["toxics"]] == ["u1", "u2", "d1", "d2"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"type": "latency", "stream": "sideways"}, 400, "stream was invalid, can be either upstream or downstream"),
        ({"type": "latency", "stream": ""}, 400, "stream was invalid, can be either upstream or downstream"),
        ({"type": "nope"}, 400, "invalid toxic type"),
        ({}, 400, "invalid toxic type"),
        ({"type": ""}, 400, "invalid toxic type"),
        ({"type": "latency", "attributes": {"latency": 1.5}}, 400, None),
        ({"type": "latency", "attributes": {"latency": 100.0}}, 400, None),
        ({"type": "latency", "attributes": {"latency": "100"}}, 400, None),
        ({"type": "latency", "attributes": {"latency": True}}, 400, None),
        ({"type": "latency", "attributes": {"latency": 2**63}}, 400, None),
        ({"type": "latency", "attributes": [1]}, 400, None),
        ({"type": "latency", "attributes": 5}, 400, None),
        ({"type": "latency", "toxicity": "1"}, 400, None),
        ({"type": "latency", "toxicity": 1e39}, 400, None),
        ({"type": 5}, 400, None),
    ],
)
def test_toxic_create_errors(api: Api, echo_backend: Backend, body: dict, status: int, message: str | None) -> None:
    api.create("p", echo_backend.address)
    error = envelope(api.call("POST", "/proxies/p/toxics", body), status, message)
    if message is None:
        assert error.startswith("bad request body: ")
    assert api.call("GET", "/proxies/p/toxics").json() == []


def test_toxic_create_checks_in_go_order(api: Api, echo_backend: Backend) -> None:
    envelope(api.call("POST", "/proxies/missing/toxics", raw=b"not json"), 404, "proxy not found")
    api.create("p", echo_backend.address)
    envelope(api.call("POST", "/proxies/p/toxics", raw=b""), 400, "bad request body: EOF")
    api.toxic("p", "latency", name="taken", stream="upstream")
    # Duplicate names clash across streams, and the 409 comes before attribute errors.
    body = {"name": "taken", "type": "latency", "stream": "downstream", "attributes": {"latency": "bad"}}
    envelope(api.call("POST", "/proxies/p/toxics", body), 409, "toxic already exists")
    # Absurd but well-typed values are accepted, as Go does.
    assert api.toxic("p", "latency", name="negative", latency=-5, jitter=-1)["attributes"] == {"latency": -5, "jitter": -1}
    assert api.toxic("p", "bandwidth", name="huge", rate=2**63 - 1)["attributes"] == {"rate": 2**63 - 1}


def test_same_toxic_name_on_two_proxies(api: Api, echo_backend: Backend) -> None:
    api.create("a", echo_backend.address)
    api.create("b", echo_backend.address)
    api.toxic("a", "latency")
    api.toxic("b", "latency")


def test_toxic_show_update_delete(api: Api, echo_backend: Backend) -> None:
    envelope(api.call("GET", "/proxies/missing/toxics/t"), 404, "proxy not found")
    envelope(api.call("GET", "/proxies/missing/toxics"), 404, "proxy not found")
    api.create("p", echo_backend.address)
    envelope(api.call("GET", "/proxies/p/toxics/t"), 404, "toxic not found")
    envelope(api.call("POST", "/proxies/p/toxics/t", {"toxicity": 1}), 404, "toxic not found")
    envelope(api.call("DELETE", "/proxies/p/toxics/t"), 404, "toxic not found")
    api.toxic("p", "slicer", name="t", average_size=10, size_variation=2, delay=5)

    merged = api.call("POST", "/proxies/p/toxics/t", {"attributes": {"delay": 9}, "name": "x", "type": "latency", "stream": "upstream"})
    assert merged.status == 200
    assert merged.json() == {
        "attributes": {"average_size": 10, "size_variation": 2, "delay": 9},
        "name": "t",
        "type": "slicer",
        "stream": "downstream",
        "toxicity": 1,
    }
    patched = api.call("PATCH", "/proxies/p/toxics/t", {"toxicity": 0.25}).json()
    assert patched["toxicity"] == 0.25 and patched["attributes"]["delay"] == 9
    envelope(api.call("POST", "/proxies/p/toxics/t", raw=b""), 400, "bad request body: EOF")
    assert envelope(api.call("POST", "/proxies/p/toxics/t", {"attributes": {"delay": "x"}}), 400).startswith("bad request body: ")
    assert envelope(api.call("PATCH", "/proxies/p/toxics/t", {"toxicity": []}), 400).startswith("bad request body: ")
    assert api.call("GET", "/proxies/p/toxics/t").json()["attributes"]["delay"] == 9  # failed updates change nothing

    reply = api.call("DELETE", "/proxies/p/toxics/t")
    assert (reply.status, reply.body) == (204, b"")
    envelope(api.call("DELETE", "/proxies/p/toxics/t"), 404, "toxic not found")


def test_toxics_survive_disable_and_enable(api: Api, echo_backend: Backend) -> None:
    api.create("p", echo_backend.address)
    api.toxic("p", "latency", latency=5)
    api.call("POST", "/proxies/p", {"enabled": False})
    api.call("POST", "/proxies/p", {"enabled": True})
    assert [t["name"] for t in api.call("GET", "/proxies/p/toxics").json()] == ["latency_downstream"]


# -- HTTP framing ------------------------------------------------------------


def _raw_exchange(api: Api, data: bytes) -> bytes:
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(data)
        return read_until_eof(sock)


def test_chunked_body_expect_continue_and_keep_alive(api: Api, echo_backend: Backend) -> None:
    body = json.dumps({"name": "p", "upstream": echo_backend.address, "listen": "127.0.0.1:0"}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    request = (
        b"POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n" + chunked
        + b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = _raw_exchange(api, request)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n")
    assert answer.endswith(b'{"version": "2.12.0"}\n')


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"garbage\r\n\r\n",
        b"GET /version HTTP/9.9\r\n\r\n",
        b"GET /version HTTP/1.1\r\nbad header line\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n",
        b"POST /proxies HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_http_gets_400_and_the_server_lives_on(api: Api, request_bytes: bytes) -> None:
    answer = _raw_exchange(api, request_bytes)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert api.call("GET", "/version").status == 200


def test_head_gets_headers_only(api: Api) -> None:
    answer = _raw_exchange(api, b"HEAD /nope HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404 Not Found\r\n") and answer.endswith(b"\r\n\r\n")
