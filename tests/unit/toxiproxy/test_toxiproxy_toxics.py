"""Every toxic on real TCP connections through the embedded server.

Timing bounds are loose on purpose (a noisy 2-core machine): a 300 ms toxic
is asserted as >= 250 ms and < 2 s.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable

import pytest

from chaos.toxiproxy import _side
from toxiproxy_testkit import (
    Api,
    Backend,
    assert_silent,
    echo_then_hold_open,
    port_of,
    read_until_eof,
    record,
    reply_and_close,
    round_trip,
    wait_for,
)

Connect = Callable[..., socket.socket]


@pytest.fixture
def proxied(api: Api, echo_backend: Backend, connect: Connect) -> Callable[[], socket.socket]:
    """A proxy "p" in front of the echo backend; call it for a connection."""
    port = port_of(api.create("p", echo_backend.address))
    return lambda: connect(port)


def test_bytes_pass_unchanged_both_ways(proxied: Callable[[], socket.socket]) -> None:
    sock = proxied()
    payload = os.urandom(3_000_000)
    got, _ = round_trip(sock, payload)
    assert got == payload
    assert round_trip(sock, b"again")[0] == b"again"


@pytest.mark.parametrize("splice", [True, False], ids=["splice", "copy"])
def test_full_duplex_stream_with_backpressure(
    proxied: Callable[[], socket.socket], monkeypatch: pytest.MonkeyPatch, splice: bool
) -> None:
    monkeypatch.setattr(_side, "_splice_works", splice and _side._splice_works)
    sock = proxied()
    payload = os.urandom(1 << 20) * 24
    sender = threading.Thread(target=sock.sendall, args=(payload,))
    sender.start()
    digest, received = hashlib.sha256(), 0
    buffer = bytearray(1 << 20)
    while received < len(payload):
        got = sock.recv_into(buffer)
        assert got, "the proxy closed early"
        digest.update(memoryview(buffer)[:got])
        received += got
    sender.join(30)
    assert digest.digest() == hashlib.sha256(payload).digest()


def test_many_connections_at_once(proxied: Callable[[], socket.socket]) -> None:
    socks = [proxied() for _ in range(50)]
    for i, sock in enumerate(socks):
        assert round_trip(sock, b"n%d" % i)[0] == b"n%d" % i


@pytest.mark.parametrize("stream", ["downstream", "upstream"])
def test_latency_in_either_direction(api: Api, proxied: Callable[[], socket.socket], stream: str) -> None:
    api.toxic("p", "latency", stream=stream, latency=300)
    got, elapsed = round_trip(proxied())
    assert got == b"ping" and 0.25 <= elapsed < 2


def test_latency_adds_up_across_streams_and_stacked_toxics(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", stream="upstream", latency=100)
    api.toxic("p", "latency", stream="downstream", latency=100)
    api.toxic("p", "latency", name="second", stream="downstream", latency=100)
    _, elapsed = round_trip(proxied())
    assert 0.28 <= elapsed < 2.5


def test_latency_jitter_varies_per_chunk(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", latency=60, jitter=60)
    sock = proxied()
    samples = [round_trip(sock)[1] for _ in range(16)]
    assert all(s < 1.5 for s in samples)
    assert max(samples) - min(samples) > 0.02, samples


def test_bandwidth_limits_the_rate(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "bandwidth", rate=100)  # 100 KB/s
    got, elapsed = round_trip(proxied(), b"x" * 50_000)
    assert len(got) == 50_000 and 0.4 <= elapsed < 3


def test_bandwidth_zero_holds_data_until_the_toxic_goes(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "bandwidth", rate=0)
    sock = proxied()
    sock.sendall(b"held")
    assert_silent(sock, 0.3)
    assert api.call("DELETE", "/proxies/p/toxics/bandwidth_downstream").status == 204
    assert sock.recv(10) == b"held"


def test_slow_close_delays_the_close(api: Api, backends: Callable[..., Backend], connect: Connect) -> None:
    backend = backends(reply_and_close)
    port = port_of(api.create("p", backend.address))
    api.toxic("p", "slow_close", delay=300)
    sock = connect(port)
    start = time.monotonic()
    sock.sendall(b"hi")
    assert sock.recv(10) == b"bye"
    assert time.monotonic() - start < 0.25  # data is not delayed
    assert read_until_eof(sock) == b""
    assert 0.25 <= time.monotonic() - start < 2


def test_removing_slow_close_cancels_the_wait(api: Api, backends: Callable[..., Backend], connect: Connect) -> None:
    backend = backends(reply_and_close)
    port = port_of(api.create("p", backend.address))
    api.toxic("p", "slow_close", delay=10_000)
    sock = connect(port)
    sock.sendall(b"hi")
    assert sock.recv(10) == b"bye"
    assert_silent(sock, 0.1)  # the close is being held
    start = time.monotonic()
    api.call("DELETE", "/proxies/p/toxics/slow_close_downstream")
    assert read_until_eof(sock) == b"" and time.monotonic() - start < 2


def test_timeout_drops_data_then_closes(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "timeout", timeout=300)
    sock = proxied()
    start = time.monotonic()
    sock.sendall(b"lost")
    assert read_until_eof(sock) == b""
    assert 0.25 <= time.monotonic() - start < 2


def test_timeout_zero_never_closes_until_removed(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "timeout", timeout=0, toxicity=1)
    sock = proxied()
    sock.sendall(b"lost")
    assert_silent(sock, 0.5)
    # Removing a timeout closes the links it was on.
    assert api.call("DELETE", "/proxies/p/toxics/timeout_downstream").status == 204
    assert read_until_eof(sock) == b""


def test_removing_a_pass_through_timeout_still_closes(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "timeout", timeout=0, toxicity=0)
    sock = proxied()
    assert round_trip(sock)[0] == b"ping"  # toxicity 0: not acting
    assert api.call("POST", "/reset").status == 204
    sock.settimeout(5)
    assert read_until_eof(sock) == b""


def test_reset_peer_present_at_connect_sends_rst(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "reset_peer", timeout=0)
    sock = proxied()
    sock.sendall(b"hello")
    with pytest.raises(ConnectionResetError):
        sock.recv(10)


def test_reset_peer_upstream_waits_its_timeout(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "reset_peer", stream="upstream", timeout=300)
    sock = proxied()
    start = time.monotonic()
    sock.sendall(b"hello")
    with pytest.raises(ConnectionResetError):
        sock.recv(10)
    assert 0.25 <= time.monotonic() - start < 2


def test_reset_peer_added_to_a_live_connection_closes_with_fin(api: Api, proxied: Callable[[], socket.socket]) -> None:
    sock = proxied()
    assert round_trip(sock)[0] == b"ping"
    api.toxic("p", "reset_peer", timeout=0)
    sock.sendall(b"hello")
    assert read_until_eof(sock) == b""


def test_slicer_delivers_everything_in_pieces(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "slicer", average_size=100, size_variation=20, delay=20_000)  # 20 ms between pieces
    sock = proxied()
    payload = bytes(range(256)) * 4
    start = time.monotonic()
    sock.sendall(payload)
    pieces = []
    while sum(map(len, pieces)) < len(payload):
        pieces.append(sock.recv(65536))
        assert pieces[-1]
    assert b"".join(pieces) == payload
    assert len(pieces) >= 3 and 0.1 <= time.monotonic() - start < 3


def test_slicer_with_zero_size_passes_data_whole(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "slicer")
    assert round_trip(proxied(), b"whole")[0] == b"whole"


def test_limit_data_downstream_cuts_at_the_limit_and_closes(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "limit_data", bytes=10)
    sock = proxied()
    sock.sendall(b"0123456789abcdef")
    assert read_until_eof(sock) == b"0123456789"


def test_limit_data_count_survives_an_update(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "limit_data", bytes=100)
    sock = proxied()
    assert round_trip(sock, b"123456")[0] == b"123456"
    api.call("POST", "/proxies/p/toxics/limit_data_downstream", {"attributes": {"bytes": 8}})
    sock.sendall(b"abcdef")
    assert read_until_eof(sock) == b"ab"


def test_slicer_tiny_pieces_do_not_stall_the_api(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "slicer", average_size=1)
    sock = proxied()
    payload = os.urandom(40_000)
    sock.sendall(payload)
    assert api.call("GET", "/version").status == 200
    got = b""
    while len(got) < len(payload):
        got += sock.recv(65536)
    assert got == payload


def test_limit_data_zero_closes_on_the_first_chunk(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "limit_data", bytes=0)
    sock = proxied()
    assert_silent(sock, 0.3)  # open until data arrives
    sock.sendall(b"x")
    assert read_until_eof(sock) == b""


def test_limit_data_upstream_reaches_the_server_cut(api: Api, backends: Callable[..., Backend], connect: Connect) -> None:
    backend = backends(record)
    port = port_of(api.create("p", backend.address))
    api.toxic("p", "limit_data", stream="upstream", bytes=5)
    sock = connect(port)
    sock.sendall(b"abcdefgh")
    assert read_until_eof(sock) == b""
    wait_for(lambda: backend.received == [b"abcde"], what="the backend to see 5 bytes")


def test_toxicity_zero_and_one(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", name="never", latency=1000, toxicity=0)
    assert round_trip(proxied())[1] < 0.5
    api.call("DELETE", "/proxies/p/toxics/never")
    api.toxic("p", "latency", name="always", latency=300, toxicity=1)
    assert round_trip(proxied())[1] >= 0.25


def test_noop_passes_everything(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "noop", stream="upstream")
    api.toxic("p", "noop")
    assert round_trip(proxied(), b"z" * 100_000)[0] == b"z" * 100_000


def test_toxics_reach_live_connections(api: Api, proxied: Callable[[], socket.socket]) -> None:
    sock = proxied()
    assert round_trip(sock)[1] < 0.25
    api.toxic("p", "latency", latency=300)
    assert round_trip(sock)[1] >= 0.25
    api.call("POST", "/proxies/p/toxics/latency_downstream", {"attributes": {"latency": 0}})
    assert round_trip(sock)[1] < 0.25
    api.call("POST", "/proxies/p/toxics/latency_downstream", {"attributes": {"latency": 300}})
    assert round_trip(sock)[1] >= 0.25
    api.call("DELETE", "/proxies/p/toxics/latency_downstream")
    assert round_trip(sock)[1] < 0.25


def test_removing_a_latency_releases_a_waiting_chunk(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", latency=5000)
    sock = proxied()
    start = time.monotonic()
    sock.sendall(b"wait")
    assert_silent(sock, 0.1)  # the chunk is being held
    api.call("DELETE", "/proxies/p/toxics/latency_downstream")
    assert sock.recv(10) == b"wait" and time.monotonic() - start < 2


def test_updating_a_latency_releases_a_waiting_chunk(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", latency=5000)
    sock = proxied()
    start = time.monotonic()
    sock.sendall(b"wait")
    assert_silent(sock, 0.1)  # the chunk is being held
    api.call("PATCH", "/proxies/p/toxics/latency_downstream", {"attributes": {"jitter": 1}})
    assert sock.recv(10) == b"wait" and time.monotonic() - start < 2


def test_a_toxicity_update_is_drawn_again_on_live_connections(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", latency=300, toxicity=0)
    sock = proxied()
    assert round_trip(sock)[1] < 0.25
    api.call("POST", "/proxies/p/toxics/latency_downstream", {"toxicity": 1})
    assert round_trip(sock)[1] >= 0.25


def test_reset_keeps_healthy_connections(api: Api, proxied: Callable[[], socket.socket]) -> None:
    api.toxic("p", "latency", latency=300)
    sock = proxied()
    api.call("POST", "/reset")
    got, elapsed = round_trip(sock)
    assert got == b"ping" and elapsed < 0.25


def test_disable_drops_connections_and_enable_listens_again(api: Api, proxied: Callable[[], socket.socket], connect: Connect) -> None:
    api.toxic("p", "latency", latency=1)
    sock = proxied()
    port = sock.getpeername()[1]
    assert round_trip(sock)[0] == b"ping"
    api.call("POST", "/proxies/p", {"enabled": False})
    try:
        assert read_until_eof(sock) == b""
    except ConnectionResetError:
        pass
    with pytest.raises(ConnectionRefusedError):
        connect(port)
    api.call("POST", "/proxies/p", {"enabled": True})
    assert round_trip(connect(port))[0] == b"ping"


def test_delete_drops_connections(api: Api, proxied: Callable[[], socket.socket]) -> None:
    sock = proxied()
    assert round_trip(sock)[0] == b"ping"
    api.call("DELETE", "/proxies/p")
    try:
        assert read_until_eof(sock) == b""
    except ConnectionResetError:
        pass


def test_unreachable_upstream_accepts_then_closes(api: Api, connect: Connect) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead = closed.getsockname()[1]
    port = port_of(api.create("p", f"127.0.0.1:{dead}"))
    sock = connect(port)
    assert read_until_eof(sock) == b""


def test_no_half_close_client_shutdown_closes_everything(api: Api, backends: Callable[..., Backend], connect: Connect) -> None:
    # The backend stays open after the client's EOF, so only the proxy's own
    # close (no half-close) can end the client's read before its 5 s timeout.
    sock = connect(port_of(api.create("p", backends(echo_then_hold_open).address)))
    sock.sendall(b"x")
    sock.shutdown(socket.SHUT_WR)
    got = read_until_eof(sock)
    assert got in (b"", b"x")  # as in Go: the reply may be lost, the close is not
