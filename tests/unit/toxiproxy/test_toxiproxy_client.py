"""ToxiproxyClient and toxiproxy-python against the embedded server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
import toxiproxy
import toxiproxy.api
from toxiproxy_testkit import LOOPBACK, Api, Backend, round_trip

from chaos.errors import EnvironmentFailure
from chaos.toxiproxy import EmbeddedServer
from chaos.toxiproxy.client import (
    ProxyInfo,
    ToxicInfo,
    ToxiproxyBadRequest,
    ToxiproxyClient,
    ToxiproxyConflict,
    ToxiproxyError,
    ToxiproxyNotFound,
    ToxiproxyUnreachable,
)


@pytest.fixture
def client(server: EmbeddedServer) -> ToxiproxyClient:
    return ToxiproxyClient(server.url, timeout=5)


@pytest.fixture
def package_globals() -> Iterator[None]:
    """Tests that drive toxiproxy-python directly put its globals back."""
    consumer = toxiproxy.api.APIConsumer
    saved = consumer.host, consumer.port
    yield
    consumer.host, consumer.port = saved


def test_proxy_lifecycle(client: ToxiproxyClient, echo_backend: Backend, connect: Callable[..., socket.socket]) -> None:
    assert client.version() == "2.12.0"
    assert client.proxies() == {}
    created = client.create_proxy("web", upstream=echo_backend.address)
    assert isinstance(created, ProxyInfo) and created.enabled and created.listen_port > 0
    assert client.proxies() == {"web": created}
    assert client.get_proxy("web") == created
    assert round_trip(connect(created.listen_port))[0] == b"ping"

    disabled = client.disable_proxy("web")
    assert not disabled.enabled and disabled.listen == created.listen
    with pytest.raises(ConnectionRefusedError):
        connect(created.listen_port)
    assert client.enable_proxy("web").listen == created.listen

    moved = client.update_proxy("web", listen="127.0.0.1:0")
    assert moved.enabled and moved.listen != created.listen
    assert client.update_proxy("web", enabled=False).enabled is False
    client.delete_proxy("web")
    assert client.proxies() == {}


def test_toxic_lifecycle(client: ToxiproxyClient, echo_backend: Backend, connect: Callable[..., socket.socket]) -> None:
    port = client.create_proxy("web", upstream=echo_backend.address).listen_port
    toxic = client.add_toxic("web", type="latency", attributes={"latency": 300})
    assert toxic == ToxicInfo(
        name="latency_downstream", type="latency", stream="downstream", toxicity=1.0, attributes={"latency": 300, "jitter": 0}
    )
    up = client.add_toxic("web", type="limit_data", name="cap", stream="upstream", toxicity=0.5, attributes={"bytes": 9})
    assert up.stream == "upstream" and up.toxicity == 0.5
    assert [t.name for t in client.toxics("web")] == ["cap", "latency_downstream"]
    assert client.get_toxic("web", "cap") == up
    assert client.get_proxy("web").toxics == (up, toxic)

    sock = connect(port)
    assert round_trip(sock)[1] >= 0.25
    updated = client.update_toxic("web", "latency_downstream", attributes={"latency": 0}, toxicity=1)
    assert updated.attributes == {"latency": 0, "jitter": 0}
    assert client.update_toxic("web", "cap", toxicity=0).toxicity == 0
    assert round_trip(sock)[1] < 0.25

    client.delete_toxic("web", "latency_downstream")
    client.reset()
    assert client.toxics("web") == []


def test_populate_and_delete_all(client: ToxiproxyClient, echo_backend: Backend) -> None:
    made = client.populate([{"name": f"n{i}", "upstream": echo_backend.address, "listen": "127.0.0.1:0"} for i in range(5)])
    assert [p.name for p in made] == [f"n{i}" for i in range(5)]
    assert client.populate([]) == []
    client.delete_all_proxies()
    assert client.proxies() == {}


def test_errors_are_one_line_and_name_server_operation_and_message(client: ToxiproxyClient, echo_backend: Backend) -> None:
    client.create_proxy("web", upstream=echo_backend.address)
    cases: list[tuple[Callable[[], object], type[ToxiproxyError], int, str]] = [
        (lambda: client.create_proxy("web", upstream="x:1"), ToxiproxyConflict, 409, "create proxy 'web'"),
        (lambda: client.get_proxy("nope"), ToxiproxyNotFound, 404, "proxy not found"),
        (lambda: client.delete_proxy("nope"), ToxiproxyNotFound, 404, "proxy not found"),
        (lambda: client.disable_proxy("nope"), ToxiproxyNotFound, 404, "proxy not found"),
        (lambda: client.toxics("nope"), ToxiproxyNotFound, 404, "proxy not found"),
        (lambda: client.add_toxic("web", type="bogus"), ToxiproxyBadRequest, 400, "invalid toxic type"),
        (lambda: client.add_toxic("web", type="latency", stream="sideways"), ToxiproxyBadRequest, 400, "stream was invalid"),
        (lambda: client.add_toxic("web", type="latency", attributes={"latency": 1.5}), ToxiproxyBadRequest, 400, "bad request body"),
        (lambda: client.update_toxic("web", "nope", toxicity=1), ToxiproxyNotFound, 404, "toxic not found"),
        (lambda: client.delete_toxic("web", "nope"), ToxiproxyNotFound, 404, "toxic not found"),
        (lambda: client.get_toxic("web", "nope"), ToxiproxyNotFound, 404, "toxic not found"),
        (lambda: client.populate([{"upstream": "x"}]), ToxiproxyBadRequest, 400, "missing required field: name at proxy 1"),
        # toxiproxy-python ignores 5xx; the adapter must not.
        (lambda: client.create_proxy("bad", upstream="x:1", listen="127.0.0.1:99999"), ToxiproxyError, 500, "create proxy 'bad'"),
        (lambda: client.update_proxy("web", listen="abc"), ToxiproxyError, 500, "update proxy 'web'"),
    ]
    client.add_toxic("web", type="noop")
    cases.append((lambda: client.add_toxic("web", type="noop"), ToxiproxyConflict, 409, "toxic already exists"))
    for call, kind, status, words in cases:
        with pytest.raises(kind) as caught:
            call()
        error = caught.value
        text = str(error)
        assert "\n" not in text and client.url in text and words in text, text
        assert error.status == status and error.url == client.url
        assert isinstance(error, EnvironmentFailure)


def test_unreachable_server_fails_fast(echo_backend: Backend) -> None:
    with socket.create_server((LOOPBACK, 0)) as closed:
        port = closed.getsockname()[1]
    client = ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=1)
    for call in (client.proxies, client.version, lambda: client.create_proxy("a", upstream="x:1")):
        with pytest.raises(ToxiproxyUnreachable, match=f"toxiproxy at http://127.0.0.1:{port}"):
            call()
    with pytest.raises(ToxiproxyUnreachable, match="still no answer"):
        client.wait_until_ready(timeout=0.3)


def test_a_server_that_never_answers_times_out() -> None:
    # Accepts connections (the kernel backlog does) but never reads or answers.
    with socket.create_server((LOOPBACK, 0), backlog=16) as silent:
        client = ToxiproxyClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        for call in (client.proxies, client.version, lambda: client.add_toxic("p", type="noop"), client.reset):
            start = time.monotonic()
            with pytest.raises(ToxiproxyUnreachable, match="no answer within 0.5 s"):
                call()
            assert time.monotonic() - start < 3


def test_package_globals_are_left_as_they_were(client: ToxiproxyClient, echo_backend: Backend) -> None:
    consumer = toxiproxy.api.APIConsumer
    before = consumer.host, consumer.port, toxiproxy.api.requests
    client.create_proxy("web", upstream=echo_backend.address)
    with pytest.raises(ToxiproxyNotFound):
        client.delete_proxy("nope")
    assert (consumer.host, consumer.port, toxiproxy.api.requests) == before
    assert toxiproxy.api.requests is requests


def test_direct_package_users_in_other_threads_are_not_redirected(server: EmbeddedServer, package_globals: None) -> None:
    # A slow fake server keeps our client's call (and its stand-in for
    # `requests`) in place while another thread uses toxiproxy-python itself.
    release = threading.Event()
    with socket.create_server((LOOPBACK, 0)) as slow:

        def answer_slowly() -> None:
            conn, _ = slow.accept()
            with conn:
                conn.recv(65536)
                release.wait(5)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

        responder = threading.Thread(target=answer_slowly)
        responder.start()
        ours = ToxiproxyClient(f"http://127.0.0.1:{slow.getsockname()[1]}", timeout=5)
        caller = threading.Thread(target=ours.proxies)
        caller.start()
        time.sleep(0.2)  # our call is now waiting on the slow server
        host, port = server.url.split("//")[1].rsplit(":", 1)
        direct = toxiproxy.Toxiproxy()
        direct.update_api_consumer(host, int(port))
        try:
            direct.create(upstream="127.0.0.1:1", name="theirs")
            assert set(direct.proxies()) == {"theirs"}
        finally:
            release.set()
            caller.join(10)
            responder.join(10)
    assert list(Api(server.url).call("GET", "/proxies").json()) == ["theirs"]


def test_two_clients_for_two_servers_in_two_threads_never_cross(echo_backend: Backend) -> None:
    with EmbeddedServer() as first, EmbeddedServer() as second:
        clients = {"one": ToxiproxyClient(first.url), "two": ToxiproxyClient(second.url)}
        failures: list[BaseException] = []
        start = threading.Barrier(2)

        def work(tag: str) -> None:
            client = clients[tag]
            try:
                start.wait(5)
                for i in range(25):
                    name = f"{tag}-{i}"
                    client.create_proxy(name, upstream=echo_backend.address)
                    client.add_toxic(name, type="latency", attributes={"latency": i})
                    client.disable_proxy(name)
                    assert all(p.startswith(f"{tag}-") for p in client.proxies())
                    assert client.toxics(name)[0].attributes["latency"] == i
                    if i % 2:
                        client.delete_proxy(name)
            except BaseException as exc:  # reported below, on the test's thread
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(tag,)) for tag in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures, failures
        for tag, client in clients.items():
            assert sorted(client.proxies()) == sorted(f"{tag}-{i}" for i in range(0, 25, 2))


def test_toxiproxy_python_itself_works_against_the_server(
    server: EmbeddedServer, echo_backend: Backend, connect: Callable[..., socket.socket], package_globals: None
) -> None:
    host, port = server.url.split("//")[1].rsplit(":", 1)
    tp = toxiproxy.Toxiproxy()
    tp.update_api_consumer(host, int(port))
    assert tp.running() and tp.version() == b'{"version": "2.12.0"}\n'
    proxy = tp.create(upstream=echo_backend.address, name="web")
    listen_port = int(proxy.listen.rsplit(":", 1)[1])
    assert set(tp.proxies()) == {"web"} and tp.get_proxy("web").upstream == echo_backend.address
    with pytest.raises(toxiproxy.exceptions.ProxyExists):
        tp.create(upstream="x:1", name="web")

    proxy.add_toxic(type="latency", attributes={"latency": 300})
    assert proxy.get_toxic("latency_downstream").attributes == {"latency": 300, "jitter": 0}
    assert round_trip(connect(listen_port))[1] >= 0.25
    with pytest.raises(toxiproxy.exceptions.InvalidToxic):
        proxy.add_toxic(type="latency", stream="sideways")
    assert proxy.destroy_toxic("latency_downstream") is True
    assert proxy.toxics() == {}

    with proxy.down():
        with pytest.raises(ConnectionRefusedError):
            connect(listen_port)
    assert round_trip(connect(listen_port))[0] == b"ping"

    assert tp.reset() is True
    tp.populate(
        [
            {"name": "web", "upstream": echo_backend.address, "listen": proxy.listen},
            {"name": "api", "upstream": "x:1", "listen": "127.0.0.1:0"},
        ]
    )
    assert set(tp.proxies()) == {"web", "api"}
    with pytest.raises(toxiproxy.exceptions.NotFound):
        toxiproxy.api.APIConsumer.get("/nope")
    assert proxy.destroy() is True
    tp.destroy_all()
    assert tp.proxies() == {}


@pytest.mark.parametrize(
    ("url", "timeout"),
    [("ftp://127.0.0.1:1", 1.0), ("http://127.0.0.1", 1.0), ("http://:80", 1.0), ("http://127.0.0.1:1", 0.0), ("http://127.0.0.1:1", -1.0)],
)
def test_client_refuses_bad_options(url: str, timeout: float) -> None:
    with pytest.raises(ValueError, match="expected"):
        ToxiproxyClient(url, timeout=timeout)


def test_client_refuses_names_that_cannot_travel_in_a_url(client: ToxiproxyClient) -> None:
    for name in ("a/b", "a?b", "a#b", "a%20b", ""):
        with pytest.raises(ValueError, match="proxy name"):
            client.create_proxy(name, upstream="x:1")


def test_client_accepts_a_bare_host_port() -> None:
    assert ToxiproxyClient("127.0.0.1:8474").url == "http://127.0.0.1:8474"
