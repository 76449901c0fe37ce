"""Running the server: on the main thread until a signal (`serve`), or on a
background thread for tests and in-process use (`EmbeddedServer`).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from types import TracebackType

from . import _address
from ._api import Api, populate_specs
from ._collection import ProxyCollection
from ._errors import ApiError, ListenError
from ._http import serve_connection

DEFAULT_LISTEN = "127.0.0.1:8474"


class ToxiproxyServer:
    """The API and every proxy it manages, on the running event loop."""

    def __init__(self) -> None:
        self.collection = ProxyCollection()
        self.api = Api(self.collection)
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self.host = ""
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{_address.format_address(self.host, self.port)}"

    async def start(self, *, host: str, port: int) -> None:
        try:
            self._server = await asyncio.start_server(self._serve_client, host, port, limit=64 * 1024)
        except OSError as exc:
            raise ListenError(f"cannot listen on {_address.format_address(host, port)}: {exc.strerror or exc}") from None
        bound = self._server.sockets[0].getsockname()
        self.host, self.port = bound[0], bound[1]

    async def load(self, path: str) -> None:
        """Create the proxies of a JSON file shaped like a /populate body (Go's -config)."""
        with open(path, "rb") as handle:
            body = handle.read()
        try:
            specs = populate_specs(body)
            await self.collection.populate(specs)
        except ApiError as exc:  # PopulateError included
            raise ValueError(f"{path}: {exc.message}") from None

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await serve_connection(reader, writer, self.api)
        finally:
            self._clients.discard(writer)

    async def close(self) -> None:
        """Stop the API and every proxy, closing all of their connections."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._clients):
            writer.transport.abort()
        self.collection.close()
        await asyncio.sleep(0)


def parse_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` for the API; ValueError with the bad text if it is not one."""
    try:
        host, port = _address.parse_address(listen)
    except _address.AddressError as exc:
        raise ValueError(f"expected HOST:PORT for the listen address, got {listen!r} ({exc})") from None
    return host or "0.0.0.0", port


def serve(listen: str = DEFAULT_LISTEN, *, config: str | None = None) -> None:
    """Run a Toxiproxy-compatible server until SIGINT or SIGTERM, then close everything.

    `config` is an optional JSON file of proxies to create at start (a
    /populate body). Raises ListenError if the API address cannot be bound.
    """
    host, port = parse_listen(listen)
    _raise_open_file_limit()
    asyncio.run(_serve(host, port, config))


def _raise_open_file_limit() -> None:
    """Lift the soft limit on open files to the hard one, as Go's runtime does.

    Every proxied connection holds two sockets (and two pipes while it
    streams); the common soft limit of 1024 would cap a fleet's proxy at a
    few hundred connections.
    """
    try:
        import resource
    except ImportError:  # not a Unix
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (OSError, ValueError):
        pass


async def _serve(host: str, port: int, config: str | None) -> None:
    server = ToxiproxyServer()
    await server.start(host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here: run until cancelled
    try:
        if config:
            await server.load(config)
        print(f"chaos.toxiproxy: API listening on {server.url}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await server.close()


class EmbeddedServer:
    """A server on a background thread, stopped on exit.

        with EmbeddedServer() as server:          # 127.0.0.1, a free port
            client = ToxiproxyClient(server.url)

    | option          | default       | meaning                                |
    | --------------- | ------------- | -------------------------------------- |
    | host            | "127.0.0.1"   | API address                            |
    | port            | 0             | API port; 0 picks a free one           |
    | start_timeout   | 10.0          | seconds to wait for it to listen       |
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 10.0) -> None:
        self._host = host
        self._want_port = port
        self._start_timeout = start_timeout
        self._server: ToxiproxyServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def host(self) -> str:
        return self._running().host

    @property
    def port(self) -> int:
        return self._running().port

    @property
    def url(self) -> str:
        return self._running().url

    def _running(self) -> ToxiproxyServer:
        if self._server is None or not self._ready.is_set():
            raise RuntimeError("the embedded Toxiproxy server is not running; call start() or use it as a context manager")
        return self._server

    def start(self) -> EmbeddedServer:
        if self._thread is not None:
            raise RuntimeError("this EmbeddedServer was already started; make a new one")
        self._thread = threading.Thread(target=self._run, name=f"toxiproxy-{self._host}:{self._want_port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise TimeoutError(f"embedded Toxiproxy server on {self._host}:{self._want_port} did not start within {self._start_timeout} s")
        if self._failure is not None:
            self._thread.join(self._start_timeout)
            raise self._failure
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(); the thread must not die noisily
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = ToxiproxyServer()
        await server.start(host=self._host, port=self._want_port)
        self._server = server
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.close()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Close the API, every proxy and connection, and join the thread."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass  # the loop already closed
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"embedded Toxiproxy server at {self.url} did not stop within {timeout} s")

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
