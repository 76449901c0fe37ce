"""What the embedded Toxiproxy server costs on the data path, with no toxics.

Prints, side by side, direct to a local backend and through the proxy:

- request latency (p50, p99) of small HTTP-style request/response round trips,
  sequential, both on one kept-alive connection and on a fresh connection
  per request;
- stream throughput for 200 MB upstream (client -> server) and 200 MB
  downstream (server -> client);

then the added p50/p99 in ms, the throughput ratios, and whether the targets
hold (p50 added <= 0.3 ms on the kept-alive connection, throughput >= 50 %
of direct). The backend runs in its own process and the proxy in another
(`python -m chaos.toxiproxy`), as in a fleet; the client is this process.
Everything is on 127.0.0.1.

For scale, the streams are also timed through a bare relay: two blocking
threads per connection moving bytes with splice(2) (or recv/send), no event
loop, no API. On a small machine the three processes of a proxied stream
share the CPUs that the two of a direct stream had, so the bare relay's
ratio is about the best any user-space proxy can do there.

    python bench/proxy_overhead.py [--requests 3000] [--fresh 500] [--megabytes 200] [--trials 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import select
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
BLOCK = 1 << 20
TARGET_ADDED_P50_MS = 0.3
TARGET_RATIO = 0.5


# -- backend (own process) ---------------------------------------------------


def _serve_http(conn: socket.socket) -> None:
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        _, _, buffer = buffer.partition(b"\r\n\r\n")
        conn.sendall(RESPONSE)


def _serve_sink(conn: socket.socket) -> None:
    (total,) = struct.unpack("!Q", _recv_exact(conn, 8))
    buffer = bytearray(BLOCK)
    left = total
    while left:
        got = conn.recv_into(buffer, min(BLOCK, left))
        if not got:
            return
        left -= got
    conn.sendall(b"done")


def _serve_source(conn: socket.socket) -> None:
    (total,) = struct.unpack("!Q", _recv_exact(conn, 8))
    block = b"x" * BLOCK
    view = memoryview(block)
    left = total
    while left:
        step = min(BLOCK, left)
        conn.sendall(view[:step])
        left -= step
    _recv_exact(conn, 4)


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed early")
        data += chunk
    return data


def _backend(ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    listeners = []
    for handler in (_serve_http, _serve_sink, _serve_source):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        listeners.append((listener, handler))
    ports.put([listener.getsockname()[1] for listener, _ in listeners])

    def accept(listener: socket.socket, handler) -> None:  # type: ignore[no-untyped-def]
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def run(conn: socket.socket = conn) -> None:
                with conn:
                    try:
                        handler(conn)
                    except OSError:
                        pass

            threading.Thread(target=run, daemon=True).start()

    threads = [threading.Thread(target=accept, args=pair, daemon=True) for pair in listeners]
    for thread in threads:
        thread.start()
    threads[0].join()


# -- a bare relay (own process), the yardstick for throughput -----------------


def _relay_pump(source: socket.socket, destination: socket.socket) -> None:
    pipe = os.pipe() if hasattr(os, "splice") else None
    try:
        if pipe is not None:
            while True:
                moved = os.splice(source.fileno(), pipe[1], BLOCK)
                if not moved:
                    break
                while moved:
                    moved -= os.splice(pipe[0], destination.fileno(), moved)
        else:
            while data := source.recv(BLOCK):
                destination.sendall(data)
    except OSError:
        pass
    for fd in pipe or ():
        os.close(fd)
    for sock in (source, destination):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _bare_relay(ports: multiprocessing.Queue, targets: list[int]) -> None:  # type: ignore[type-arg]
    listeners = [socket.create_server(("127.0.0.1", 0)) for _ in targets]
    ports.put([listener.getsockname()[1] for listener in listeners])

    def serve(listener: socket.socket, target: int) -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", target))
            threading.Thread(target=_relay_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_relay_pump, args=(upstream, client), daemon=True).start()

    threads = [threading.Thread(target=serve, args=pair, daemon=True) for pair in zip(listeners, targets)]
    for thread in threads:
        thread.start()
    threads[0].join()


# -- the proxy (own process) -------------------------------------------------


def _start_proxy() -> tuple[subprocess.Popen[bytes], str]:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "chaos.toxiproxy", "--listen", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert process.stderr is not None
    # Bounded: a proxy that hangs before its first line must not hang the bench.
    ready, _, _ = select.select([process.stderr], [], [], 15)
    line = process.stderr.readline().decode() if ready else "(nothing within 15 s)"
    if "listening" not in line:
        process.kill()
        raise SystemExit(f"the proxy did not start: {line.strip()!r}")
    return process, f"http://127.0.0.1:{port}"


def _create_proxy(api: str, name: str, upstream_port: int) -> int:
    body = json.dumps({"name": name, "upstream": f"127.0.0.1:{upstream_port}", "listen": "127.0.0.1:0"}).encode()
    request = urllib.request.Request(api + "/proxies", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return int(json.loads(response.read())["listen"].rsplit(":", 1)[1])


# -- measurements ------------------------------------------------------------


def _connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _round_trip(conn: socket.socket) -> None:
    conn.sendall(REQUEST)
    got = 0
    while got < len(RESPONSE):
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("server closed during a request")
        got += len(chunk)


def latency_kept_alive(direct: int, proxied: int, count: int) -> tuple[list[float], list[float]]:
    """Alternate requests on two kept-alive connections, so both see the same machine load."""
    samples: tuple[list[float], list[float]] = ([], [])
    with _connect(direct) as first, _connect(proxied) as second:
        for _ in range(50):  # warm up
            _round_trip(first)
            _round_trip(second)
        for _ in range(count):
            for conn, out in ((first, samples[0]), (second, samples[1])):
                start = time.perf_counter_ns()
                _round_trip(conn)
                out.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def latency_fresh(direct: int, proxied: int, count: int) -> tuple[list[float], list[float]]:
    """Alternate connect + one request + close, direct and through the proxy."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for port, out in ((direct, samples[0]), (proxied, samples[1])):
            start = time.perf_counter_ns()
            with _connect(port) as conn:
                _round_trip(conn)
            out.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def upstream_rate(port: int, total: int) -> float:
    block = memoryview(b"u" * BLOCK)
    with _connect(port) as conn:
        start = time.perf_counter()
        conn.sendall(struct.pack("!Q", total))
        left = total
        while left:
            step = min(BLOCK, left)
            conn.sendall(block[:step])
            left -= step
        if _recv_exact(conn, 4) != b"done":
            raise ConnectionError("sink did not confirm")
        return total / (time.perf_counter() - start) / 1e6


