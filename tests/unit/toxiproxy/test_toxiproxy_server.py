"""Running the server: `python -m chaos.toxiproxy`, serve(), EmbeddedServer, and its imports."""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from toxiproxy_testkit import LOOPBACK, Api, Backend, round_trip

import chaos.toxiproxy
from chaos.toxiproxy import EmbeddedServer, ListenError

PACKAGE = Path(chaos.toxiproxy.__file__).parent
ROOT = PACKAGE.parent.parent


def _free_port() -> int:
    with socket.create_server((LOOPBACK, 0)) as probe:
        return probe.getsockname()[1]


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "chaos.toxiproxy", *args], stderr=subprocess.PIPE, env=env, cwd=ROOT)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_module_serves_until_a_signal_then_exits_cleanly(signum: int, echo_backend: Backend) -> None:
    port = _free_port()
    process = _start("--listen", f"{LOOPBACK}:{port}")
    try:
        assert process.stderr is not None
        assert f"listening on http://127.0.0.1:{port}" in process.stderr.readline().decode()
        api = Api(f"http://127.0.0.1:{port}")
        assert api.call("GET", "/version").json() == {"version": "2.12.0"}
        listen = api.create("p", echo_backend.address)["listen"]
        with socket.create_connection((LOOPBACK, int(listen.rsplit(":", 1)[1])), timeout=5) as sock:
            assert round_trip(sock)[0] == b"ping"
            process.send_signal(signum)
            assert process.wait(10) == 0
            assert sock.recv(10) == b""  # the proxy's connections were closed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        if process.stderr:
            process.stderr.close()


def test_running_out_of_file_descriptors_is_survived(echo_backend: Backend) -> None:
    # A hard limit of 96 open files: far fewer than 60 streaming connections need.
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    limit = "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (96, 96))"
    command = [sys.executable, "-c", f"{limit}; import runpy; runpy.run_module('chaos.toxiproxy', run_name='__main__')"]
    process = subprocess.Popen([*command, "--listen", f"{LOOPBACK}:{port}"], stderr=subprocess.PIPE, env=env, cwd=ROOT)
    socks: list[socket.socket] = []
    try:
        assert process.stderr is not None
        assert "listening" in process.stderr.readline().decode()
        api = Api(f"http://127.0.0.1:{port}")
        proxy_port = int(api.create("p", echo_backend.address)["listen"].rsplit(":", 1)[1])
        served: list[bool] = []

        def use(sock: socket.socket) -> None:
            try:
                served.append(round_trip(sock, b"x" * 100_000)[0] == b"x" * 100_000)
            except OSError:
                served.append(False)

        for _ in range(60):
            sock = socket.create_connection((LOOPBACK, proxy_port), timeout=3)
            socks.append(sock)
        users = [threading.Thread(target=use, args=(sock,)) for sock in socks]
        for user in users:
            user.start()
        for user in users:
            user.join(10)
        assert 0 < sum(served) < 60, served
        for sock in socks:
            sock.close()
        socks.clear()
        deadline = time.monotonic() + 10
        while True:  # the proxy and the API come back once descriptors are free
            try:
                with socket.create_connection((LOOPBACK, proxy_port), timeout=2) as sock:
                    assert round_trip(sock, b"back")[0] == b"back"
                assert api.call("GET", "/version").status == 200
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert process.poll() is None
    finally:
        for sock in socks:
            sock.close()
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_module_loads_a_config_file(tmp_path: Path, echo_backend: Backend) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "from-file", "upstream": echo_backend.address, "listen": "127.0.0.1:0"}]))
    port = _free_port()
    process = _start("--listen", f"{LOOPBACK}:{port}", "--config", str(config))
    try:
        assert process.stderr is not None
        assert "listening" in process.stderr.readline().decode()
        assert list(Api(f"http://127.0.0.1:{port}").call("GET", "/proxies").json()) == ["from-file"]
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", "taken"])
def test_module_reports_a_bad_listen_address_in_one_line(listen: str) -> None:
    with socket.create_server((LOOPBACK, 0)) as taken:
        if listen == "taken":
            listen = f"{LOOPBACK}:{taken.getsockname()[1]}"
        result = subprocess.run(
            [sys.executable, "-m", "chaos.toxiproxy", "--listen", listen],
            capture_output=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            cwd=ROOT,
            timeout=30,
        )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chaos.toxiproxy: ") and listen in lines[0], lines


def test_module_version_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chaos.toxiproxy", "--version"],
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 0 and result.stdout.decode().strip() == "toxiproxy-server version 2.12.0"


def test_embedded_server_lifecycle(echo_backend: Backend) -> None:
    server = EmbeddedServer()
    with pytest.raises(RuntimeError, match="not running"):
        server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.host == LOOPBACK
        api = Api(server.url)
        port = int(api.create("p", echo_backend.address)["listen"].rsplit(":", 1)[1])
        sock = socket.create_connection((LOOPBACK, port), timeout=5)
        assert round_trip(sock)[0] == b"ping"
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
    with sock:
        assert sock.recv(10) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=2).close()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/version", timeout=2)
    server.stop()  # a second stop is harmless


def test_embedded_server_on_a_given_port_and_a_taken_one() -> None:
    port = _free_port()
    with EmbeddedServer(port=port) as server:
        assert server.port == port
        with pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{port}"):
            EmbeddedServer(port=port).start()


def test_serve_rejects_a_bad_listen_text() -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        chaos.toxiproxy.serve("no-port")


def test_public_names_are_complete() -> None:
    for name in chaos.toxiproxy.__all__:
        assert getattr(chaos.toxiproxy, name) is not None
    with pytest.raises(AttributeError):
        chaos.toxiproxy.no_such_name  # noqa: B018


def test_server_modules_use_the_standard_library_only() -> None:
    # The server runs in fleet containers that have nothing but python3.
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "client.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [(node.module or "").split(".")[0]]
            else:
                continue
            for root in roots:
                assert root in sys.stdlib_module_names or root == "__future__", f"{path.name} imports {root}"


def test_the_server_runs_without_site_packages() -> None:
    # `python -S`: no site-packages at all, as in a bare fleet container.
    code = (
        "import sys, urllib.request, chaos.toxiproxy as t\n"
        "with t.EmbeddedServer() as s:\n"
        "    assert urllib.request.urlopen(s.url + '/version', timeout=5).read() == b'{\"version\": \"2.12.0\"}\\n'\n"
        "sys.exit(int(any(m in sys.modules for m in ('toxiproxy', 'requests'))))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-S", "-c", code], env=env, cwd=ROOT, timeout=30, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