def downstream_rate(port: int, total: int) -> float:
    buffer = bytearray(BLOCK)
    with _connect(port) as conn:
        start = time.perf_counter()
        conn.sendall(struct.pack("!Q", total))
        left = total
        while left:
            got = conn.recv_into(buffer, min(BLOCK, left))
            if not got:
                raise ConnectionError("source closed early")
            left -= got
        elapsed = time.perf_counter() - start
        conn.sendall(b"done")
        return total / elapsed / 1e6


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="kept-alive round trips per path")
    parser.add_argument("--fresh", type=int, default=500, help="fresh-connection round trips per path")
    parser.add_argument("--megabytes", type=int, default=200, help="MB per stream direction and trial")
    parser.add_argument("--trials", type=int, default=5, help="stream trials per direction and path (medians are shown)")
    args = parser.parse_args()

    began = time.monotonic()
    ports_queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    backend = multiprocessing.Process(target=_backend, args=(ports_queue,), daemon=True)
    backend.start()
    http_port, sink_port, source_port = ports_queue.get(timeout=10)
    relay = multiprocessing.Process(target=_bare_relay, args=(ports_queue, [sink_port, source_port]), daemon=True)
    relay.start()
    relay_sink, relay_source = ports_queue.get(timeout=10)
    proxy_process, api = _start_proxy()
    try:
        via = {
            "http": _create_proxy(api, "http", http_port),
            "sink": _create_proxy(api, "sink", sink_port),
            "source": _create_proxy(api, "source", source_port),
        }
        direct = {"http": http_port, "sink": sink_port, "source": source_port}
        total = args.megabytes * 1_000_000

        rows = []
        results: dict[str, dict[str, float]] = {}
        for label, measure, count in (
            ("kept-alive", latency_kept_alive, args.requests),
            ("fresh-conn", latency_fresh, args.fresh),
        ):
            d, p = measure(direct["http"], via["http"], count)
            results[label] = {
                "p50_direct": statistics.median(d),
                "p50_proxy": statistics.median(p),
                "p99_direct": _percentile(d, 0.99),
                "p99_proxy": _percentile(p, 0.99),
            }
            rows.append((label, count, results[label]))

        # Other work on a shared machine swings throughput a lot: each trial
        # times direct, proxied and relayed back to back, and the ratios are
        # taken per trial, then the median over trials is reported.
        paths = {
            "up_direct": (upstream_rate, direct["sink"]),
            "up_proxy": (upstream_rate, via["sink"]),
            "up_relay": (upstream_rate, relay_sink),
            "down_direct": (downstream_rate, direct["source"]),
            "down_proxy": (downstream_rate, via["source"]),
            "down_relay": (downstream_rate, relay_source),
        }
        rates: dict[str, list[float]] = {key: [] for key in paths}
        for _ in range(args.trials):
            for key, (measure, port) in paths.items():
                rates[key].append(measure(port, total))
        typical = {key: statistics.median(values) for key, values in rates.items()}
        ratios = {
            f"{key}_{path}": statistics.median(p / d for p, d in zip(rates[f"{key}_{path}"], rates[f"{key}_direct"]))
            for key in ("up", "down")
            for path in ("proxy", "relay")
        }
    finally:
        proxy_process.terminate()
        try:
            proxy_process.wait(10)
        except subprocess.TimeoutExpired:
            proxy_process.kill()
        backend.terminate()
        relay.terminate()
        backend.join(5)
        relay.join(5)

    print(f"embedded Toxiproxy data-path overhead, no toxics, 127.0.0.1, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print()
    print("request latency, small HTTP-style request/response, sequential, direct and proxied alternating (ms)")
    print("  kept-alive: one connection per path, reused; fresh-conn: connect + 1 request + close each time")
    print(
        f"{'mode':<12}{'requests':>9}{'p50 direct':>12}{'p50 proxy':>11}{'p50 added':>11}"
        f"{'p99 direct':>12}{'p99 proxy':>11}{'p99 added':>11}"
    )
    for label, count, r in rows:
        print(
            f"{label:<12}{count:>9}{r['p50_direct']:>12.3f}{r['p50_proxy']:>11.3f}{r['p50_proxy'] - r['p50_direct']:>11.3f}"
            f"{r['p99_direct']:>12.3f}{r['p99_proxy']:>11.3f}{r['p99_proxy'] - r['p99_direct']:>11.3f}"
        )
    print()
    print(f"stream throughput, {args.megabytes} MB each way, {args.trials} trials; MB/s and ratio to direct are medians over trials")
    print(f"{'direction':<12}{'direct':>10}{'proxy':>10}{'ratio':>8}{'bare relay':>12}{'ratio':>8}")
    for label, key in (("upstream", "up"), ("downstream", "down")):
        d, p, r = typical[f"{key}_direct"], typical[f"{key}_proxy"], typical[f"{key}_relay"]
        print(f"{label:<12}{d:>10.0f}{p:>10.0f}{ratios[f'{key}_proxy']:>8.2f}{r:>12.0f}{ratios[f'{key}_relay']:>8.2f}")
    print()
    added = results["kept-alive"]["p50_proxy"] - results["kept-alive"]["p50_direct"]
    ratio = min(ratios["up_proxy"], ratios["down_proxy"])
    relay_ratio = min(ratios["up_relay"], ratios["down_relay"])
    latency_ok, rate_ok = added <= TARGET_ADDED_P50_MS, ratio >= TARGET_RATIO
    print(f"target p50 added <= {TARGET_ADDED_P50_MS} ms (kept-alive): {added:.3f} ms -> {'met' if latency_ok else 'NOT met'}")
    print(
        f"target throughput >= {TARGET_RATIO:.0%} of direct (worse direction): {ratio:.0%} -> {'met' if rate_ok else 'NOT met'}"
        f" (bare relay on this machine: {relay_ratio:.0%})"
    )
    print(f"finished in {time.monotonic() - began:.1f} s")
    return 0 if latency_ok and rate_ok else 1


if __name__ == "__main__":
    sys.exit(main())
